/**
 * The Online page's requests. What changes the farm goes the SimFolder API's own way: a card
 * is brought online by cardSelect (the scheduler, in the user's name, within the channels),
 * an SMS, a USSD code or answer and a call by smsSend, ussdSend and callBegin (the durable
 * jobs), answer and hang up by callAnswer and callEnd (the card's modem). Letting a card go
 * is the scheduler's release, as on a device's page; clearing a SIM's storage is its modem's
 * sweep (every message stored, then deleted from the SIM), as the SR-Navigator
 * clearSimStorage does. Viewers are refused here, whatever the page showed them; each
 * change is audited.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { Effect, Option } from "effect";
import { audit } from "../access/audit";
import { mayWorkTheFarm } from "../access/roles";
import type { Session } from "../access/sessions";
import { ApiError, METHODS, type SimFolderContext } from "../api/simfolder/methods";
import { formatPosition, feedEnd } from "../events/feed";
import type { Html } from "./html";
import { clientAddress, redirect, securityHeaders, sendHtml } from "./http";
import type { StringKey } from "./i18n/en";
import type { Locale, Translate } from "./i18n/locale";
import { shell } from "./layout";
import { errorPage as pageError, type PageRoutes } from "./route-kit";
import { holderName, onlinePage, ownCards, ussdExchange, WORKING_MAX, type OnlineShow } from "./online-view";
import { onlineLive, onlineMain, type Notice, type OnlineOptions } from "./pages/online";
import { runIn, type PanelContext } from "./context";

export interface OnlineRequest {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  readonly session: Session | null;
  readonly locale: Locale;
  readonly t: Translate;
}


const ACTIONS = new Set(["bring", "release", "sms", "ussd", "dial", "answer", "hangup", "clear"]);

/** Whether the page's script asked (it wants JSON back instead of a redirect). */
const scripted = (req: IncomingMessage) => (req.headers.accept ?? "").includes("application/json");

const sendJson = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { ...securityHeaders, "content-type": "application/json; charset=utf-8" });
  res.end(JSON.stringify(body));
};

const cardId = (fields: ReadonlyMap<string, string>) => {
  const raw = (fields.get("card") ?? "").trim();
  return /^\d{1,9}$/.test(raw) ? Number(raw) : null;
};

/** The page's own query, kept across a form (`back`): which cards are shown and the search. */
const backQuery = (raw: string | undefined) => {
  const q = new URLSearchParams(raw ?? "");
  const out = new URLSearchParams();
  const show = q.get("show");
  if (show === "modems" || show === "mine") out.set("show", show);
  const search = (q.get("q") ?? "").trim().slice(0, 100);
  if (search) out.set("q", search);
  return out;
};

