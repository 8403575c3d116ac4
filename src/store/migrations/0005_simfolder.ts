/**
 * 0005: the SimFolder side. Devices belong to a user (`owner`, a user name; the admin user
 * sees every device); users get a webhook secret; the outbox rows name their user and the
 * event they carry, so each user's notifications go out in order. Frozen once shipped.
 */
import { sql, type Kysely } from "kysely";

export const up = async (db: Kysely<any>): Promise<void> => {
  await db.schema.alterTable("devices").addColumn("owner", "text").execute();
  await db.schema.alterTable("api_users").addColumn("secret", "text", (c) => c.notNull().defaultTo(sql`md5(random()::text || clock_timestamp()::text)`)).execute();
  await db.schema.alterTable("outbox").addColumn("user_id", "integer").execute();
  await db.schema.alterTable("outbox").addColumn("event_id", "bigint").execute();
  await db.schema.createIndex("outbox_once").on("outbox").columns(["user_id", "event_id"]).unique().execute();
  await db.schema.createIndex("outbox_by_user").on("outbox").columns(["user_id", "id"]).where(sql.ref("delivered_at"), "is", null).execute();
};

export const down = async (db: Kysely<any>): Promise<void> => {
  await db.schema.dropIndex("outbox_by_user").ifExists().execute();
  await db.schema.dropIndex("outbox_once").ifExists().execute();
  await db.schema.alterTable("outbox").dropColumn("event_id").execute();
  await db.schema.alterTable("outbox").dropColumn("user_id").execute();
  await db.schema.alterTable("api_users").dropColumn("secret").execute();
  await db.schema.alterTable("devices").dropColumn("owner").execute();
};
