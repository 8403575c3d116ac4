/**
 * The Events page: the event log, newest first, with filters (type, device, card, a time
 * window) in a GET form, so every view has an address, and keyset paging (older / newer
 * than an id). The table is the live region: on the newest page an event recorded anywhere
 * appears without a reload, the page's script fetching the region again when the stream
 * reports one.
 */
import { EVENT_TYPES, SERVICE_EVENT_TYPES } from "../../store/events";
import type { EventSlice, LoggedEvent } from "../../events/event-log";
import { html, type Html } from "../html";
import type { StringKey } from "../i18n/en";
import type { Translate } from "../i18n/locale";
import type { Notice } from "./settings";

export const EVENT_KINDS: readonly string[] = [...EVENT_TYPES, ...SERVICE_EVENT_TYPES];
export const EVENT_PAGE_SIZES = [25, 50, 100, 200] as const;

export interface EventQuery {
  readonly type: string;
  readonly device: string;
  /** An ICCID or the card's number, as typed. */
  readonly card: string;
  /** As typed in the form: "YYYY-MM-DDTHH:MM", UTC. */
  readonly from: string;
  readonly to: string;
  readonly before: number | null;
  readonly after: number | null;
  readonly size: number;
}

export const eventQueryString = (q: EventQuery, change: Partial<EventQuery> = {}): string => {
  const v = { ...q, ...change };
  const out = new URLSearchParams();
  if (v.type) out.set("type", v.type);
  if (v.device) out.set("device", v.device);
  if (v.card) out.set("card", v.card);
  if (v.from) out.set("from", v.from);
  if (v.to) out.set("to", v.to);
  if (v.size !== 50) out.set("size", String(v.size));
  if (v.before !== null) out.set("before", String(v.before));
  else if (v.after !== null) out.set("after", String(v.after));
  return out.toString();
};

/** The fields every event carries; the rest are the event's own and shown as its details. */
const COMMON = new Set(["time", "device_id", "device_title", "card_id", "number", "name"]);

const typeLabel = (t: Translate, type: string) => (EVENT_KINDS.includes(type) ? t(`events.type.${type}` as StringKey) : type);

const details = (p: Record<string, unknown>) =>
  Object.entries(p)
    .filter(([k]) => !COMMON.has(k))
    .map(([k, v]) => `${k}: ${v === null ? "–" : typeof v === "object" ? JSON.stringify(v) : String(v)}`)
    .join("; ");

const row = (t: Translate, e: LoggedEvent) => {
  const p = e.payload;
  const at = new Date(e.at);
  const card = [p.number, p.name].filter((x) => typeof x === "string" && x !== "").join(" · ");
  return html`<tr data-event="${e.id}" data-type="${e.type}">
  <td><time datetime="${at.toISOString()}">${at.toISOString().replace("T", " ").slice(0, 19)}</time></td>
  <td>${typeLabel(t, e.type)}</td>
  <td>${e.device ? html`<a href="/devices/${encodeURIComponent(e.device)}">${typeof p.device_title === "string" && p.device_title ? p.device_title : e.device}</a>` : "–"}</td>
  <td>${e.iccid ? html`<span class="iccid">${e.iccid}</span>${card ? html` <small>${card}</small>` : ""}` : "–"}</td>
  <td class="comment">${details(p) || "–"}</td>
</tr>`;
};

const pager = (t: Translate, q: EventQuery, slice: EventSlice) => {
  const newest = slice.rows[0]?.id;
  const oldest = slice.rows.at(-1)?.id;
  const link = (change: Partial<EventQuery>, text: string) => {
    const qs = eventQueryString(q, { before: null, after: null, ...change });
    return html`<a href="/events${qs ? `?${qs}` : ""}">${text}</a>`;
  };
  if (!slice.newer && !slice.older) return html``;
  return html`<nav class="pager" aria-label="${t("events.pages")}">
  ${slice.newer ? html`${link({}, t("events.page.newest"))} ${newest !== undefined ? link({ after: newest }, t("events.page.newer")) : ""}` : ""}
  ${slice.older && oldest !== undefined ? link({ before: oldest }, t("events.page.older")) : ""}
</nav>`;
};

/** The live region: the table and its pager. */
export const eventsLive = (t: Translate, q: EventQuery, slice: EventSlice): Html => html`<div class="table-wrap" role="region" tabindex="0" aria-labelledby="events-caption"><table class="cards event-log">
  <caption id="events-caption">${t("events.caption")}</caption>
  <thead><tr><th scope="col">${t("events.col.time")}</th><th scope="col">${t("events.col.type")}</th><th scope="col">${t("events.col.device")}</th><th scope="col">${t("events.col.card")}</th><th scope="col">${t("events.col.details")}</th></tr></thead>
  <tbody>${slice.rows.length ? slice.rows.map((e) => row(t, e)) : html`<tr><td colspan="5">${t("events.none")}</td></tr>`}</tbody>
</table></div>
${pager(t, q, slice)}`;

const select = (id: string, name: string, label: string, chosen: string, options: ReadonlyArray<readonly [string, string]>) =>
  html`<span class="field"><label for="${id}">${label}</label><select id="${id}" name="${name}">${options.map(([value, text]) => html`<option value="${value}"${value === chosen ? html` selected` : ""}>${text}</option>`)}</select></span>`;

export const eventsMain = (t: Translate, q: EventQuery, devices: ReadonlyArray<{ key: string; title: string }>, slice: EventSlice, notice: Notice): Html => html`${
  notice ? html`<p class="notice ${notice.kind}" role="${notice.kind === "error" ? "alert" : "status"}">${notice.text}</p>` : ""
}
<form method="get" action="/events" class="filters" role="search" aria-label="${t("events.filter.label")}">
  ${select("events-type", "type", t("events.filter.type"), q.type, [["", t("cards.filter.any")], ...EVENT_KINDS.map((k) => [k, typeLabel(t, k)] as const)])}
  ${select("events-device", "device", t("events.filter.device"), q.device, [["", t("cards.filter.allDevices")], ...devices.map((d) => [d.key, d.title] as const)])}
  <span class="field"><label for="events-card">${t("events.filter.card")}</label><input id="events-card" name="card" value="${q.card}" placeholder="${t("events.filter.cardHint")}" maxlength="32"></span>
  <span class="field"><label for="events-from">${t("events.filter.from")}</label><input id="events-from" name="from" type="datetime-local" value="${q.from}"></span>
  <span class="field"><label for="events-to">${t("events.filter.to")}</label><input id="events-to" name="to" type="datetime-local" value="${q.to}"></span>
  ${select("events-size", "size", t("cards.filter.size"), String(q.size), EVENT_PAGE_SIZES.map((s) => [String(s), String(s)] as const))}
  <button type="submit">${t("cards.filter.apply")}</button>
  <a href="/events">${t("cards.filter.clear")}</a>
</form>
<p class="note">${t("events.utc")}</p>
<div id="live" data-live>${eventsLive(t, q, slice)}</div>`;
