/**
 * The Online page's data: the cards a user works with now, the cards they may bring online
 * (a bounded search over their inventory), and the latest SMS, calls and USSD of the cards
 * they work with.
 *
 * "The cards I work with" are the user's own holds: what the page's "bring online" and the
 * SimFolder API's cardSelect take in the user's name (`user:<id>`), kept as rows by the
 * shared holds. A viewer takes no holds; they (and anyone who asks) can instead watch every
 * card that sits in a modem of their devices now.
 *
 * Every read is bounded: at most WORKING_MAX cards, each card's newest FEED_PER_CARD records
 * of each kind along its (card, time) index, so the page costs the same with a million SMS.
 */
import { sql } from "kysely";
import { extractedCode } from "../api/srnav/format";
import { cardConditions } from "../cards/inventory";
import type { PanelContext } from "./context";
import { cardIds, cardRows, cardScope, parseCardQuery, type CardRow } from "./cards-view";
import type { Viewer } from "./farm-view";

export const WORKING_MAX = 200;
export const PICK_MAX = 25;
const FEED_PER_CARD = 20;
export const FEED_MAX = 60;

export type OnlineShow = "mine" | "modems";

export const holderName = (userId: number) => `user:${userId}`;

export interface WorkingCard extends CardRow {
  /** The user's hold on its position: how far the switch got (null when watched without one). */
  readonly hold: { readonly state: string; readonly error: string | null } | null;
}

export type FeedItem =
  | { readonly kind: "sms-in"; readonly id: number; readonly iccid: string; readonly at: Date; readonly sender: string; readonly text: string; readonly parts: number; readonly missing: readonly number[]; readonly code: string | null }
  | { readonly kind: "sms-out"; readonly id: number; readonly iccid: string; readonly at: Date; readonly to: string; readonly text: string; readonly state: string; readonly error: string | null }
  | { readonly kind: "ussd"; readonly id: number; readonly iccid: string; readonly at: Date; readonly request: string; readonly reply: string | null; readonly status: string | null; readonly state: string }
  | { readonly kind: "call"; readonly id: number; readonly iccid: string; readonly at: Date; readonly direction: string; readonly number: string | null; readonly state: string; readonly endedAt: Date | null };

export interface OnlinePage {
  readonly show: OnlineShow;
  readonly cards: readonly WorkingCard[];
  readonly feed: readonly FeedItem[];
  readonly search: string;
  /** Cards matching the search that the user does not work with yet (empty without a search). */
  readonly candidates: readonly CardRow[];
  /** How many more match than are shown. */
  readonly more: number;
}

type User = Viewer & { readonly admin: boolean };

/** The user's holds on their visible cards, oldest first, with the card each names. */
const heldCards = async (ctx: PanelContext, user: User) => {
  const { scope } = await cardScope(ctx, user);
  const rows = await sql<{ id: number; device: string; position: string; state: string; error: string | null }>`
    select c.id, h.device, h.position, h.state, h.error
    from holds h
      join devices d on d.key = h.device
      join sim_cards c on c.device_id = d.id and c.place = h.position
    where h.holder = ${holderName(user.id)} and ${sql.join(cardConditions(scope, {}, "c"), sql` and `)}
    order by h.created_at, c.id
    limit ${WORKING_MAX}`.execute(ctx.db);
  return rows.rows.map((r) => {
    // This host's scheduler knows first; a row is as fresh as its driving host's last write.
    const place = ctx.scheduler.place(r.device, r.position);
    const live = place?.hold?.holder === holderName(user.id) ? place.hold : null;
    return { id: r.id, hold: live ? { state: live.state, error: live.error } : { state: r.state, error: r.error } };
  });
};

/** Every card of the user's that sits in a modem now (registered at home or roaming). */
const cardsInModems = async (ctx: PanelContext, user: User) => {
  const { scope, devices } = await cardScope(ctx, user);
  const base = parseCardQuery(new URLSearchParams());
  const [home, roaming] = await Promise.all([1, 5].map((state) => cardIds(ctx, scope, devices, { ...base, state }, { limit: WORKING_MAX, offset: 0 })));
  return [...home!.ids, ...roaming!.ids].slice(0, WORKING_MAX).map((id) => ({ id, hold: null }));
};

/** The ids of the user's cards among `ids`, with each one's place (for the scheduler). */
export const ownCards = async (ctx: PanelContext, user: User, ids: readonly number[]) => {
  if (ids.length === 0) return [];
  const { scope } = await cardScope(ctx, user);
  let q = ctx.db.selectFrom("sim_cards as c").leftJoin("devices as d", "d.id", "c.device_id").select(["c.id", "c.iccid", "c.place", "d.key as device"]).where("c.id", "in", [...ids]);
  for (const c of cardConditions(scope, {}, "c")) q = q.where(c);
  return q.execute();
};

