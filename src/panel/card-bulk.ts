/**
 * The SIM cards page's bulk actions, on the cards ticked or on every card of the filter:
 * bring online (through the scheduler, a hold of the user's as a SimFolder cardSelect
 * takes, refused per card when it would move a held card), add to or take out of a pool
 * (src/pools/pools.ts), clear the storage (a card job each, as the API's work on a card),
 * forget (src/cards/inventory.ts). Work on the hardware is bounded per request.
 */
import { Effect } from "effect";
import type { Kysely } from "kysely";
import { forgetCards } from "../cards/inventory";
import { enqueueCardWork } from "../jobs/card-jobs";
import { addPoolCards, removePoolCards } from "../pools/pools";
import { inPoolTurn } from "../api/srnav/handler";
import type { Database } from "../store/schema";
import { runIn, type PanelContext } from "./context";

export const BULK_ACTIONS = ["online", "pool-add", "pool-remove", "clear", "forget"] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];

/** Cards per request for the actions that are work on the hardware (a switch, a job). */
export const BULK_WORK_MAX = 500;

export interface BulkCard {
  readonly id: number;
  readonly iccid: string;
  readonly device: string | null;
  readonly place: string | null;
}

export interface BulkOutcome {
  readonly done: number;
  readonly skipped: number;
  /** The first few reasons a card was left out. */
  readonly reasons: readonly string[];
  /** The ICCIDs acted on. */
  readonly iccids: readonly string[];
}

/** The cards of these ids with their device and place, in batches. */
export const bulkCards = async (db: Kysely<Database>, ids: readonly number[]): Promise<BulkCard[]> => {
  const out: BulkCard[] = [];
  for (let i = 0; i < ids.length; i += 5000) {
    const rows = await db.selectFrom("sim_cards as c").leftJoin("devices as d", "d.id", "c.device_id").select(["c.id", "c.iccid", "d.key as device", "c.place"]).where("c.id", "in", ids.slice(i, i + 5000)).execute();
    out.push(...rows);
  }
  return out;
};

export const runBulk = async (ctx: PanelContext, user: { readonly id: number }, action: BulkAction, cards: readonly BulkCard[], poolId: number | null): Promise<BulkOutcome> => {
  const reasons: string[] = [];
  const skip = (why: string) => void (reasons.length < 5 && reasons.push(why));
  const iccids = cards.map((c) => c.iccid);
  if (action === "pool-add") {
    const added = await addPoolCards(ctx.db, poolId!, iccids);
    return { done: added, skipped: cards.length - added, reasons, iccids };
  }
  if (action === "pool-remove") {
    const { removed, open } = await inPoolTurn(poolId!, () => removePoolCards(ctx.db, poolId!, iccids));
    return { done: removed, skipped: cards.length - removed, reasons: open ? [`${open} open in the pool`] : [], iccids };
  }
  if (action === "forget") {
    const { forgotten, held } = await forgetCards(ctx.db, cards.map((c) => c.id));
    if (held.length) skip(`${held.join(", ")}: held now`);
    return { done: forgotten.length, skipped: cards.length - forgotten.length, reasons, iccids: forgotten.map((c) => c.iccid) };
  }
  const acted: string[] = [];
  for (const c of cards) {
    if (!c.device || !c.place) {
      skip(`${c.iccid}: placed nowhere`);
      continue;
    }
    if (action === "online") {
      // As SimFolder cardSelect: the user's hold, checked against every other hold at once.
      const claimed = await runIn(ctx)(Effect.either(ctx.scheduler.claim(c.device, c.place, `user:${user.id}`)));
      if (claimed._tag === "Left") {
        skip(`${c.iccid}: ${claimed.left.message}`);
        continue;
      }
    } else await runIn(ctx)(enqueueCardWork(ctx.db, { kind: "clear", iccid: c.iccid }));
    acted.push(c.iccid);
  }
  return { done: acted.length, skipped: cards.length - acted.length, reasons, iccids: acted };
};
