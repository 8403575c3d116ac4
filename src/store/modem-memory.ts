/**
 * Whose message is it, when it was found in a modem's own memory (ME)? A received PDU names
 * its sender, not its recipient, and ME stays with the modem while cards come and go (a SIM
 * bank switches them; a person swaps them). simgate keeps ME out of use (+CPMS set to the
 * SIM at every bring-up), so a message lands there only while a modem had forgotten that:
 * after a power cycle or replug, before it was set up again.
 *
 * What is known: it arrived after the SMSC stamped it (less a clock allowance) and after the
 * modem's memory was last read empty; and which cards were seen on the modem since then.
 * When exactly one card can have been there, it is that card's. Otherwise it is kept as
 * unattributed with the evidence, never put down to a guessed card.
 */
import { sql, type Transaction } from "kysely";
import type { Database } from "./schema";

/** How far an SMSC's clock may be behind ours (real ones are off by minutes). */
export const SMSC_CLOCK_ALLOWANCE_MS = 5 * 60_000;

export interface ModemPlace {
  readonly device: string;
  /** 1-based within its device. */
  readonly modem: number;
}

export type Attribution =
  | { readonly kind: "card"; readonly iccid: string }
  | { readonly kind: "unattributed"; readonly reason: string; readonly windowStart: Date | null; readonly candidates: readonly string[] };

/**
 * The database's clock, to the millisecond: these stamps are compared with each other after a
 * trip through JavaScript dates, which would cut microseconds off one side only.
 */
export const NOW_MS = sql<Date>`date_trunc('milliseconds', now())`;

/** The card on the modem now: the stay goes on, or a new one starts (database clock). */
export const cardSeen = async (trx: Transaction<Database>, place: ModemPlace, iccid: string): Promise<void> => {
  const latest = await trx
    .selectFrom("modem_cards")
    .select(["id", "iccid"])
    .where("device", "=", place.device)
    .where("modem", "=", place.modem)
    .orderBy("id", "desc")
    .limit(1)
    .forUpdate()
    .executeTakeFirst();
  if (latest?.iccid === iccid) await trx.updateTable("modem_cards").set({ last_seen: NOW_MS }).where("id", "=", latest.id).execute();
  else await trx.insertInto("modem_cards").values({ device: place.device, modem: place.modem, iccid, first_seen: NOW_MS, last_seen: NOW_MS }).execute();
};

export const attributeModemMemory = async (
  trx: Transaction<Database>,
  place: ModemPlace,
  input: { readonly storage: string; readonly smscTime: Date | null; readonly currentIccid: string | null; readonly now: Date },
): Promise<Attribution> => {
  const emptied = await trx
    .selectFrom("modem_sweeps")
    .select("emptied_at")
    .where("device", "=", place.device)
    .where("modem", "=", place.modem)
    .where("storage", "=", input.storage)
    .executeTakeFirst();
  // A stamp from the future says the SMSC's clock is wrong: it bounds nothing.
  const stamp = input.smscTime && !Number.isNaN(input.smscTime.getTime()) && input.smscTime.getTime() <= input.now.getTime() + SMSC_CLOCK_ALLOWANCE_MS ? input.smscTime : null;
  const bounds = [emptied?.emptied_at.getTime(), stamp ? stamp.getTime() - SMSC_CLOCK_ALLOWANCE_MS : undefined].filter((t): t is number => t !== undefined);
  if (bounds.length === 0)
    return { kind: "unattributed", reason: "neither the SMSC time nor an earlier empty read bounds when it arrived", windowStart: null, candidates: input.currentIccid ? [input.currentIccid] : [] };
  const windowStart = new Date(Math.max(...bounds));
  // The card on the modem when the window opened, and every card seen there since.
  const before = await trx
    .selectFrom("modem_cards")
    .select(["iccid"])
    .where("device", "=", place.device)
    .where("modem", "=", place.modem)
    .where("first_seen", "<=", windowStart)
    .orderBy("first_seen", "desc")
    .orderBy("id", "desc")
    .limit(1)
    .executeTakeFirst();
  const since = await trx
    .selectFrom("modem_cards")
    .select(sql<string>`distinct iccid`.as("iccid"))
    .where("device", "=", place.device)
    .where("modem", "=", place.modem)
    .where("last_seen", ">=", windowStart)
    .execute();
  const candidates = [...new Set([...(before ? [before.iccid] : []), ...since.map((r) => r.iccid), ...(input.currentIccid ? [input.currentIccid] : [])])].sort();
  if (!before)
    return { kind: "unattributed", reason: `no record of which card was on the modem at ${windowStart.toISOString()}`, windowStart, candidates };
  if (candidates.length === 1) return { kind: "card", iccid: candidates[0]! };
  return { kind: "unattributed", reason: `${candidates.length} cards were on the modem since ${windowStart.toISOString()}`, windowStart, candidates };
};
