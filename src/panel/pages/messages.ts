/**
 * The Messages page: received and sent SMS, USSD, calls and the unattributed messages, one
 * tab each, with a GET form of filters (so every view has an address and works without the
 * script), paging by key, the CSV export of the filtered list, and for those who may work
 * the farm: deleting the rows ticked, and assigning an unattributed message to a card.
 */
import { html, type Html } from "../html";
import { en, type StringKey } from "../i18n/en";
import type { Translate } from "../i18n/locale";
import { hasText, hasWho, KINDS, messageQueryString, PAGE_SIZES, SCAN_BOUND, type AnyRow, type CallRow, type InRow, type Kind, type MessagePage, type MessageQuery, type OutRow, type Problem, type UnattributedRow, type UssdRow } from "../messages-view";

export interface MessagesOptions {
  readonly mayEdit: boolean;
  readonly csrf: string;
}

export type Notice = { readonly kind: "error" | "info"; readonly text: string } | null;

/** A problem in words: a field named in it is a string key of its own. */
export const problemText = (t: Translate, p: Problem) => {
  const vars = Object.fromEntries(Object.entries(p.vars ?? {}).map(([k, v]) => [k, k === "field" ? t(v as StringKey) : v]));
  return t(p.key, vars);
};

const when = (d: Date | null) => (d ? html`<time datetime="${new Date(d).toISOString()}">${new Date(d).toISOString().replace("T", " ").slice(0, 19)}</time>` : "–");

type Cards = MessagePage["cards"];

const cardCell = (cards: Cards, iccid: string | null) => {
  if (!iccid) return html`<td>–</td>`;
  const c = cards.get(iccid);
  const label = c ? [c.number, c.name].filter(Boolean).join(" · ") : "";
  return html`<td><span class="iccid">${iccid}</span>${label ? html`<br><small>${label}</small>` : ""}</td>`;
};

/** A long message's text, each gap the sink marked shown as a marked gap in the page's language. */
const messageText = (t: Translate, text: string) => {
  const out: Array<Html | string> = [];
  let at = 0;
  for (const m of text.matchAll(/\[part (\d+) of (\d+) missing\]/g)) {
    out.push(text.slice(at, m.index));
    out.push(html`<mark class="missing" data-missing="${m[1]!}">${t("messages.partMissing", { seq: m[1]!, total: m[2]! })}</mark>`);
    at = m.index! + m[0].length;
  }
  out.push(text.slice(at));
  return html`<td class="text">${out}</td>`;
};

const tick = (t: Translate, o: MessagesOptions, r: AnyRow) =>
  o.mayEdit ? html`<td><input type="checkbox" name="id-${r.id}" value="1" form="messages-delete" aria-label="${t("messages.selectRow", { id: r.id })}"></td>` : "";

const inRow = (t: Translate, r: InRow, cards: Cards, o: MessagesOptions) => html`<tr data-id="${r.id}">${tick(t, o, r)}
  <td>${when(r.at)}</td>${cardCell(cards, r.iccid)}<td>${r.sender}</td>${messageText(t, r.text)}
  <td>${r.parts > 1 ? html`${t("messages.parts", { n: r.parts })}${r.missing.length ? html` <strong class="bad" data-field="missing">${t("messages.missing", { parts: r.missing.join(", ") })}</strong>` : ""}` : "1"}</td>
</tr>`;

const outRow = (t: Translate, r: OutRow, cards: Cards, o: MessagesOptions) => html`<tr data-id="${r.id}" data-state="${r.state}">${tick(t, o, r)}
  <td>${when(r.at)}</td>${cardCell(cards, r.iccid)}<td>${r.addressee}</td>${messageText(t, r.text)}
  <td>${stateText(t, r.state)}${r.error ? html`<br><small class="bad">${r.error}</small>` : ""}</td>
  <td><ol class="parts">${r.parts.map(
    (p) =>
      html`<li data-part="${p.seq}" data-part-state="${p.state}"${p.error ? html` title="${p.error}"` : ""}>${t(`messages.part.${p.state}` as StringKey)}${p.reportStatus !== null ? html` <small>(${p.reportStatus})</small>` : ""}</li>`,
  )}</ol>${r.parts.length === 0 ? "–" : ""}</td>
</tr>`;

const ussdRow = (t: Translate, r: UssdRow, cards: Cards, o: MessagesOptions) => html`<tr data-id="${r.id}">${tick(t, o, r)}
  <td>${when(r.at)}</td>${cardCell(cards, r.iccid)}<td>${r.request}</td>${messageText(t, r.reply ?? "")}<td>${r.state}${r.status ? html` <small>(${r.status})</small>` : ""}</td>
</tr>`;