export const onlineRoutes = (ctx: PanelContext): PageRoutes => {
  // The SimFolder methods the page reuses run with the panel's own services and runtime.
  const api: SimFolderContext = { db: ctx.db, registry: ctx.registry, scheduler: ctx.scheduler, hostTtlMs: ctx.hostTtlMs, version: "panel", directory: ctx.directory, ...(ctx.runtime ? { runtime: ctx.runtime } : {}) };

  const render = async (r: OnlineRequest, status: number, notices: Notice[], extra: { open?: number | null; ussd?: OnlineOptions["ussd"]; typed?: OnlineOptions["typed"] } = {}) => {
    const s = r.session!;
    const q = r.url.searchParams;
    const mayWork = mayWorkTheFarm(s.user.role);
    // A viewer takes no holds: their page watches the cards in modems unless they ask otherwise.
    const show: OnlineShow = q.get("show") === "modems" || (q.get("show") !== "mine" && !mayWork) ? "modems" : "mine";
    const search = (q.get("q") ?? "").trim().slice(0, 100);
    const fragment = r.req.headers["x-simgate-fragment"] === "1";
    // Where the feed stands, read before the data: the tab's stream starts no later than the page.
    const feed = fragment ? null : await feedEnd(ctx.db);
    const data = await onlinePage(ctx, s.user, { show, search });
    if (fragment) {
      r.res.writeHead(200, { ...securityHeaders, "content-type": "text/html; charset=utf-8" });
      return void r.res.end(onlineLive(r.t, data).text);
    }
    const o: OnlineOptions = { mayWork, csrf: s.csrf, open: extra.open ?? null, ussd: extra.ussd ?? null, typed: extra.typed ?? null };
    const main: Html = onlineMain(r.t, data, o, notices);
    sendHtml(r.res, status, shell({ t: r.t, locale: r.locale, user: s.user, csrf: s.csrf, path: "/online", title: r.t("online.title"), feedPosition: formatPosition(feed!), main }));
  };

  /** What the address says was just done (a form's redirect back here). */
  const noticesOf = (t: Translate, q: URLSearchParams): Notice[] => {
    const out: Notice[] = [];
    const n = (name: string) => (/^\d{1,9}$/.test(q.get(name) ?? "") ? Number(q.get(name)) : null);
    const brought = n("brought");
    if (brought !== null) out.push({ kind: "info", text: t("online.done.bring", { n: brought }) });
    for (const refused of q.getAll("refused").slice(0, 20)) out.push({ kind: "error", text: t("online.refused", { reason: refused.slice(0, 300) }) });
    const done = q.get("done");
    if (done && ACTIONS.has(done) && done !== "bring") out.push({ kind: "info", text: t(`online.done.${done}` as StringKey) });
    return out;
  };

  /** The in-place USSD box follows its exchange here until the network answered. */
  const exchange = async (r: OnlineRequest, id: number): Promise<void> => {
    const row = await ussdExchange(ctx, r.session!.user, id);
    if (!row) return sendJson(r.res, 404, { error: r.t("online.notYours") });
    return sendJson(r.res, 200, { id: Number(row.id), card: row.card, request: row.request, reply: row.reply, status: row.status, state: row.state });
  };

  const show = async (r: OnlineRequest): Promise<void> => {
    const s = r.session!;
    const q = r.url.searchParams;
    const open = /^\d{1,9}$/.test(q.get("card") ?? "") ? Number(q.get("card")) : null;
    const ussdId = /^\d{1,15}$/.test(q.get("ussd") ?? "") ? Number(q.get("ussd")) : null;
    const row = ussdId === null ? null : await ussdExchange(ctx, s.user, ussdId);
    const ussd = row ? { card: row.card, id: Number(row.id), request: row.request, reply: row.reply, status: row.status, state: row.state } : null;
    return render(r, 200, noticesOf(r.t, q), { open: open ?? ussd?.card ?? null, ussd });
  };

  const act = async (r: OnlineRequest, action: string, fields: ReadonlyMap<string, string>): Promise<void> => {
    const s = r.session!;
    const errorPage = (status: number, text: string) => pageError(r, status, text);
    const json = scripted(r.req);
    if (!mayWorkTheFarm(s.user.role)) {
      const text = r.t("refused.role", { role: r.t(`role.${s.user.role}`) });
      return json ? sendJson(r.res, 403, { error: text }) : errorPage(403, text);
    }
    const address = clientAddress(r.req);
    const back = backQuery(fields.get("back"));
    const user = { id: s.user.id, name: s.user.name, admin: s.user.admin };
    /** Bad input or a refusal: said on the page (or to the script), nothing changed. */
    const refuse = async (status: number, reason: string, open: number | null) => {
      if (json) return sendJson(r.res, status, { error: r.t("online.refused", { reason }) });
      // Rendered for the page the form was on (its show and search).
      const url = new URL(`/online?${back}`, "http://localhost");
      const typed = open === null ? null : { card: open, to: fields.get("to") ?? "", text: fields.get("text") ?? "", number: fields.get("number") ?? "", code: fields.get("code") ?? "" };
      return render({ ...r, url }, status, [{ kind: "error", text: r.t("online.refused", { reason }) }], { open, typed });
    };

    if (action === "bring") {
      const ids = [...fields.keys()].flatMap((k) => (/^c\d{1,9}$/.test(k) && fields.get(k) === "1" ? [Number(k.slice(1))] : []));
      if (ids.length === 0) return refuse(400, r.t("online.pick.none"), null);
      if (ids.length > WORKING_MAX) return refuse(400, r.t("online.pick.tooMany", { max: WORKING_MAX }), null);
      // One cardSelect per card: a card the channels cannot take is said, the others still come.
      let brought = 0;
      const refused: string[] = [];
      for (const card of await ownCards(ctx, s.user, ids)) {
        const outcome = await METHODS.cardSelect!(api, user, new Map([["card_id", String(card.id)]])).then(
          () => null,
          (error: unknown) => {
            if (error instanceof ApiError) return error.message;
            throw error;
          },
        );
        await audit(ctx.db, { user: s.user.name, address, action: "online.bring", device: card.device, position: card.place, iccid: card.iccid, detail: outcome ? { refused: outcome } : {} });
        if (outcome) refused.push(`${card.iccid}: ${outcome}`);
        else brought++;
      }
      if (brought + refused.length < ids.length) refused.push(r.t("online.notYours"));
      back.set("brought", String(brought));
      for (const why of refused) back.append("refused", why);
      return redirect(r.res, `/online?${back}`);
    }

    const id = cardId(fields);
    const [card] = id === null ? [] : await ownCards(ctx, s.user, [id]);
    if (!card) return json ? sendJson(r.res, 404, { error: r.t("online.notYours") }) : errorPage(404, r.t("online.notYours"));
    const where = { user: s.user.name, address, device: card.device, position: card.place, iccid: card.iccid };
    back.set("card", String(card.id));

    if (action === "release") {
      if (card.device && card.place) await runIn(ctx)(ctx.scheduler.release(card.device, card.place, holderName(s.user.id)));
      await audit(ctx.db, { ...where, action: "online.release" });
      back.delete("card");
      back.set("done", "release");
      return redirect(r.res, `/online?${back}`);
    }

    if (action === "clear") {
      const holder = await runIn(ctx)(ctx.directory.holderOf(card.iccid));
      if (Option.isNone(holder)) return refuse(409, r.t("online.clear.offline"), card.id);
      const swept = await runIn(ctx)(Effect.either(holder.value.actor.sweep));
      await audit(ctx.db, { ...where, action: "online.clear", detail: swept._tag === "Left" ? { failed: swept.left.message } : {} });
      if (swept._tag === "Left") return refuse(502, swept.left.message, card.id);
      back.set("done", "clear");
      return redirect(r.res, `/online?${back}#work-${card.id}`);
    }

    // The SimFolder methods themselves, with the form's fields as their parameters.
    const call = async (method: "smsSend" | "ussdSend" | "callBegin" | "callAnswer" | "callEnd", params: Record<string, string>) => {
      try {
        return { ok: await METHODS[method]!(api, user, new Map(Object.entries({ card_id: String(card.id), ...params }))) };
      } catch (error) {
        if (error instanceof ApiError) return { refused: error.message, status: ({ BAD_PARAM: 400, NOT_FOUND: 404, MODEM_ERROR: 502 } as Record<string, number>)[error.code] ?? 409 };
        throw error;
      }
    };
    const field = (name: string) => (fields.get(name) ?? "").trim();
    const outcome =
      action === "sms"
        ? await call("smsSend", { addressee: field("to"), msg: fields.get("text") ?? "", report: fields.get("report") === "1" ? "1" : "0" })
        : action === "ussd"
          ? await call("ussdSend", { code: field("code") })
          : action === "dial"
            ? await call("callBegin", { number: field("number") })
            : await call(action === "answer" ? "callAnswer" : "callEnd", {});
    const detail =
      action === "sms" ? { to: field("to"), sms_id: outcome.ok?.sms_id ?? null } : action === "ussd" ? { code: field("code"), ussd_id: outcome.ok?.ussd_id ?? null } : action === "dial" ? { number: field("number") } : {};
    await audit(ctx.db, { ...where, action: `online.${action}`, detail: outcome.refused ? { ...detail, refused: outcome.refused } : detail });
    if (outcome.refused !== undefined) return refuse(outcome.status, outcome.refused, card.id);
    if (action === "ussd") {
      const ussd = Number(outcome.ok!.ussd_id);
      if (json) return sendJson(r.res, 200, { ussd_id: ussd });
      back.set("ussd", String(ussd));
      return redirect(r.res, `/online?${back}#work-${card.id}`);
    }
    if (json) return sendJson(r.res, 200, { done: action });
    back.set("done", action);
    return redirect(r.res, `/online?${back}#work-${card.id}`);
  };

  return [
    { method: "GET", path: "/online", handle: (r) => show(r) },
    { method: "GET", path: "/online/ussd/:id(\\d{1,15})", handle: (r, { id }) => exchange(r, Number(id)) },
    { method: "POST", path: `/online/:action(${[...ACTIONS].join("|")})`, handle: (r, { action }, fields) => act(r, action!, fields) },
  ];
};