const newestOf = async (ctx: PanelContext, iccids: readonly string[]): Promise<FeedItem[]> => {
  if (iccids.length === 0) return [];
  const cards = sql`unnest(${[...iccids]}::text[]) as k(iccid)`;
  const [smsIn, smsOut, ussd, calls] = await Promise.all([
    sql<{ id: number; iccid: string; at: Date; sender: string; text: string; parts: number; missing: number[] }>`
      select s.id, s.iccid, s.received_at as at, s.sender, s.text, s.parts, s.missing from ${cards}
      cross join lateral (select * from sms_in where sms_in.iccid = k.iccid order by received_at desc, id desc limit ${FEED_PER_CARD}) s`.execute(ctx.db),
    sql<{ id: number; iccid: string; at: Date; addressee: string; text: string; state: string; error: string | null }>`
      select s.id, s.iccid, s.created_at as at, s.addressee, s.text, s.state, s.error from ${cards}
      cross join lateral (select * from sms_out where sms_out.iccid = k.iccid order by created_at desc, id desc limit ${FEED_PER_CARD}) s`.execute(ctx.db),
    sql<{ id: number; iccid: string; at: Date; request: string; reply: string | null; status: string | null; state: string }>`
      select u.id, u.iccid, u.created_at as at, u.request, u.reply, u.status, u.state from ${cards}
      cross join lateral (select * from ussd where ussd.iccid = k.iccid order by created_at desc, id desc limit ${FEED_PER_CARD}) u`.execute(ctx.db),
    sql<{ id: number; iccid: string; at: Date; direction: string; number: string | null; state: string; ended_at: Date | null }>`
      select c.id, c.iccid, c.started_at as at, c.direction, c.number, c.state, c.ended_at from ${cards}
      cross join lateral (select * from calls where calls.iccid = k.iccid order by started_at desc, id desc limit ${FEED_PER_CARD}) c`.execute(ctx.db),
  ]);
  const items: FeedItem[] = [
    ...smsIn.rows.map((r): FeedItem => ({ kind: "sms-in", id: Number(r.id), iccid: r.iccid, at: new Date(r.at), sender: r.sender, text: r.text, parts: r.parts, missing: r.missing ?? [], code: extractedCode(r.text) })),
    ...smsOut.rows.map((r): FeedItem => ({ kind: "sms-out", id: Number(r.id), iccid: r.iccid, at: new Date(r.at), to: r.addressee, text: r.text, state: r.state, error: r.error })),
    ...ussd.rows.map((r): FeedItem => ({ kind: "ussd", id: Number(r.id), iccid: r.iccid, at: new Date(r.at), request: r.request, reply: r.reply, status: r.status, state: r.state })),
    ...calls.rows.map((r): FeedItem => ({ kind: "call", id: Number(r.id), iccid: r.iccid, at: new Date(r.at), direction: r.direction, number: r.number, state: r.state, endedAt: r.ended_at })),
  ];
  return items.sort((a, b) => b.at.getTime() - a.at.getTime() || b.id - a.id).slice(0, FEED_MAX);
};

export const onlinePage = async (ctx: PanelContext, user: User, q: { show: OnlineShow; search: string }): Promise<OnlinePage> => {
  const chosen = q.show === "modems" ? await cardsInModems(ctx, user) : await heldCards(ctx, user);
  const rows = await cardRows(ctx, chosen.map((c) => c.id));
  const holds = new Map(chosen.map((c) => [c.id, c.hold]));
  const cards = rows.map((r): WorkingCard => ({ ...r, hold: holds.get(r.id) ?? null }));
  const [feed, picked] = await Promise.all([newestOf(ctx, cards.map((c) => c.iccid)), q.search ? pickable(ctx, user, q.search, new Set(cards.map((c) => c.id))) : Promise.resolve({ rows: [], more: 0 })]);
  return { show: q.show, cards, feed, search: q.search, candidates: picked.rows, more: picked.more };
};

/** The SIM cards page's own search (ICCID, number, name, comment), one bounded page of it. */
const pickable = async (ctx: PanelContext, user: User, search: string, working: ReadonlySet<number>): Promise<{ rows: CardRow[]; more: number }> => {
  const { scope, devices } = await cardScope(ctx, user);
  const query = parseCardQuery(new URLSearchParams({ q: search }));
  const { ids, total } = await cardIds(ctx, scope, devices, query, { limit: PICK_MAX + Math.min(working.size, WORKING_MAX), offset: 0 });
  const fresh = ids.filter((id) => !working.has(id));
  const shown = fresh.slice(0, PICK_MAX);
  const workingMatched = ids.length - fresh.length;
  return { rows: await cardRows(ctx, shown), more: Math.max(0, (total ?? 0) - workingMatched - shown.length) };
};

/** One USSD exchange of the user's cards, as the page's in-place box follows it. */
export const ussdExchange = async (ctx: PanelContext, user: User, id: number) => {
  const { scope } = await cardScope(ctx, user);
  let q = ctx.db.selectFrom("ussd as u").innerJoin("sim_cards as c", "c.iccid", "u.iccid").select(["u.id", "c.id as card", "u.request", "u.reply", "u.status", "u.state"]).where("u.id", "=", id);
  for (const c of cardConditions(scope, {}, "c")) q = q.where(c);
  return (await q.executeTakeFirst()) ?? null;
};
