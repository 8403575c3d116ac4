/**
 * 0012: holds shared between hosts. A hold row is the claim itself: one client per position
 * (unique), taken by compare-and-set by whichever host a client asked; the host that drives
 * the device switches the card in and writes how far it got (`state`, `modem`, `error`).
 * Frozen once shipped.
 */
import { sql, type Kysely } from "kysely";

export const up = async (db: Kysely<any>): Promise<void> => {
  await db.schema.alterTable("holds").addColumn("state", "text", (c) => c.notNull().defaultTo("requested")).execute();
  await db.schema.alterTable("holds").addColumn("modem", "integer").execute();
  await db.schema.alterTable("holds").addColumn("error", "text").execute();
  await db.schema.alterTable("holds").addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`)).execute();
  await db.schema.createIndex("holds_one_per_position").on("holds").columns(["device", "position"]).unique().execute();
};

export const down = async (db: Kysely<any>): Promise<void> => {
  await db.schema.dropIndex("holds_one_per_position").ifExists().execute();
  for (const column of ["updated_at", "error", "modem", "state"]) await db.schema.alterTable("holds").dropColumn(column).execute();
};
