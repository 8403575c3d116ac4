/**
 * 0007: a commit-safe order for the event feed. An event's id is taken when it is inserted,
 * not when its transaction commits, so a reader that follows ids passes over an event whose
 * transaction commits late. Each event also records the id of the transaction that wrote
 * it; a reader takes only events of transactions older than every transaction still
 * running, in (transaction, id) order, where nothing can appear behind it any more.
 * Frozen once shipped.
 */
import { sql, type Kysely } from "kysely";

export const up = async (db: Kysely<any>): Promise<void> => {
  await db.schema
    .alterTable("events")
    .addColumn("txid", "bigint", (c) => c.notNull().defaultTo(sql`(pg_current_xact_id()::text::bigint)`))
    .execute();
  await db.schema.createIndex("events_feed").on("events").columns(["txid", "id"]).execute();
};

export const down = async (db: Kysely<any>): Promise<void> => {
  await db.schema.dropIndex("events_feed").ifExists().execute();
  await db.schema.alterTable("events").dropColumn("txid").execute();
};
