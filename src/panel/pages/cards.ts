/**
 * The SIM cards page: the inventory as a table with search, filters, sort and paging (a GET
 * form and links, so it all works without the script and every view has an address), an
 * edit form per card for those who may work the farm, the CSV export of the filtered list
 * and the CSV import with its dry run.
 */
import { html, type Html } from "../html";
import type { StringKey } from "../i18n/en";
import type { Translate } from "../i18n/locale";
import { cardQueryString, PAGE_SIZES, type CardPage, type CardQuery, type CardRow, type SortKey } from "../cards-view";
import type { ImportPlan } from "../cards-csv";

export interface Editing {
  readonly id: number;
  readonly values: { readonly name: string; readonly number: string; readonly comment: string };
}

export interface CardsOptions {
  readonly mayEdit: boolean;
  readonly csrf: string;
  readonly now: number;
  /** A card whose form came back refused: shown open, with what was typed. */
  readonly editing?: Editing | null;
}

const STATES = [1, 5, 2, 0, 3, 4, 6, -1, -3] as const;

const SORTABLE: ReadonlyArray<{ key: SortKey | null; label: StringKey }> = [
  { key: "iccid", label: "cards.col.iccid" },
  { key: "imsi", label: "cards.col.imsi" },
  { key: "number", label: "cards.col.number" },
  { key: "operator", label: "cards.col.operator" },
  { key: "name", label: "cards.col.name" },
  { key: "balance", label: "cards.col.balance" },
  { key: "state", label: "cards.col.state" },
  { key: null, label: "cards.col.pools" },
  { key: "comment", label: "cards.col.comment" },
  { key: "seen", label: "cards.col.seen" },
  { key: "place", label: "cards.col.place" },
];

/** "5 min", "3 h", "2 d": how old a balance is. */
const age = (t: Translate, at: Date, now: number) => {
  const minutes = Math.max(0, Math.round((now - new Date(at).getTime()) / 60_000));
  if (minutes < 60) return t("cards.age.min", { n: minutes });
  if (minutes < 48 * 60) return t("cards.age.h", { n: Math.round(minutes / 60) });
  return t("cards.age.d", { n: Math.round(minutes / 1440) });
};

const when = (d: Date | null) => (d ? html`<time datetime="${new Date(d).toISOString()}">${new Date(d).toISOString().replace("T", " ").slice(0, 16)}</time>` : "–");

const header = (t: Translate, q: CardQuery, col: (typeof SORTABLE)[number]) => {
  if (!col.key) return html`<th scope="col">${t(col.label)}</th>`;
  const current = q.sort === col.key;
  const next = cardQueryString(q, { sort: col.key, desc: current ? !q.desc : false, page: 1 });
  const sort = current ? (q.desc ? "descending" : "ascending") : null;
  return html`<th scope="col"${sort ? html` aria-sort="${sort}"` : ""}><a href="/cards${next ? `?${next}` : ""}" aria-label="${t("cards.sortBy", { column: t(col.label) })}">${t(col.label)}${current ? html`<span aria-hidden="true">${q.desc ? " ▼" : " ▲"}</span>` : ""}</a></th>`;
};

const editForm = (t: Translate, c: CardRow, q: CardQuery, o: CardsOptions) => {
  const editing = o.editing?.id === c.id ? o.editing : null;
  const v = editing?.values ?? { name: c.name ?? "", number: c.number ?? "", comment: c.comment ?? "" };
  return html`<details class="edit"${editing ? html` open` : ""}><summary aria-label="${t("cards.editLabel", { iccid: c.iccid })}">${t("cards.edit")}</summary>
<form method="post" action="/cards/${c.id}/edit" class="edit-form">
  <input type="hidden" name="csrf" value="${o.csrf}"><input type="hidden" name="back" value="${cardQueryString(q)}">
  <label for="name-${c.id}">${t("cards.col.name")}</label><input id="name-${c.id}" name="name" value="${v.name}" maxlength="100">
  <label for="number-${c.id}">${t("cards.col.number")}</label><input id="number-${c.id}" name="number" value="${v.number}" maxlength="21" inputmode="tel">
  <label for="comment-${c.id}">${t("cards.col.comment")}</label><textarea id="comment-${c.id}" name="comment" rows="2" maxlength="2000">${v.comment}</textarea>
  <button type="submit">${t("cards.save")}</button>
</form></details>`;
};

