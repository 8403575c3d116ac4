/**
 * The Online page: the cards a user works with now and what happens on them, live. The live
 * region holds the cards' states and the feed (SMS in and out, USSD, calls); the forms that
 * act on a card sit outside it, so a refresh never takes what someone is typing. Every form
 * works without the script (a POST and back to this page); with it, the USSD box continues a
 * network's menu in place, a code in an SMS can be copied, and a new SMS or call may sound
 * and notify (online.js).
 */
import { html, type Html } from "../html";
import type { StringKey } from "../i18n/en";
import type { Translate } from "../i18n/locale";
import type { CardRow } from "../cards-view";
import type { FeedItem, OnlinePage, WorkingCard } from "../online-view";
import { ASSET_VERSION } from "../layout";

export interface OnlineOptions {
  readonly mayWork: boolean;
  readonly csrf: string;
  /** The card whose tools were last used (shown open). */
  readonly open: number | null;
  /** A USSD exchange just asked for without the script: its box shows it. */
  readonly ussd: { readonly card: number; readonly id: number; readonly request: string; readonly reply: string | null; readonly status: string | null; readonly state: string } | null;
  /** What was typed in a card's forms that came back refused: shown again as it was. */
  readonly typed?: { readonly card: number; readonly to: string; readonly text: string; readonly number: string; readonly code: string } | null;
}

export type Notice = { readonly kind: "error" | "info"; readonly text: string };

const stamp = (d: Date) => html`<time datetime="${d.toISOString()}">${d.toISOString().replace("T", " ").slice(0, 19)}</time>`;

const label = (c: Pick<CardRow, "name" | "number" | "iccid">) => c.name ?? c.number ?? c.iccid;

const KNOWN_OUT = new Set(["queued", "sending", "sent", "delivered", "undelivered", "failed", "unknown"]);
const KNOWN_CALL = new Set(["dialing", "alerting", "ringing", "active", "ended"]);

const cardsTable = (t: Translate, p: OnlinePage) =>
  p.cards.length === 0
    ? html`<p class="note" data-empty>${t(p.show === "mine" ? "online.none.mine" : "online.none.modems")}</p>`
    : html`<div class="table-wrap" role="region" tabindex="0" aria-labelledby="online-cards-caption"><table class="cards online-cards">
  <caption id="online-cards-caption">${t(p.show === "mine" ? "online.cards.mine" : "online.cards.modems")}</caption>
  <thead><tr><th scope="col">${t("cards.col.name")}</th><th scope="col">${t("cards.col.number")}</th><th scope="col">${t("cards.col.iccid")}</th><th scope="col">${t("cards.col.place")}</th><th scope="col">${t("cards.col.state")}</th><th scope="col">${t("online.col.hold")}</th></tr></thead>
  <tbody>${p.cards.map(
    (c) => html`<tr data-card="${c.id}" data-iccid="${c.iccid}" data-state="${c.state}" data-hold="${c.hold?.state ?? ""}">
    <th scope="row">${c.name ?? "–"}</th><td>${c.number ?? "–"}</td><td class="iccid">${c.iccid}</td>
    <td>${c.deviceTitle ?? "–"}${c.place ? html` · ${c.place}` : ""}${c.modem !== null ? html` <small>${t("device.onModem", { modem: c.modem })}</small>` : ""}</td>
    <td><span class="dot ${c.state === 1 || c.state === 5 ? "on" : "off"}" aria-hidden="true"></span>${t(`status.${c.state}` as StringKey)}</td>
    <td>${holdText(t, c)}</td>
  </tr>`,
  )}</tbody>
</table></div>`;

const holdText = (t: Translate, c: WorkingCard) => {
  if (!c.hold) return "–";
  const state = ["requested", "connecting", "online", "failed"].includes(c.hold.state) ? c.hold.state : "requested";
  return html`${t(`online.hold.${state}` as StringKey)}${c.hold.error ? html` <small class="bad">${c.hold.error}</small>` : ""}`;
};

/** The message's text with its code marked where it stands (the first run of exactly those digits). */
const withCode = (text: string, code: string | null) => {
  const at = code === null ? null : new RegExp(`(^|\\D)(${code})(?!\\d)`).exec(text);
  if (!at) return text;
  const start = at.index + at[1]!.length;
  return html`${text.slice(0, start)}<mark class="in-text">${code}</mark>${text.slice(start + code!.length)}`;
};

