/**
 * The Messages page's addresses: the page (`/messages`, and its live region as a fragment),
 * the CSV export (`/messages.csv`), and two state changes for those who may work the farm:
 * deleting ticked rows (`/messages/delete`, the shared delete the SimFolder API's *Delete
 * methods use) and assigning an unattributed message to a card (`/messages/assign`, stored
 * then as the SMS sink stores a part of that card). The handler has checked the session, the
 * Origin and the CSRF token before a POST reaches here; the role is checked here, by the server.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { audit } from "../access/audit";
import { mayWorkTheFarm } from "../access/roles";
import type { Session } from "../access/sessions";
import { cardConditions, scopedCards } from "../cards/inventory";
import { feedEnd, formatPosition } from "../events/feed";
import { deleteRecords, deleteUnattributed, type RecordTable } from "../messages/records";
import { assignUnattributed } from "../store/sms-sink";
import { cardScope } from "./cards-view";
import type { PanelContext } from "./context";
import { clientAddress, redirect, securityHeaders, sendHtml } from "./http";
import type { Locale, Translate } from "./i18n/locale";
import { shell } from "./layout";
import type { PageRoutes } from "./route-kit";
import { streamMessagesCsv } from "./messages-csv";
import { KINDS, messagePage, messageQueryString, messageRows, parseMessageQuery, type Kind, type Who } from "./messages-view";
import { messagesLive, messagesMain, problemText, type Notice } from "./pages/messages";

export interface MessagesRequest {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  readonly session: Session | null;
  readonly locale: Locale;
  readonly t: Translate;
}

/** At most this many rows deleted by one request (a page holds 200). */
const MAX_DELETE = 1000;

const TABLES: Record<Exclude<Kind, "unattributed">, RecordTable> = { in: "sms_in", out: "sms_out", ussd: "ussd", calls: "calls" };

