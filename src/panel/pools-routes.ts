/**
 * The Pools page's routes. Reading: every role. Changing (create, rename, a new key,
 * poolRestart, merge, cards added or taken out by filter): operators and admins, through
 * src/pools/pools.ts and the SR-Navigator facade's own functions, in the pool's turn with
 * the API's actions; every change audited. A new key is shown on the answer itself, once:
 * never in an address, never stored but as its hash.
 */
import { audit } from "../access/audit";
import { mayWorkTheFarm } from "../access/roles";
import { poolStatusOf, restartPool } from "../api/srnav/actions";
import { inPoolTurn } from "../api/srnav/handler";
import { poolCards } from "../api/srnav/pool-cards";
import { feedEnd } from "../events/feed";
import { addPoolCards, createPool, listPools, mergePools, parsePoolFilter, PoolBusy, PoolFilterError, poolTitleProblem, removePoolCards, renamePool, rotatePoolKey, type PoolFilter } from "../pools/pools";
import { cardIds, cardPage, cardScope, parseCardQuery } from "./cards-view";
import type { PanelContext } from "./context";
import type { Html } from "./html";
import { clientAddress, redirect } from "./http";
import { keyNotice, poolLive, poolMain, poolsLive, poolsMain, type Notice } from "./pages/pools";
import { poolDetail } from "./pools-view";
import { errorPage, isFragment, refusedRole, sendFragment, sendPage, type PageRoutes, type PanelRequest } from "./route-kit";

/** The card filter's parameters: any of them present means a filter was asked for. */
const FILTER_PARAMS = ["q", "device", "state", "pool", "operator"];

/** The ICCIDs of a user's cards matching a SIM cards page filter (all of them, in batches). */
export const iccidsOfFilter = async (ctx: PanelContext, user: Parameters<typeof cardScope>[1], filter: URLSearchParams): Promise<string[]> => {
  const { scope, devices } = await cardScope(ctx, user);
  const { ids } = await cardIds(ctx, scope, devices, parseCardQuery(filter), "all");
  const out: string[] = [];
  for (let i = 0; i < ids.length; i += 5000) {
    const rows = await ctx.db.selectFrom("sim_cards").select("iccid").where("id", "in", ids.slice(i, i + 5000)).execute();
    out.push(...rows.map((r) => r.iccid));
  }
  return out;
};

