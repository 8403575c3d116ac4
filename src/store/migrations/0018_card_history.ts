/**
 * 0018: forgetting a card, and a card's history by card.
 * - `sim_cards.forgotten_at`: a card taken out of the inventory by hand. The row stays (its
 *   name, comment and id), so its messages, calls and USSD, which name it by ICCID, keep
 *   their card; the lists leave it out until a scan reads it again, which clears the mark.
 * - `events_by_card`: a card's own events (its slot moves, its status changes) newest
 *   first, for its history page; the feed's indexes order by transaction, not by card.
 * Frozen once shipped.
 */
import { sql, type Kysely } from "kysely";

export const up = async (db: Kysely<any>): Promise<void> => {
  await db.schema.alterTable("sim_cards").addColumn("forgotten_at", "timestamptz").execute();
  await db.schema.createIndex("events_by_card").on("events").columns(["iccid", "id"]).where(sql.ref("iccid"), "is not", null).execute();
};

export const down = async (db: Kysely<any>): Promise<void> => {
  await db.schema.dropIndex("events_by_card").ifExists().execute();
  await db.schema.alterTable("sim_cards").dropColumn("forgotten_at").execute();
};