export const messagesRoutes = (ctx: PanelContext): PageRoutes => {
  const whoIs = async (s: Session): Promise<Who> => cardScope(ctx, s.user);

  const show = async (r: MessagesRequest, query: URLSearchParams, opts: { status?: number; notice?: Notice } = {}) => {
    const s = r.session!;
    const parsed = parseMessageQuery(query);
    const data = await messagePage(ctx.db, await whoIs(s), parsed);
    const o = { mayEdit: mayWorkTheFarm(s.user.role), csrf: s.csrf };
    const status = opts.status ?? (data.problems.length ? 400 : 200);
    if (r.req.headers["x-simgate-fragment"] === "1") {
      r.res.writeHead(status, { ...securityHeaders, "content-type": "text/html; charset=utf-8" });
      r.res.end(messagesLive(r.t, data, o).text);
      return;
    }
    let notice = opts.notice ?? null;
    const deleted = query.get("deleted");
    const assigned = query.get("assigned");
    if (!notice && deleted !== null && /^\d{1,4}$/.test(deleted)) notice = { kind: "info", text: r.t("messages.deleted", { n: Number(deleted) }) };
    if (!notice && assigned && /^\d{18,22}[Ff]?$/.test(assigned)) notice = { kind: "info", text: r.t("messages.assigned", { iccid: assigned }) };
    const feed = await feedEnd(ctx.db);
    const main = messagesMain(r.t, data, o, notice);
    sendHtml(r.res, status, shell({ t: r.t, locale: r.locale, user: s.user, csrf: s.csrf, path: "/messages", title: r.t("messages.title"), feedPosition: formatPosition(feed), main }));
  };

  /** A refused change: the list it came from again, with why, and nothing changed. */
  const refuse = (r: MessagesRequest, back: URLSearchParams, status: number, text: string) => show(r, back, { status, notice: { kind: "error", text } });

  const exportCsv = async (r: MessagesRequest) => {
    const s = r.session!;
    const parsed = parseMessageQuery(r.url.searchParams);
    const who = await whoIs(s);
    // Refused before a byte is sent: a bad filter, or a card filter that names too many cards.
    const problems = parsed.problems.length ? parsed.problems : (await messageRows(ctx.db, who, { ...parsed.query, before: null, after: null }, 1)).problems;
    if (problems.length) {
      r.res.writeHead(400, { ...securityHeaders, "content-type": "text/plain; charset=utf-8" });
      r.res.end(`${problems.map((p) => problemText(r.t, p)).join("\n")}\n`);
      return;
    }
    const q = parsed.query;
    await streamMessagesCsv(ctx.db, r.res, who, q, `messages-${q.kind}-${new Date().toISOString().slice(0, 10)}.csv`, () =>
      audit(ctx.db, { user: s.user.name, address: clientAddress(r.req), action: "messages.export", detail: { query: messageQueryString(q, { before: null, after: null }) } }),
    );
  };

  const remove = async (r: MessagesRequest, fields: Map<string, string>) => {
    const s = r.session!;
    const back = new URLSearchParams(fields.get("back") ?? "");
    back.delete("deleted");
    back.delete("assigned");
    if (!mayWorkTheFarm(s.user.role)) return refuse(r, back, 403, r.t("refused.role", { role: r.t(`role.${s.user.role}`) }));
    const kind = fields.get("kind") ?? "";
    if (!(KINDS as readonly string[]).includes(kind)) return refuse(r, back, 400, r.t("messages.bad.kind"));
    back.set("kind", kind);
    // Every ticked box is a field of its own name (id-<id>: the form's fields are read by name,
    // one value each); `ids`, a comma-separated list, says the same in one field.
    const raw = [...[...fields.keys()].flatMap((k) => (/^id-/.test(k) ? [k.slice(3)] : [])), ...(fields.get("ids") ?? "").split(",").filter((v) => v.trim() !== "")];
    if (raw.length === 0) return refuse(r, back, 400, r.t("messages.bad.noneTicked"));
    if (raw.length > MAX_DELETE) return refuse(r, back, 400, r.t("messages.bad.tooMany", { max: MAX_DELETE }));
    if (raw.some((id) => !/^\d{1,15}$/.test(id.trim()))) return refuse(r, back, 400, r.t("messages.bad.ids"));
    const ids = [...new Set(raw.map((id) => Number(id.trim())))];
    const who = await whoIs(s);
    let deleted: number;
    if (kind === "unattributed") deleted = await deleteUnattributed(ctx.db, ids, who.scope.everywhere ? null : who.devices.map((d) => d.key));
    else {
      const iccids = who.scope.everywhere ? null : (await scopedCards(ctx.db, who.scope, {}).execute()).map((c) => c.iccid);
      deleted = await deleteRecords(ctx.db, TABLES[kind as Exclude<Kind, "unattributed">], ids, { iccids });
    }
    await audit(ctx.db, { user: s.user.name, address: clientAddress(r.req), action: "messages.delete", detail: { kind, ids, deleted } });
    back.set("deleted", String(deleted));
    return redirect(r.res, `/messages?${back}`);
  };

  const assign = async (r: MessagesRequest, fields: Map<string, string>) => {
    const s = r.session!;
    const back = new URLSearchParams(fields.get("back") ?? "kind=unattributed");
    back.delete("deleted");
    back.delete("assigned");
    back.set("kind", "unattributed");
    if (!mayWorkTheFarm(s.user.role)) return refuse(r, back, 403, r.t("refused.role", { role: r.t(`role.${s.user.role}`) }));
    const idText = (fields.get("id") ?? "").trim();
    const iccid = (fields.get("iccid") ?? "").trim();
    if (!/^\d{1,15}$/.test(idText)) return refuse(r, back, 400, r.t("messages.bad.ids"));
    if (!/^\d{18,22}[Ff]?$/.test(iccid)) return refuse(r, back, 400, r.t("messages.assign.badIccid"));
    const who = await whoIs(s);
    const id = Number(idText);
    let row = ctx.db.selectFrom("sms_unattributed").select(["id", "device", "modem", "sender"]).where("id", "=", id);
    if (!who.scope.everywhere) row = row.where("device", "in", who.devices.length ? who.devices.map((d) => d.key) : [""]);
    const message = await row.executeTakeFirst();
    if (!message) return refuse(r, back, 404, r.t("messages.assign.gone"));
    let card = ctx.db.selectFrom("sim_cards as c").select(["c.iccid"]).where("c.iccid", "=", iccid);
    for (const c of cardConditions(who.scope, {}, "c")) card = card.where(c);
    if (!(await card.executeTakeFirst())) return refuse(r, back, 400, r.t("messages.assign.notYours", { iccid }));
    const done = await assignUnattributed(ctx.db, id, iccid);
    if (!done) return refuse(r, back, 404, r.t("messages.assign.gone"));
    await audit(ctx.db, { user: s.user.name, address: clientAddress(r.req), action: "message.assign", device: message.device, iccid, detail: { unattributed_id: id, modem: message.modem, sender: message.sender } });
    back.set("assigned", iccid);
    return redirect(r.res, `/messages?${back}`);
  };

  return [
    { method: "GET", path: "/messages", handle: (r) => show(r, r.url.searchParams) },
    { method: "GET", path: "/messages.csv", handle: (r) => exportCsv(r) },
    { method: "POST", path: "/messages/delete", handle: (r, _params, fields) => remove(r, fields) },
    { method: "POST", path: "/messages/assign", handle: (r, _params, fields) => assign(r, fields) },
  ];
};