const callRow = (t: Translate, r: CallRow, cards: Cards, o: MessagesOptions) => html`<tr data-id="${r.id}">${tick(t, o, r)}
  <td>${when(r.at)}</td>${cardCell(cards, r.iccid)}<td>${t(r.direction === "outgoing" ? "messages.call.outgoing" : "messages.call.incoming")}</td><td>${r.number ?? "–"}</td>
  <td>${r.state}${r.endReason ? html` <small>(${r.endReason})</small>` : ""}</td><td>${when(r.answeredAt)}</td><td>${when(r.endedAt)}</td>
</tr>`;

const unattributedRow = (t: Translate, r: UnattributedRow, cards: Cards, o: MessagesOptions, back: string) => html`<tr data-id="${r.id}">${tick(t, o, r)}
  <td>${when(r.at)}</td><td>${r.device} · ${t("device.onModem", { modem: r.modem })} · ${r.storage}</td><td>${r.sender}</td>${messageText(t, r.text)}
  <td class="evidence"><p>${r.reason}</p>${r.windowStart ? html`<p><small>${t("messages.evidence.window")} ${when(r.windowStart)}</small></p>` : ""}${
    r.candidates.length
      ? html`<p><small>${t("messages.evidence.candidates")}</small></p><ul>${r.candidates.map((c) => {
          const card = cards.get(c);
          return html`<li class="iccid">${c}${card?.number || card?.name ? html` <small>${[card.number, card.name].filter(Boolean).join(" · ")}</small>` : ""}</li>`;
        })}</ul>`
      : ""
  }</td>
  ${
    o.mayEdit
      ? html`<td><form method="post" action="/messages/assign" class="assign-form">
  <input type="hidden" name="csrf" value="${o.csrf}"><input type="hidden" name="id" value="${r.id}"><input type="hidden" name="back" value="${back}">
  <label for="assign-${r.id}">${t("messages.assign.card")}</label><input id="assign-${r.id}" name="iccid" list="candidates-${r.id}" maxlength="22" inputmode="numeric" value="${r.candidates.length === 1 ? r.candidates[0]! : ""}">
  <datalist id="candidates-${r.id}">${r.candidates.map((c) => html`<option value="${c}">`)}</datalist>
  <button type="submit">${t("messages.assign")}</button>
</form></td>`
      : ""
  }
</tr>`;

/** An outgoing message's state in words; one this page does not know, as stored. */
const stateText = (t: Translate, state: string) => (Object.hasOwn(en, `messages.state.${state}`) ? t(`messages.state.${state}` as StringKey) : state);

const HEADS: Record<Kind, readonly StringKey[]> = {
  in: ["messages.col.received", "messages.col.card", "messages.col.sender", "messages.col.text", "messages.col.parts"],
  out: ["messages.col.created", "messages.col.card", "messages.col.addressee", "messages.col.text", "messages.col.state", "messages.col.delivery"],
  ussd: ["messages.col.created", "messages.col.card", "messages.col.request", "messages.col.reply", "messages.col.state"],
  calls: ["messages.col.started", "messages.col.card", "messages.col.direction", "messages.col.number", "messages.col.state", "messages.col.answered", "messages.col.ended"],
  unattributed: ["messages.col.received", "messages.col.where", "messages.col.sender", "messages.col.text", "messages.col.evidence"],
};

const rowOf = (t: Translate, p: MessagePage, r: AnyRow, o: MessagesOptions) => {
  const back = messageQueryString(p.query);
  switch (p.query.kind) {
    case "in":
      return inRow(t, r as InRow, p.cards, o);
    case "out":
      return outRow(t, r as OutRow, p.cards, o);
    case "ussd":
      return ussdRow(t, r as UssdRow, p.cards, o);
    case "calls":
      return callRow(t, r as CallRow, p.cards, o);
    case "unattributed":
      return unattributedRow(t, r as UnattributedRow, p.cards, o, back);
  }
};

const pager = (t: Translate, p: MessagePage) => {
  const q = p.query;
  const link = (changes: Partial<MessageQuery>, text: string, rel: string) => {
    const qs = messageQueryString(q, { before: null, after: null, ...changes });
    return html`<a href="/messages${qs ? `?${qs}` : ""}" rel="${rel}">${text}</a>`;
  };
  const paged = q.before !== null || q.after !== null;
  if (!paged && !p.older && !p.boundedAt) return html``;
  return html`<nav class="pager" aria-label="${t("messages.pages")}">
  ${paged ? link({}, t("messages.page.newest"), "first") : ""}
  ${p.newer ? link({ after: p.newer }, t("messages.page.newer"), "prev") : ""}
  ${p.older ? link({ before: p.older }, t("messages.page.older"), "next") : ""}
</nav>`;
};

