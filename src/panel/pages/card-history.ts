/** A card's own page: what it is and where, and its history one kind at a time (SMS in and out, USSD, calls, slot moves). */
import { html, type Html } from "../html";
import type { StringKey } from "../i18n/en";
import type { Translate } from "../i18n/locale";
import { HISTORY_KINDS, type HistoryKind, type HistoryRow } from "../card-history";
import type { CardRow } from "../cards-view";

const when = (d: Date) => html`<time datetime="${new Date(d).toISOString()}">${new Date(d).toISOString().replace("T", " ").slice(0, 19)}</time>`;

const COLUMNS: Record<HistoryKind, [StringKey, StringKey, StringKey]> = {
  sms: ["cards.history.col.sender", "cards.history.col.text", "cards.history.col.state"],
  out: ["cards.history.col.addressee", "cards.history.col.text", "cards.history.col.state"],
  ussd: ["cards.history.col.request", "cards.history.col.reply", "cards.history.col.state"],
  calls: ["cards.history.col.number", "cards.history.col.direction", "cards.history.col.state"],
  moves: ["cards.history.col.from", "cards.history.col.to", "cards.history.col.what"],
};

export const historyMain = (t: Translate, c: CardRow, kind: HistoryKind, h: { rows: readonly HistoryRow[]; next: string | null }, paged: boolean): Html => {
  const [who, text, state] = COLUMNS[kind];
  return html`<p><a href="/cards?q=${encodeURIComponent(c.iccid)}">${t("cards.import.back")}</a></p>
<dl class="card-facts">
  <dt>${t("cards.col.iccid")}</dt><dd class="iccid" data-field="iccid">${c.iccid}</dd>
  <dt>${t("cards.col.number")}</dt><dd>${c.number ?? "–"}</dd>
  <dt>${t("cards.col.name")}</dt><dd data-field="name">${c.name ?? "–"}</dd>
  <dt>${t("cards.col.operator")}</dt><dd>${c.operator ?? "–"}</dd>
  <dt>${t("cards.col.state")}</dt><dd>${t(`status.${c.state}` as StringKey)}</dd>
  <dt>${t("cards.col.pools")}</dt><dd>${c.pools ?? "–"}</dd>
  <dt>${t("cards.col.place")}</dt><dd data-field="place">${c.deviceKey ? html`<a href="/devices/${encodeURIComponent(c.deviceKey)}">${c.deviceTitle}</a>${c.place ? html` · ${c.place}` : ""}` : t("cards.nowhere")}</dd>
</dl>
<nav class="tabs" aria-label="${t("cards.history.label")}"><ul>${HISTORY_KINDS.map(
    (k) => html`<li><a href="/cards/${c.id}?show=${k}"${k === kind ? html` aria-current="page"` : ""}>${t(`cards.history.${k}` as StringKey)}</a></li>`,
  )}</ul></nav>
${
  h.rows.length === 0
    ? html`<p>${t(paged ? "cards.history.noMore" : "cards.history.none")}</p>`
    : html`<div class="table-wrap" role="region" tabindex="0" aria-labelledby="history-caption"><table class="history" data-kind="${kind}">
  <caption id="history-caption">${t(`cards.history.${kind}` as StringKey)}</caption>
  <thead><tr><th scope="col">${t("cards.history.col.time")}</th><th scope="col">${t(who)}</th><th scope="col">${t(text)}</th><th scope="col">${t(state)}</th></tr></thead>
  <tbody>${h.rows.map((r) => html`<tr data-id="${r.id}"><td>${when(r.at)}</td><td>${r.who || "–"}</td><td class="comment">${r.text || "–"}</td><td>${r.state ?? "–"}</td></tr>`)}</tbody>
</table></div>`
}
${h.next ? html`<p><a href="/cards/${c.id}?show=${kind}&amp;before=${h.next}">${t("cards.history.older")}</a></p>` : ""}`;
};
