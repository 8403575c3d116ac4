/**
 * 0015: the SIM cards page.
 * - `sim_cards.balance_at`: when the balance was read, so a balance is shown with its age
 *   (whoever records a balance sets both).
 * Frozen once shipped.
 */
import type { Kysely } from "kysely";

export const up = async (db: Kysely<any>): Promise<void> => {
  await db.schema.alterTable("sim_cards").addColumn("balance_at", "timestamptz").execute();
};

export const down = async (db: Kysely<any>): Promise<void> => {
  await db.schema.alterTable("sim_cards").dropColumn("balance_at").execute();
};
