/**
 * The Pools page's data, read through the SR-Navigator facade (src/api/srnav): a pool's
 * cards as the API offers them, its FREE/USED counts as getPoolStatus gives them, each
 * card's status word as getSimStatus says it, and who holds each card's position now (the
 * pool's client, a user, a job).
 */
import { poolStatusOf } from "../api/srnav/actions";
import { holderOfPool, liveWord, poolCards, type LiveWord, type PoolCard } from "../api/srnav/pool-cards";
import { listPools, type PoolSummary } from "../pools/pools";
import { holderName } from "./farm-view";
import { runIn, type PanelContext } from "./context";

export const MEMBERS_PER_PAGE = 50;

export interface MemberRow {
  readonly card: PoolCard;
  readonly word: LiveWord;
  readonly online: boolean;
  /** Who holds the card's position now, and how far its switch got. */
  readonly hold: { readonly holder: string; readonly name: string; readonly state: string; readonly mine: boolean } | null;
}

export interface PoolDetail {
  readonly pool: PoolSummary;
  /** getPoolStatus over the cards the API offers. */
  readonly status: { readonly total: number; readonly used: number; readonly free: number; readonly channels: number };
  readonly rows: readonly MemberRow[];
  readonly page: number;
  readonly pages: number;
}

export const poolDetail = async (ctx: PanelContext, id: number, page: number): Promise<PoolDetail | null> => {
  const pool = (await listPools(ctx.db)).find((p) => p.id === id);
  if (!pool) return null;
  const cards = await poolCards(ctx.db, id);
  const status = await poolStatusOf(ctx, cards);
  const pages = Math.max(1, Math.ceil(cards.length / MEMBERS_PER_PAGE));
  const shown = Math.min(Math.max(1, page), pages);
  const names = new Map<string, string>();
  const rows: MemberRow[] = [];
  // The page's cards only: each status word may read a modem's state.
  for (const card of cards.slice((shown - 1) * MEMBERS_PER_PAGE, shown * MEMBERS_PER_PAGE)) {
    // The card's live state once: its word and who holds it come from the same reading.
    const live = await runIn(ctx)(ctx.directory.liveOf(card));
    const hold = live.hold;
    if (hold && !names.has(hold.holder)) names.set(hold.holder, await holderName(ctx, hold.holder));
    rows.push({ card, word: liveWord(id, card, live), online: live.online, hold: hold ? { holder: hold.holder, name: names.get(hold.holder)!, state: hold.state, mine: hold.holder === holderOfPool(id) } : null });
  }
  return { pool, status, rows, page: shown, pages };
};