export const poolsRoutes = (ctx: PanelContext): PageRoutes => {
  const listRows = async () => {
    const pools = await listPools(ctx.db);
    return Promise.all(pools.map(async (p) => ({ ...p, status: await poolStatusOf(ctx, await poolCards(ctx.db, p.id)) })));
  };

  const showList = async (r: PanelRequest, o: { status?: number; notice?: Notice; shownKey?: Html | null; typed?: { title: string; joins: string } } = {}) => {
    const s = r.session!;
    const feed = isFragment(r) ? null : await feedEnd(ctx.db);
    const rows = await listRows();
    if (feed === null) return sendFragment(r, poolsLive(r.t, rows));
    const main = poolsMain(r.t, rows, { mayWork: mayWorkTheFarm(s.user.role), csrf: s.csrf, notice: o.notice ?? null, shownKey: o.shownKey ?? null, ...(o.typed ? { typed: o.typed } : {}) });
    return sendPage(ctx, r, { status: o.status ?? 200, nav: "/pools", title: r.t("pools.title"), main, feed });
  };

  const notices = (r: PanelRequest): Notice => {
    const q = r.url.searchParams;
    const n = (name: string) => Number(q.get(name) ?? 0);
    if (q.has("renamed")) return { kind: "info", text: r.t("pools.renamed") };
    if (q.has("restarted")) return { kind: "info", text: r.t(q.get("restarted") === "keep" ? "pools.restarted.keep" : "pools.restarted") };
    if (q.has("merged")) return { kind: "info", text: r.t("pools.merged", { n: n("merged") }) };
    if (q.has("added")) return { kind: "info", text: r.t("pools.fill.added", { n: n("added"), matched: n("matched") }) };
    if (q.has("removed")) return { kind: "info", text: r.t(n("open") > 0 ? "pools.fill.removedOpen" : "pools.fill.removed", { n: n("removed"), open: n("open") }) };
    return null;
  };

  const showPool = async (r: PanelRequest, id: number, o: { status?: number; notice?: Notice; shownKey?: Html | null } = {}) => {
    const s = r.session!;
    const q = r.url.searchParams;
    const feed = isFragment(r) ? null : await feedEnd(ctx.db);
    const detail = await poolDetail(ctx, id, Number(/^\d{1,6}$/.test(q.get("members") ?? "") ? q.get("members") : 1));
    if (!detail) return errorPage(r, 404, r.t("pools.notFound"));
    if (feed === null) return sendFragment(r, poolLive(r.t, detail));
    const asked = FILTER_PARAMS.some((p) => q.has(p));
    const cards = await cardPage(ctx, s.user, parseCardQuery(q));
    const others = (await listPools(ctx.db)).filter((p) => p.id !== id).map((p) => ({ id: p.id, title: p.title }));
    const main = poolMain(r.t, detail, { mayWork: mayWorkTheFarm(s.user.role), csrf: s.csrf, notice: o.notice ?? notices(r), shownKey: o.shownKey ?? null, others, fill: { cards, asked } });
    return sendPage(ctx, r, { status: o.status ?? 200, nav: "/pools", title: r.t("pools.title"), main, feed });
  };

  const poolExists = async (id: number) => (await ctx.db.selectFrom("pools").select(["id", "title"]).where("id", "=", id).executeTakeFirst()) ?? null;

  /** A new pool (`target` null), or a change to one. */
  const change = async (r: PanelRequest, fields: Map<string, string>, target: { readonly id: number; readonly action: string } | null): Promise<void> => {
    if (refusedRole(r)) return;
    const s = r.session!;
    const address = clientAddress(r.req);
    const log = (action: string, detail: Record<string, unknown>) => audit(ctx.db, { user: s.user.name, address, action, detail });

    if (target === null) {
      const title = (fields.get("title") ?? "").trim();
      const joins = (fields.get("joins") ?? "").trim();
      const typed = { title, joins };
      const titleProblem = poolTitleProblem(title);
      if (titleProblem) return await showList(r, { status: 400, notice: { kind: "error", text: r.t("pools.refused", { reason: titleProblem }) }, typed });
      let filter: PoolFilter | PoolFilter[];
      try {
        // Empty: no card joins by itself; the pool is filled by hand (by filter, below).
        filter = joins === "" ? [] : parsePoolFilter(joins);
      } catch (error) {
        if (!(error instanceof PoolFilterError)) throw error;
        return await showList(r, { status: 400, notice: { kind: "error", text: r.t("pools.refused", { reason: error.message }) }, typed });
      }
      const made = await createPool(ctx.db, title, filter);
      await log("pool.create", { pool: made.id, title, filter, cards: made.cards });
      return await showList(r, { notice: { kind: "info", text: r.t("pools.created", { title, n: made.cards }) }, shownKey: keyNotice(r.t, title, made.key) });
    }

    const { id, action } = target;
    const pool = await poolExists(id);
    if (!pool) return errorPage(r, 404, r.t("pools.notFound"));
    const back = `/pools/${id}`;

    if (action === "rename") {
      const title = (fields.get("title") ?? "").trim();
      const why = poolTitleProblem(title);
      if (why) return await showPool(r, id, { status: 400, notice: { kind: "error", text: r.t("pools.refused", { reason: why }) } });
      await renamePool(ctx.db, id, title);
      await log("pool.rename", { pool: id, from: pool.title, to: title });
      return redirect(r.res, `${back}?renamed=1`);
    }
    if (action === "key") {
      const key = await rotatePoolKey(ctx.db, id);
      if (key === null) return errorPage(r, 404, r.t("pools.notFound"));
      await log("pool.key", { pool: id });
      return await showPool(r, id, { notice: { kind: "info", text: r.t("pools.key.rotated") }, shownKey: keyNotice(r.t, pool.title, key) });
    }
    if (action === "restart") {
      const keep = fields.get("keep") === "1";
      // In the pool's turn: an openNumber running now finishes first, as with the API's poolRestart.
      await inPoolTurn(id, () => restartPool(ctx, id, keep));
      await log("pool.restart", { pool: id, keep });
      return redirect(r.res, `${back}?restarted=${keep ? "keep" : "all"}`);
    }
    if (action === "merge") {
      const from = Number(/^\d{1,9}$/.test(fields.get("from") ?? "") ? fields.get("from") : NaN);
      const source = Number.isNaN(from) ? null : await poolExists(from);
      if (!source || from === id) return await showPool(r, id, { status: 400, notice: { kind: "error", text: r.t("pools.merge.refused", { reason: r.t("pools.merge.choose") }) } });
      try {
        const { moved } = await inPoolTurn(from, () => mergePools(ctx.db, id, from));
        await log("pool.merge", { pool: id, from, fromTitle: source.title, moved });
        return redirect(r.res, `${back}?merged=${moved}`);
      } catch (error) {
        if (!(error instanceof PoolBusy)) throw error;
        return await showPool(r, id, { status: 409, notice: { kind: "error", text: r.t("pools.merge.refused", { reason: `${source.title}: ${error.message}` }) } });
      }
    }
    // cards: add or take out the cards of a SIM cards page filter.
    const op = fields.get("op");
    if (op !== "add" && op !== "remove") return await showPool(r, id, { status: 400, notice: { kind: "error", text: r.t("pools.fill.badOp") } });
    const filter = new URLSearchParams(fields.get("filter") ?? "");
    const iccids = await iccidsOfFilter(ctx, s.user, filter);
    if (op === "add") {
      const added = await addPoolCards(ctx.db, id, iccids);
      await log("pool.cards.add", { pool: id, filter: filter.toString(), matched: iccids.length, added });
      return redirect(r.res, `${back}?added=${added}&matched=${iccids.length}`);
    }
    const outcome = await inPoolTurn(id, () => removePoolCards(ctx.db, id, iccids));
    await log("pool.cards.remove", { pool: id, filter: filter.toString(), matched: iccids.length, ...outcome });
    return redirect(r.res, `${back}?removed=${outcome.removed}&open=${outcome.open}`);
  };

  return [
    { method: "GET", path: "/pools", handle: (r) => showList(r) },
    { method: "GET", path: "/pools/:id(\\d{1,9})", handle: (r, { id }) => showPool(r, Number(id)) },
    { method: "GET", path: "/pools/*", handle: (r) => errorPage(r, 404, r.t("pools.notFound")) },
    { method: "POST", path: "/pools/create", handle: (r, _params, fields) => change(r, fields, null) },
    { method: "POST", path: "/pools/:id(\\d{1,9})/:action(rename|key|restart|merge|cards)", handle: (r, { id, action }, fields) => change(r, fields, { id: Number(id), action: action! }) },
  ];
};