const row = (t: Translate, c: CardRow, q: CardQuery, o: CardsOptions) => html`<tr data-card="${c.id}" data-iccid="${c.iccid}" data-state="${c.state}">
  ${o.mayEdit ? html`<td><input type="checkbox" name="card.${c.id}" value="1" form="bulk" aria-label="${t("cards.bulk.tick", { iccid: c.iccid })}"></td>` : ""}
  <th scope="row" class="iccid"><a href="/cards/${c.id}" aria-label="${t("cards.history.open", { iccid: c.iccid })}">${c.iccid}</a></th>
  <td class="iccid">${c.imsi ?? "–"}</td>
  <td data-field="number">${c.number ?? "–"}</td>
  <td>${c.operator ?? "–"}</td>
  <td data-field="name">${c.name ?? "–"}</td>
  <td>${c.balance === null ? "–" : html`${c.balance.toFixed(2)}${c.balanceAt ? html` <small title="${new Date(c.balanceAt).toISOString()}">${age(t, c.balanceAt, o.now)}</small>` : ""}`}</td>
  <td><span class="dot ${c.state === 1 || c.state === 5 ? "on" : "off"}" aria-hidden="true"></span>${t(`status.${c.state}` as StringKey)}</td>
  <td>${c.pools ?? "–"}</td>
  <td data-field="comment" class="comment">${c.comment ?? "–"}</td>
  <td>${when(c.lastSeen)}</td>
  <td>${c.deviceKey ? html`<a href="/devices/${encodeURIComponent(c.deviceKey)}">${c.deviceTitle}</a>${c.place ? html` · ${c.place}` : ""}${c.modem !== null ? html` <small>${t("device.onModem", { modem: c.modem })}</small>` : ""}` : html`<small>${t("cards.nowhere")}</small>`}</td>
  ${o.mayEdit ? html`<td>${editForm(t, c, q, o)}</td>` : ""}
</tr>`;

/** The part the live stream refreshes: the count and the table. */
export const cardsLive = (t: Translate, p: CardPage, o: CardsOptions) => {
  const q = p.query;
  const first = p.total === 0 ? 0 : (q.page - 1) * q.size + 1;
  const last = Math.min(p.total, q.page * q.size);
  return html`<p id="cards-count" role="status">${t("cards.count", { total: p.total, first, last })}</p>
<div class="table-wrap" role="region" tabindex="0" aria-labelledby="cards-caption"><table class="cards">
  <caption id="cards-caption" class="visually-hidden">${t("cards.caption")}</caption>
  <thead><tr>${o.mayEdit ? html`<th scope="col"><span class="visually-hidden">${t("cards.bulk.ticked")}</span></th>` : ""}${SORTABLE.map((c) => header(t, q, c))}${o.mayEdit ? html`<th scope="col"><span class="visually-hidden">${t("cards.edit")}</span></th>` : ""}</tr></thead>
  <tbody>${p.rows.length ? p.rows.map((c) => row(t, c, q, o)) : html`<tr><td colspan="${SORTABLE.length + (o.mayEdit ? 2 : 0)}">${t("cards.none")}</td></tr>`}</tbody>
</table></div>`;
};

const select = (id: string, name: string, label: string, chosen: string, options: ReadonlyArray<readonly [string, string]>) =>
  html`<span class="field"><label for="${id}">${label}</label><select id="${id}" name="${name}">${options.map(([value, text]) => html`<option value="${value}"${value === chosen ? html` selected` : ""}>${text}</option>`)}</select></span>`;