const feedItem = (t: Translate, cards: ReadonlyMap<string, WorkingCard>, item: FeedItem) => {
  const card = cards.get(item.iccid);
  const on = html`<span class="on-card">${card ? label(card) : item.iccid}</span>`;
  const head = (kind: StringKey) => html`${stamp(item.at)} <strong>${t(kind)}</strong> ${on}`;
  switch (item.kind) {
    case "sms-in":
      return html`<li class="feed-sms" data-kind="sms-in" data-id="${item.id}" data-iccid="${item.iccid}" data-card-label="${card ? label(card) : item.iccid}" data-from="${item.sender}">${head("online.feed.smsIn")} <span>${t("online.feed.from", { sender: item.sender })}</span>
  <p class="text">${withCode(item.text, item.code)}</p>${item.missing.length ? html`<small class="bad">${t("online.feed.missing", { parts: item.missing.join(", "), total: item.parts })}</small>` : ""}
  ${item.code ? html`<p class="otp-line">${t("online.code")} <mark class="otp" data-code="${item.code}">${item.code}</mark> <button type="button" class="copy" data-copy="${item.code}" data-copied="${t("online.copied")}" aria-label="${t("online.copyLabel", { code: item.code })}">${t("online.copy")}</button></p>` : ""}</li>`;
    case "sms-out":
      return html`<li data-kind="sms-out" data-id="${item.id}" data-iccid="${item.iccid}" data-state="${item.state}">${head("online.feed.smsOut")} <span>${t("online.feed.to", { to: item.to })}</span>
  <span class="out-state">${KNOWN_OUT.has(item.state) ? t(`online.out.${item.state}` as StringKey) : item.state}</span>${item.error ? html` <small class="bad">${item.error}</small>` : ""}
  <p class="text">${item.text}</p></li>`;
    case "ussd":
      return html`<li data-kind="ussd" data-id="${item.id}" data-iccid="${item.iccid}" data-state="${item.state}">${head("online.feed.ussd")} <code>${item.request}</code>
  ${item.state === "queued" ? html`<small>${t("online.ussd.waiting")}</small>` : html`<p class="text">${item.reply ?? item.status ?? ""}</p>`}</li>`;
    case "call":
      return html`<li data-kind="call" data-id="${item.id}" data-iccid="${item.iccid}" data-state="${item.state}" data-direction="${item.direction}" data-card-label="${card ? label(card) : item.iccid}" data-from="${item.number ?? t("online.feed.hidden")}">${head(item.direction === "incoming" ? "online.feed.callIn" : "online.feed.callOut")} <span>${item.number ?? t("online.feed.hidden")}</span>
  <span>${KNOWN_CALL.has(item.state) ? t(`online.call.${item.state}` as StringKey) : item.state}</span></li>`;
  }
};

/** The part the live stream refreshes: the cards' states and the feed. */
export const onlineLive = (t: Translate, p: OnlinePage) => {
  const byIccid = new Map(p.cards.map((c) => [c.iccid, c]));
  return html`${cardsTable(t, p)}
<section class="feed" aria-labelledby="feed-title"><h2 id="feed-title">${t("online.feed.title")}</h2>
${p.feed.length ? html`<ol class="events online-feed" data-feed-list>${p.feed.map((i) => feedItem(t, byIccid, i))}</ol>` : html`<p class="note">${t("online.feed.empty")}</p>`}
</section>`;
};

const hidden = (csrf: string, card: number, back: string) => html`<input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="card" value="${card}"><input type="hidden" name="back" value="${back}">`;

const ussdBox = (t: Translate, c: WorkingCard, o: OnlineOptions, back: string) => {
  const mine = o.ussd?.card === c.id ? o.ussd : null;
  const open = mine?.status === "more";
  return html`<form method="post" action="/online/ussd" class="ussd" data-ussd data-label-code="${t("online.ussd.code")}" data-label-reply="${t("online.ussd.reply")}" data-run="${t("online.ussd.run")}" data-send="${t("online.ussd.send")}" data-waiting="${t("online.ussd.waiting")}" data-failed="${t("online.ussd.failed")}" data-ended="${t("online.ussd.ended")}">
  ${hidden(o.csrf, c.id, back)}
  <fieldset><legend>${t("online.ussd.title")}</legend>
  <ol class="ussd-log" aria-live="polite" data-ussd-log>${
    mine
      ? html`<li class="sent">${mine.request}</li>${mine.state === "queued" ? html`<li class="wait">${t("online.ussd.waiting")}</li>` : html`<li class="got" data-status="${mine.status ?? ""}">${mine.reply ?? mine.status ?? ""}</li>`}`
      : ""
  }</ol>
  <label for="ussd-${c.id}" data-ussd-label>${t(open ? "online.ussd.reply" : "online.ussd.code")}</label>
  <input id="ussd-${c.id}" name="code" required maxlength="160" pattern="[0-9*#+]{1,160}" inputmode="tel" autocomplete="off" value="${o.typed?.card === c.id ? o.typed.code : ""}">
  <button type="submit">${t(open ? "online.ussd.send" : "online.ussd.run")}</button>
  </fieldset>
</form>`;
};

