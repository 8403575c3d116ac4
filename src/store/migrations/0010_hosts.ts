/**
 * 0010: several simgate hosts on one database. Each host has a row with a heartbeat on the
 * database's clock; each device is driven by one host (`device_hosts`); a claimed job names
 * the host that claimed it, so a host that restarts takes its own jobs back at once. Each
 * part of an outgoing SMS is recorded before it goes to the modem and when the modem
 * answered (`sms_submits`), so a send interrupted by a crash is known to be in doubt and
 * is not repeated blindly. Frozen once shipped.
 */
import { sql, type Kysely } from "kysely";

export const up = async (db: Kysely<any>): Promise<void> => {
  await db.schema
    .createTable("hosts")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("version", "text", (c) => c.notNull())
    .addColumn("started_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("heartbeat_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createTable("device_hosts")
    .addColumn("device", "text", (c) => c.primaryKey())
    .addColumn("host", "text", (c) => c.notNull())
    .addColumn("claimed_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.alterTable("jobs").addColumn("claimed_by", "text").execute();
  await db.schema
    .createTable("sms_submits")
    .addColumn("sms_id", "bigint", (c) => c.notNull())
    .addColumn("seq", "integer", (c) => c.notNull())
    .addColumn("host", "text", (c) => c.notNull())
    .addColumn("started_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("finished_at", "timestamptz")
    .addColumn("mr", "integer")
    .addColumn("error", "text")
    .addPrimaryKeyConstraint("sms_submits_pk", ["sms_id", "seq"])
    .execute();
};

export const down = async (db: Kysely<any>): Promise<void> => {
  await db.schema.dropTable("sms_submits").ifExists().execute();
  await db.schema.alterTable("jobs").dropColumn("claimed_by").execute();
  await db.schema.dropTable("device_hosts").ifExists().execute();
  await db.schema.dropTable("hosts").ifExists().execute();
};