const pager = (t: Translate, p: CardPage) => {
  const q = p.query;
  const pages = Math.max(1, Math.ceil(p.total / q.size));
  if (pages === 1) return html``;
  const link = (page: number, text: string, label: string) => html`<a href="/cards?${cardQueryString(q, { page })}" aria-label="${label}">${text}</a>`;
  return html`<nav class="pager" aria-label="${t("cards.pages")}">
  ${q.page > 1 ? html`${link(1, "«", t("cards.page.first"))} ${link(q.page - 1, "‹", t("cards.page.previous"))}` : ""}
  <span aria-current="page">${t("cards.page.of", { page: q.page, pages })}</span>
  ${q.page < pages ? html`${link(q.page + 1, "›", t("cards.page.next"))} ${link(pages, "»", t("cards.page.last"))}` : ""}
</nav>`;
};

const importForm = (t: Translate, csrf: string) => html`<section class="import" aria-labelledby="import-title"><h2 id="import-title">${t("cards.import.title")}</h2>
<p class="note">${t("cards.import.help")}</p>
<form method="post" action="/cards/import" enctype="multipart/form-data" class="import-form">
  <input type="hidden" name="csrf" value="${csrf}">
  <label for="import-file">${t("cards.import.file")}</label><input id="import-file" name="file" type="file" accept=".csv,text/csv">
  <label for="import-text">${t("cards.import.text")}</label><textarea id="import-text" name="csv" rows="4" placeholder="iccid,number,name,comment,operator"></textarea>
  <button type="submit">${t("cards.import.dryRun")}</button>
</form></section>`;

/** The card filter's fields (search, device, state, pool, operator): the SIM cards page's, and the Pools page's "fill by filter". */
export const cardFilterFields = (t: Translate, p: Pick<CardPage, "query" | "devices" | "everywhere" | "pools" | "operators">, prefix: string): Html => {
  const q = p.query;
  const devices: Array<[string, string]> = [["", t("cards.filter.allDevices")], ...p.devices.map((d) => [d.key, d.title] as [string, string])];
  if (p.everywhere) devices.push(["-", t("cards.nowhere")]);
  return html`<span class="field"><label for="${prefix}-q">${t("cards.search")}</label><input id="${prefix}-q" name="q" type="search" value="${q.search}" placeholder="${t("cards.searchHint")}"></span>
  ${select(`${prefix}-device`, "device", t("cards.filter.device"), q.device, devices)}
  ${select(`${prefix}-state`, "state", t("cards.filter.state"), q.state === null ? "" : String(q.state), [["", t("cards.filter.any")], ...STATES.map((s) => [String(s), t(`status.${s}` as StringKey)] as const)])}
  ${select(`${prefix}-pool`, "pool", t("cards.filter.pool"), q.pool === null ? "" : String(q.pool), [["", t("cards.filter.any")], ...p.pools.map((pl) => [String(pl.id), pl.title] as const)])}
  ${select(`${prefix}-operator`, "operator", t("cards.filter.operator"), q.operator, [["", t("cards.filter.any")], ...p.operators.map((op) => [op, op] as const)])}`;
};

/** The bulk actions: on the cards ticked in the table (their boxes belong to this form), or on every card of the filter. */
const bulkForm = (t: Translate, p: CardPage, csrf: string) => html`<form id="bulk" method="post" action="/cards/bulk" class="filters bulk" aria-labelledby="bulk-title">
  <input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="back" value="${cardQueryString(p.query)}">
  <strong id="bulk-title">${t("cards.bulk.title")}</strong>
  <span class="field"><label for="bulk-target">${t("cards.bulk.target")}</label><select id="bulk-target" name="target"><option value="ticked">${t("cards.bulk.target.ticked")}</option><option value="filter">${t("cards.bulk.target.filter", { n: p.total })}</option></select></span>
  <span class="field"><label for="bulk-action">${t("cards.bulk.action")}</label><select id="bulk-action" name="action">${(["online", "pool-add", "pool-remove", "clear", "forget"] as const).map((a) => html`<option value="${a}">${t(`cards.bulk.${a}`)}</option>`)}</select></span>
  <span class="field"><label for="bulk-pool">${t("cards.bulk.pool")}</label><select id="bulk-pool" name="pool"><option value="">–</option>${p.allPools.map((pl) => html`<option value="${pl.id}">${pl.title}</option>`)}</select></span>
  <button type="submit">${t("cards.bulk.apply")}</button>
</form>`;

