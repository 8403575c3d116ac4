/**
 * 0002: what the APIs and the scheduler add. Devices get the configuration's id as a stable
 * key (the numeric id is what the SR-Navigator API shows); SIM cards get their operator's
 * name and when they were last seen; API users and SR pools (with keys stored as SHA-256
 * hashes: the keys are random, so a slow hash buys nothing); the recorded event stream.
 * Frozen once shipped, like 0001.
 */
import { sql, type Kysely } from "kysely";

export const up = async (db: Kysely<any>): Promise<void> => {
  await db.schema.alterTable("devices").addColumn("key", "text").execute();
  await db.schema.alterTable("devices").addColumn("channels", "integer", (c) => c.notNull().defaultTo(1)).execute();
  await db.schema.createIndex("devices_key").on("devices").column("key").unique().execute();

  await db.schema.alterTable("sim_cards").addColumn("operator", "text").execute();
  await db.schema.alterTable("sim_cards").addColumn("last_seen_at", "timestamptz").execute();
  // One card per position: a card found where another was recorded has replaced it.
  await db.schema.createIndex("sim_cards_place").on("sim_cards").columns(["device_id", "place"]).unique().where(sql.ref("place"), "is not", null).execute();
  await db.schema.createIndex("sim_cards_number").on("sim_cards").column("number").execute();

  await db.schema
    .createTable("api_users")
    .addColumn("id", "serial", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull().unique())
    .addColumn("key_hash", "text", (c) => c.notNull().unique())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable("pools")
    .addColumn("id", "serial", (c) => c.primaryKey())
    .addColumn("title", "text", (c) => c.notNull())
    .addColumn("key_hash", "text", (c) => c.notNull().unique())
    // The card filter the pool was made with; cards found later that match it join the pool.
    .addColumn("filter", "jsonb", (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  // A card's state in a pool: `used` while a client holds it open (USED/FREE), `processed`
  // once opened since the last poolRestart (skipped by openNumber unless mode=repeat),
  // `calls` once grabCall asked for its incoming calls.
  await db.schema
    .createTable("pool_cards")
    .addColumn("pool_id", "integer", (c) => c.notNull().references("pools.id").onDelete("cascade"))
    .addColumn("iccid", "text", (c) => c.notNull())
    .addColumn("used", "boolean", (c) => c.notNull().defaultTo(false))
    .addColumn("processed", "boolean", (c) => c.notNull().defaultTo(false))
    .addColumn("calls", "boolean", (c) => c.notNull().defaultTo(false))
    .addColumn("opened_at", "timestamptz")
    .addPrimaryKeyConstraint("pool_cards_pk", ["pool_id", "iccid"])
    .execute();

  await db.schema
    .createTable("events")
    .addColumn("id", "bigserial", (c) => c.primaryKey())
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("device", "text")
    .addColumn("iccid", "text")
    .addColumn("payload", "jsonb", (c) => c.notNull())
    .addColumn("at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex("events_by_time").on("events").column("at").execute();
};

export const down = async (db: Kysely<any>): Promise<void> => {
  for (const table of ["events", "pool_cards", "pools", "api_users"]) await db.schema.dropTable(table).ifExists().execute();
  await db.schema.dropIndex("sim_cards_number").ifExists().execute();
  await db.schema.dropIndex("sim_cards_place").ifExists().execute();
  await db.schema.alterTable("sim_cards").dropColumn("last_seen_at").execute();
  await db.schema.alterTable("sim_cards").dropColumn("operator").execute();
  await db.schema.dropIndex("devices_key").ifExists().execute();
  await db.schema.alterTable("devices").dropColumn("channels").execute();
  await db.schema.alterTable("devices").dropColumn("key").execute();
};
