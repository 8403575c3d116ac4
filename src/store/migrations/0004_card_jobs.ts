/**
 * 0004: AT exchanges and USSD requests become work items a job runs on the card's modem:
 * the AT log gets the card, a state and a time of answer; USSD rows a state. Frozen once shipped.
 */
import type { Kysely } from "kysely";

export const up = async (db: Kysely<any>): Promise<void> => {
  await db.schema.alterTable("at_log").addColumn("iccid", "text").execute();
  await db.schema.alterTable("at_log").addColumn("state", "text", (c) => c.notNull().defaultTo("done")).execute();
  await db.schema.alterTable("at_log").addColumn("answered_at", "timestamptz").execute();
  await db.schema.alterTable("ussd").addColumn("state", "text", (c) => c.notNull().defaultTo("done")).execute();
  await db.schema.createIndex("at_log_by_card").on("at_log").columns(["iccid", "created_at"]).execute();
  await db.schema.createIndex("ussd_by_card").on("ussd").columns(["iccid", "created_at"]).execute();
};

export const down = async (db: Kysely<any>): Promise<void> => {
  await db.schema.dropIndex("ussd_by_card").ifExists().execute();
  await db.schema.dropIndex("at_log_by_card").ifExists().execute();
  await db.schema.alterTable("ussd").dropColumn("state").execute();
  for (const c of ["answered_at", "state", "iccid"]) await db.schema.alterTable("at_log").dropColumn(c).execute();
};