export const cardsMain = (t: Translate, p: CardPage, o: CardsOptions, notice: { kind: "error" | "info"; text: string } | null): Html => {
  const q = p.query;
  const csv = cardQueryString(q, { page: 1, size: 50 });
  return html`${notice ? html`<p class="notice ${notice.kind}" role="${notice.kind === "error" ? "alert" : "status"}">${notice.text}</p>` : ""}
<form method="get" action="/cards" class="filters" role="search" aria-label="${t("cards.filter.label")}">
  ${cardFilterFields(t, p, "cards")}
  ${select("cards-size", "size", t("cards.filter.size"), String(q.size), PAGE_SIZES.map((s) => [String(s), String(s)] as const))}
  ${q.sort !== "place" ? html`<input type="hidden" name="sort" value="${q.sort}">` : ""}${q.desc ? html`<input type="hidden" name="dir" value="desc">` : ""}
  <button type="submit">${t("cards.filter.apply")}</button>
  <a href="/cards">${t("cards.filter.clear")}</a>
</form>
<p><a href="/cards.csv${csv ? `?${csv}` : ""}" download>${t("cards.export")}</a></p>
${o.mayEdit ? bulkForm(t, p, o.csrf) : ""}
<div id="live" data-live>${cardsLive(t, p, o)}</div>
${pager(t, p)}
${o.mayEdit ? importForm(t, o.csrf) : ""}`;
};

const change = (c: { from: string | null; to: string }) => html`<del>${c.from ?? "–"}</del> → <ins>${c.to}</ins>`;

/** The dry run's report (or, once applied, what was done), with the button that applies it. */
export const importReport = (t: Translate, plan: ImportPlan, o: { csrf: string; csv: string; applied: { created: number; updated: number } | null }) => {
  if (plan.refused) return html`<p class="notice error" role="alert">${t("cards.import.refused", { reason: plan.refused })}</p><p><a href="/cards">${t("cards.import.back")}</a></p>`;
  const c = plan.counts;
  const shown = plan.lines.filter((l) => l.outcome !== "same");
  return html`<p class="notice ${o.applied ? "info" : "info"}" role="status">${
    o.applied ? t("cards.import.applied", { created: o.applied.created, updated: o.applied.updated, conflicts: c.conflict, bad: c.bad }) : t("cards.import.summary", { created: c.new, updated: c.update, same: c.same, conflicts: c.conflict, bad: c.bad })
  }</p>
${plan.ignoredColumns.length ? html`<p class="note">${t("cards.import.ignored", { columns: plan.ignoredColumns.join(", ") })}</p>` : ""}
${
  shown.length
    ? html`<div class="table-wrap" role="region" tabindex="0" aria-labelledby="import-caption"><table class="import-report">
  <caption id="import-caption">${t(o.applied ? "cards.import.caption.applied" : "cards.import.caption")}</caption>
  <thead><tr><th scope="col">${t("cards.import.line")}</th><th scope="col">${t("cards.col.iccid")}</th><th scope="col">${t("cards.import.outcome")}</th><th scope="col">${t("cards.import.details")}</th></tr></thead>
  <tbody>${shown.map(
    (l) => html`<tr data-line="${l.line}" data-outcome="${l.outcome}"><td>${l.line}</td><td class="iccid">${l.iccid || "–"}</td><td${l.outcome === "conflict" || l.outcome === "bad" ? html` class="bad"` : ""}>${t(`cards.import.outcome.${l.outcome}` as StringKey)}</td><td>${
      l.problem ?? Object.entries(l.changes).map(([field, ch], i) => html`${i ? "; " : ""}${field}: ${change(ch)}`)
    }</td></tr>`,
  )}</tbody>
</table></div>`
    : ""
}
${
  !o.applied && c.new + c.update > 0
    ? html`<form method="post" action="/cards/import" enctype="multipart/form-data">
  <input type="hidden" name="csrf" value="${o.csrf}"><input type="hidden" name="apply" value="1">
  <textarea name="csv" hidden aria-hidden="true">${o.csv}</textarea>
  <button type="submit">${t("cards.import.apply", { n: c.new + c.update })}</button>
</form>`
    : ""
}
<p><a href="/cards">${t("cards.import.back")}</a></p>`;
};