/** The part the live stream refreshes: the notes and the table. */
export const messagesLive = (t: Translate, p: MessagePage, o: MessagesOptions) => {
  const heads = HEADS[p.query.kind];
  const columns = heads.length + (o.mayEdit ? 1 : 0) + (o.mayEdit && p.query.kind === "unattributed" ? 1 : 0);
  return html`<p id="messages-count" role="status">${t("messages.shown", { n: p.rows.length })}</p>
${
  p.boundedAt
    ? html`<p class="notice info" data-bounded>${t("messages.bounded", { n: SCAN_BOUND })} <a href="/messages?${messageQueryString(p.query, { before: p.boundedAt, after: null })}">${t("messages.bounded.more")}</a></p>`
    : ""
}
<div class="table-wrap" role="region" tabindex="0" aria-labelledby="messages-caption"><table class="messages" data-kind="${p.query.kind}" data-hold-while-ticked>
  <caption id="messages-caption" class="visually-hidden">${t(`messages.tab.${p.query.kind}` as StringKey)}</caption>
  <thead><tr>${o.mayEdit ? html`<th scope="col"><span class="visually-hidden">${t("messages.select")}</span></th>` : ""}${heads.map((h) => html`<th scope="col">${t(h)}</th>`)}${
    o.mayEdit && p.query.kind === "unattributed" ? html`<th scope="col">${t("messages.assign")}</th>` : ""
  }</tr></thead>
  <tbody>${p.rows.length ? p.rows.map((r) => rowOf(t, p, r, o)) : html`<tr><td colspan="${columns}">${t("messages.none")}</td></tr>`}</tbody>
</table></div>`;
};

const input = (id: string, name: string, label: string, value: string, attrs: Html = html``) =>
  html`<span class="field"><label for="${id}">${label}</label><input id="${id}" name="${name}" value="${value}" ${attrs}></span>`;

export const messagesMain = (t: Translate, p: MessagePage, o: MessagesOptions, notice: Notice): Html => {
  const q = p.query;
  const tabs = html`<nav class="tabs" aria-label="${t("messages.tabs")}"><ul>${KINDS.map((k) => {
    const qs = messageQueryString({ ...q, kind: k, before: null, after: null, text: hasText(k) ? q.text : "", who: hasWho(k) ? q.who : "" });
    return html`<li><a href="/messages${qs ? `?${qs}` : ""}"${k === q.kind ? html` aria-current="page"` : ""}>${t(`messages.tab.${k}` as StringKey)}</a></li>`;
  })}</ul></nav>`;
  const csv = messageQueryString(q, { before: null, after: null, size: 50 });
  const problems = p.problems.map((pr) => html`<p class="notice error" role="alert">${problemText(t, pr)}</p>`);
  const live = messagesLive(t, p, o);
  return html`${tabs}
${notice ? html`<p class="notice ${notice.kind}" role="${notice.kind === "error" ? "alert" : "status"}">${notice.text}</p>` : ""}${problems}
<form method="get" action="/messages" class="filters" role="search" aria-label="${t("messages.filter.label")}">
  ${q.kind !== "in" ? html`<input type="hidden" name="kind" value="${q.kind}">` : ""}
  ${hasText(q.kind) ? input("messages-q", "q", t("messages.filter.text"), q.text, html`type="search" maxlength="200"`) : ""}
  ${hasWho(q.kind) ? input("messages-who", "who", t("messages.filter.who"), q.who, html`type="search" maxlength="40"`) : ""}
  ${input("messages-card", "card", t("messages.filter.card"), q.card, html`type="search" maxlength="100" placeholder="${t("messages.filter.cardHint")}"`)}
  ${input("messages-from", "from", t("messages.filter.from"), q.from, html`placeholder="YYYY-MM-DDTHH:MM" title="${t("messages.filter.utc")}"`)}
  ${input("messages-to", "to", t("messages.filter.to"), q.to, html`placeholder="YYYY-MM-DDTHH:MM" title="${t("messages.filter.utc")}"`)}
  <span class="field"><label for="messages-size">${t("messages.filter.size")}</label><select id="messages-size" name="size">${PAGE_SIZES.map((s) => html`<option value="${s}"${s === q.size ? html` selected` : ""}>${s}</option>`)}</select></span>
  <button type="submit">${t("messages.filter.apply")}</button>
  <a href="/messages${q.kind !== "in" ? `?kind=${q.kind}` : ""}">${t("messages.filter.clear")}</a>
</form>
<p class="note">${t("messages.filter.help")}</p>
<p><a href="/messages.csv${csv ? `?${csv}` : ""}" download>${t("messages.export")}</a></p>
${
  o.mayEdit
    ? html`<form id="messages-delete" method="post" action="/messages/delete"><input type="hidden" name="csrf" value="${o.csrf}"><input type="hidden" name="kind" value="${q.kind}"><input type="hidden" name="back" value="${messageQueryString(q)}"><button type="submit">${t("messages.delete")}</button></form>`
    : ""
}
${q.before || q.after ? html`<div id="live">${live}</div>` : html`<div id="live" data-live>${live}</div>`}
${pager(t, p)}`;
};
