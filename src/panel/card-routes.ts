/**
 * The SIM cards page's further routes: a card's history page (`/cards/<id>`, every role)
 * and the bulk actions (`POST /cards/bulk`, operators and admins), on the ticked cards or
 * on the whole filter, answered back on the same list with what was done.
 */
import { audit } from "../access/audit";
import { cardConditions } from "../cards/inventory";
import { feedEnd } from "../events/feed";
import { BULK_ACTIONS, BULK_WORK_MAX, bulkCards, runBulk, type BulkAction } from "./card-bulk";
import { cardHistory, HISTORY_KINDS, parseCursor, type HistoryKind } from "./card-history";
import { cardIds, cardQueryString, cardRows, cardScope, parseCardQuery } from "./cards-view";
import type { PanelContext } from "./context";
import { html } from "./html";
import { clientAddress, redirect } from "./http";
import type { Translate } from "./i18n/locale";
import { historyMain } from "./pages/card-history";
import { errorPage, refusedRole, sendPage, type PageRoutes, type PanelRequest } from "./route-kit";

/** The notice on the list after a bulk action (its outcome travels in the address: counts only). */
export const bulkNotice = (t: Translate, q: URLSearchParams): { kind: "info"; text: string } | null => {
  const action = q.get("bulk");
  if (!action || !(BULK_ACTIONS as readonly string[]).includes(action)) return null;
  const n = (name: string) => Number(/^\d{1,7}$/.test(q.get(name) ?? "") ? q.get(name) : 0);
  const why = (q.get("why") ?? "").slice(0, 200);
  return { kind: "info", text: `${t(`cards.bulk.done.${action as BulkAction}`, { done: n("done"), skipped: n("skipped") })}${why ? ` ${t("cards.bulk.why", { why })}` : ""}` };
};

export const cardRoutes = (ctx: PanelContext): PageRoutes => {
  /** A card's page: its history of one kind, paged back. */
  const showCard = async (r: PanelRequest, id: number): Promise<void> => {
    const s = r.session!;
    const feed = await feedEnd(ctx.db);
    const { scope } = await cardScope(ctx, s.user);
    // The user's own card (the one narrowing every list goes through), with its live state and place.
    let own = ctx.db.selectFrom("sim_cards").select("id").where("id", "=", id);
    for (const c of cardConditions(scope, {})) own = own.where(c);
    const [card] = (await own.executeTakeFirst()) ? await cardRows(ctx, [id]) : [];
    if (!card) return errorPage(r, 404, r.t("cards.notFound"));
    const q = r.url.searchParams;
    const kind = (HISTORY_KINDS as readonly string[]).includes(q.get("show") ?? "") ? (q.get("show") as HistoryKind) : "sms";
    const history = await cardHistory(ctx, card.iccid, kind, parseCursor(q.get("before")));
    await sendPage(ctx, r, { nav: "/cards", title: r.t("cards.history.title", { iccid: card.iccid }), main: historyMain(r.t, card, kind, history, q.has("before")), feed });
  };

  const bulkChange = async (r: PanelRequest, fields: Map<string, string>): Promise<void> => {
    if (refusedRole(r)) return;
    const s = r.session!;
    const backQuery = parseCardQuery(new URLSearchParams(fields.get("back") ?? ""));
    const back = cardQueryString(backQuery);
    const refuse = (text: string) =>
      sendPage(ctx, r, { status: 400, nav: "/cards", title: r.t("cards.title"), main: html`<p class="notice error" role="alert">${text}</p><p><a href="/cards${back ? `?${back}` : ""}">${r.t("cards.import.back")}</a></p>` });
    const action = fields.get("action") ?? "";
    if (!(BULK_ACTIONS as readonly string[]).includes(action)) return await refuse(r.t("cards.bulk.badAction"));
    const bulk = action as BulkAction;
    let poolId: number | null = null;
    if (bulk === "pool-add" || bulk === "pool-remove") {
      const raw = fields.get("pool") ?? "";
      const pool = /^\d{1,9}$/.test(raw) ? await ctx.db.selectFrom("pools").select("id").where("id", "=", Number(raw)).executeTakeFirst() : undefined;
      if (!pool) return await refuse(r.t("cards.bulk.noPool"));
      poolId = pool.id;
    }
    const { scope, devices } = await cardScope(ctx, s.user);
    let ids: number[];
    if (fields.get("target") === "filter") ids = (await cardIds(ctx, scope, devices, backQuery, "all")).ids;
    else {
      // Ticked cards, each checked to be the user's own (the one narrowing again).
      const ticked = [...fields.keys()].flatMap((k) => (/^card\.\d{1,9}$/.test(k) ? [Number(k.slice(5))] : []));
      if (ticked.length === 0) return await refuse(r.t("cards.bulk.noneTicked"));
      let own = ctx.db.selectFrom("sim_cards").select("id");
      for (const c of cardConditions(scope, { cardIds: ticked })) own = own.where(c);
      ids = (await own.execute()).map((c) => c.id);
    }
    if (ids.length === 0) return await refuse(r.t("cards.bulk.noCards"));
    if ((bulk === "online" || bulk === "clear") && ids.length > BULK_WORK_MAX) return await refuse(r.t("cards.bulk.tooMany", { n: ids.length, max: BULK_WORK_MAX }));
    const cards = await bulkCards(ctx.db, ids);
    const outcome = await runBulk(ctx, s.user, bulk, cards, poolId);
    const address = clientAddress(r.req);
    if (bulk === "forget") {
      // Per card, as the import audits: which card left the inventory, from where.
      const byIccid = new Map(cards.map((c) => [c.iccid, c]));
      for (const iccid of outcome.iccids) await audit(ctx.db, { user: s.user.name, address, action: "card.forget", device: byIccid.get(iccid)?.device ?? null, position: byIccid.get(iccid)?.place ?? null, iccid });
    }
    await audit(ctx.db, {
      user: s.user.name,
      address,
      action: `cards.bulk.${bulk}`,
      detail: { target: fields.get("target") === "filter" ? { filter: back } : "ticked", pool: poolId, cards: cards.length, done: outcome.done, skipped: outcome.skipped, reasons: outcome.reasons, iccids: outcome.iccids.slice(0, 1000) },
    });
    const to = new URLSearchParams(back);
    to.set("bulk", bulk);
    to.set("done", String(outcome.done));
    to.set("skipped", String(outcome.skipped));
    if (outcome.reasons[0]) to.set("why", outcome.reasons[0].slice(0, 200));
    return redirect(r.res, `/cards?${to}`);
  };

  return [
    { method: "GET", path: "/cards/:id(\\d{1,9})", handle: (r, { id }) => showCard(r, Number(id)) },
    { method: "POST", path: "/cards/bulk", handle: (r, _params, fields) => bulkChange(r, fields) },
  ];
};