const tools = (t: Translate, c: WorkingCard, o: OnlineOptions, back: string) => {
  const typed = o.typed?.card === c.id ? o.typed : null;
  return html`<details class="card-work" id="work-${c.id}" data-card="${c.id}"${o.open === c.id ? html` open` : ""}>
<summary>${t("online.work", { card: label(c) })}</summary>
<div class="tools">
<form method="post" action="/online/sms" class="sms-form">
  ${hidden(o.csrf, c.id, back)}
  <fieldset><legend>${t("online.sms.title")}</legend>
  <label for="sms-to-${c.id}">${t("online.sms.to")}</label><input id="sms-to-${c.id}" name="to" required maxlength="32" inputmode="tel" autocomplete="off" value="${typed?.to ?? ""}">
  <label for="sms-text-${c.id}">${t("online.sms.text")}</label><textarea id="sms-text-${c.id}" name="text" required rows="3" maxlength="1530">${typed?.text ?? ""}</textarea>
  <label class="check"><input type="checkbox" name="report" value="1" checked> ${t("online.sms.report")}</label>
  <button type="submit">${t("online.sms.send")}</button>
  </fieldset>
</form>
${ussdBox(t, c, o, back)}
<form method="post" action="/online/dial" class="dial-form">
  ${hidden(o.csrf, c.id, back)}
  <fieldset><legend>${t("online.call.title")}</legend>
  <label for="dial-${c.id}">${t("online.call.number")}</label><input id="dial-${c.id}" name="number" required maxlength="32" inputmode="tel" autocomplete="off" value="${typed?.number ?? ""}">
  <button type="submit">${t("online.call.dial")}</button>
  <button type="submit" formaction="/online/answer" formnovalidate>${t("online.call.answer")}</button>
  <button type="submit" formaction="/online/hangup" formnovalidate>${t("online.call.hangup")}</button>
  </fieldset>
</form>
<div class="card-actions">
<form method="post" action="/online/clear">${hidden(o.csrf, c.id, back)}<button type="submit">${t("online.clear")}</button></form>
${c.hold ? html`<form method="post" action="/online/release">${hidden(o.csrf, c.id, back)}<button type="submit">${t("online.release")}</button></form>` : ""}
</div>
</div>
</details>`;
};

const picker = (t: Translate, p: OnlinePage, o: OnlineOptions, back: string) => html`<section class="pick" aria-labelledby="pick-title"><h2 id="pick-title">${t("online.pick.title")}</h2>
<form method="get" action="/online" class="filters" role="search" aria-label="${t("online.pick.title")}">
  <input type="hidden" name="show" value="${p.show}">
  <span class="field"><label for="online-q">${t("online.pick.search")}</label><input id="online-q" name="q" type="search" value="${p.search}" placeholder="${t("cards.searchHint")}"></span>
  <button type="submit">${t("online.pick.find")}</button>
</form>
${
  p.search
    ? p.candidates.length
      ? html`<form method="post" action="/online/bring" class="pick-form">
  <input type="hidden" name="csrf" value="${o.csrf}"><input type="hidden" name="back" value="${back}">
  <ul class="pick-list">${p.candidates.map(
    (c) => html`<li><label><input type="checkbox" name="c${c.id}" value="1"> ${label(c)} <small>${c.name && c.number ? `${c.number} · ` : ""}<span class="iccid">${c.iccid}</span> · ${c.deviceTitle ?? t("cards.nowhere")}${c.place ? html` ${c.place}` : ""} · ${t(`status.${c.state}` as StringKey)}</small></label></li>`,
  )}</ul>
  ${p.more > 0 ? html`<p class="note">${t("online.pick.more", { n: p.more })}</p>` : ""}
  <button type="submit">${t("online.pick.bring")}</button>
</form>`
      : html`<p class="note">${t("online.pick.nothing")}</p>`
    : ""
}
</section>`;

export const onlineMain = (t: Translate, p: OnlinePage, o: OnlineOptions, notices: readonly Notice[]): Html => {
  const back = new URLSearchParams([["show", p.show], ...(p.search ? [["q", p.search] as [string, string]] : [])]).toString();
  return html`${notices.map((n) => html`<p class="notice ${n.kind}" role="${n.kind === "error" ? "alert" : "status"}">${n.text}</p>`)}
<nav class="tabs" aria-label="${t("online.show.label")}">
  <a href="/online?show=mine"${p.show === "mine" ? html` aria-current="page"` : ""}>${t("online.show.mine")}</a>
  <a href="/online?show=modems"${p.show === "modems" ? html` aria-current="page"` : ""}>${t("online.show.modems")}</a>
</nav>
<div class="alert-options" data-online-alerts hidden>
  <label class="check"><input type="checkbox" id="online-sound"> ${t("online.alerts.sound")}</label>
  <button type="button" id="online-notify" data-granted="${t("online.alerts.granted")}" data-denied="${t("online.alerts.denied")}">${t("online.alerts.desktop")}</button>
</div>
<div id="online" data-online data-sms-title="${t("online.alerts.sms")}" data-call-title="${t("online.alerts.call")}">
<div id="live" data-live>${onlineLive(t, p)}</div>
${o.mayWork && p.cards.length ? html`<section class="workbench" aria-labelledby="work-title"><h2 id="work-title">${t("online.tools")}</h2>${p.cards.map((c) => tools(t, c, o, back))}</section>` : ""}
</div>
${o.mayWork ? picker(t, p, o, back) : ""}
<script src="/panel/assets/online.js?v=${ASSET_VERSION}" defer></script>`;
};
