/**
 * The Pools page (SR-Navigator pools): every pool with its FREE/USED counts and a form to
 * make one; a pool's own page with its cards as the API offers them (status word, who
 * holds each now), and for those who may work the farm: rename, a new key (shown once),
 * poolRestart, merging another pool in, and adding or taking out cards by the SIM cards
 * page's filter (previewed first: the count of matching cards is shown before anything is
 * written).
 */
import { html, type Html } from "../html";
import type { Translate } from "../i18n/locale";
import { cardQueryString, type CardPage } from "../cards-view";
import type { PoolDetail } from "../pools-view";
import type { PoolSummary } from "../../pools/pools";
import { describePoolFilter } from "../../pools/pools";
import { cardFilterFields } from "./cards";

export type Notice = { readonly kind: "error" | "info"; readonly text: string } | null;

const noticeOf = (n: Notice) => (n ? html`<p class="notice ${n.kind}" role="${n.kind === "error" ? "alert" : "status"}">${n.text}</p>` : "");

const filterText = (t: Translate, stored: unknown) => describePoolFilter(stored) || t("pools.joins.none");

/** A key shown once: after this page it exists only as its hash. */
export const keyNotice = (t: Translate, title: string, key: string): Html => html`<div class="notice key-once" role="status">
  <p>${t("pools.key.once", { title })}</p>
  <p><code class="pool-key" data-pool-key>${key}</code></p>
</div>`;

export interface PoolListRow extends PoolSummary {
  readonly status: PoolDetail["status"];
}

export const poolsMain = (t: Translate, pools: readonly PoolListRow[], o: { mayWork: boolean; csrf: string; notice: Notice; shownKey: Html | null; typed?: { title: string; joins: string } }): Html => html`${noticeOf(o.notice)}${o.shownKey ?? ""}
<div id="live" data-live>${poolsLive(t, pools)}</div>
${
  o.mayWork
    ? html`<section aria-labelledby="pool-new-title"><h2 id="pool-new-title">${t("pools.create.title")}</h2>
<form method="post" action="/pools/create" class="edit-form pool-form">
  <input type="hidden" name="csrf" value="${o.csrf}">
  <label for="pool-title">${t("pools.col.title")}</label><input id="pool-title" name="title" maxlength="200" required value="${o.typed?.title ?? ""}">
  <label for="pool-joins">${t("pools.joins")}</label><input id="pool-joins" name="joins" maxlength="2000" value="${o.typed?.joins ?? ""}" placeholder="device=demo;operator=Simnet" aria-describedby="pool-joins-help">
  <p id="pool-joins-help" class="note">${t("pools.joins.help")}</p>
  <button type="submit">${t("pools.create.submit")}</button>
</form></section>`
    : ""
}`;

/** The part the live stream refreshes: the pools with their counts. */
export const poolsLive = (t: Translate, pools: readonly PoolListRow[]): Html =>
  pools.length === 0
    ? html`<p>${t("pools.none")}</p>`
    : html`<div class="table-wrap" role="region" tabindex="0" aria-labelledby="pools-caption"><table class="pools">
  <caption id="pools-caption">${t("pools.caption")}</caption>
  <thead><tr><th scope="col">${t("pools.col.title")}</th><th scope="col">${t("pools.col.cards")}</th><th scope="col">${t("pools.col.offered")}</th><th scope="col">USED</th><th scope="col">FREE</th><th scope="col">${t("pools.col.channels")}</th><th scope="col">${t("pools.joins")}</th></tr></thead>
  <tbody>${pools.map(
    (p) => html`<tr data-pool="${p.id}"><th scope="row"><a href="/pools/${p.id}">${p.title}</a></th><td data-field="cards">${p.cards}</td><td data-field="offered">${p.status.total}</td><td data-field="used">${p.status.used}</td><td data-field="free">${p.status.free}</td><td>${p.status.channels}</td><td><code>${filterText(t, p.filter)}</code></td></tr>`,
  )}</tbody>
</table></div>`;

const holdText = (t: Translate, r: PoolDetail["rows"][number]) => (r.hold ? t("pools.heldBy", { holder: r.hold.name, state: r.hold.state }) : "–");

/** The part the live stream refreshes on a pool's page: its counts and its cards. */
export const poolLive = (t: Translate, d: PoolDetail): Html => {
  const s = d.status;
  const link = (page: number, text: string, label: string) => html`<a href="/pools/${d.pool.id}?members=${page}" aria-label="${label}">${text}</a>`;
  return html`<p id="pool-status" role="status" data-total="${s.total}" data-used="${s.used}" data-free="${s.free}">${t("pools.status", { total: s.total, used: s.used, free: s.free, channels: s.channels, members: d.pool.cards })}</p>
${
  d.rows.length === 0
    ? html`<p>${t("pools.members.none")}</p>`
    : html`<div class="table-wrap" role="region" tabindex="0" aria-labelledby="members-caption"><table class="pool-members">
  <caption id="members-caption">${t("pools.members.caption")}</caption>
  <thead><tr><th scope="col">${t("cards.col.number")}</th><th scope="col">${t("cards.col.iccid")}</th><th scope="col">${t("cards.col.place")}</th><th scope="col">${t("cards.col.operator")}</th><th scope="col">${t("pools.col.use")}</th><th scope="col">${t("pools.col.word")}</th><th scope="col">${t("pools.col.holder")}</th></tr></thead>
  <tbody>${d.rows.map(
    (r) => html`<tr data-iccid="${r.card.iccid}" data-number="${r.card.number}" data-use="${r.card.used ? "USED" : "FREE"}" data-word="${r.word}"><th scope="row">${r.card.number}</th><td class="iccid">${r.card.iccid}</td><td><a href="/devices/${encodeURIComponent(r.card.deviceKey)}">${r.card.deviceKey}</a> · ${r.card.place ?? "–"}${r.online ? html` <small>${t("pools.onModem")}</small>` : ""}</td><td>${r.card.operator ?? "–"}</td><td>${r.card.used ? "USED" : "FREE"}${r.card.processed && !r.card.used ? html` <small>${t("pools.processed")}</small>` : ""}</td><td>${r.word}</td><td data-field="holder">${holdText(t, r)}</td></tr>`,
  )}</tbody>
</table></div>`
}
${
  d.pages > 1
    ? html`<nav class="pager" aria-label="${t("cards.pages")}">${d.page > 1 ? link(d.page - 1, "‹", t("cards.page.previous")) : ""} <span aria-current="page">${t("cards.page.of", { page: d.page, pages: d.pages })}</span> ${d.page < d.pages ? link(d.page + 1, "›", t("cards.page.next")) : ""}</nav>`
    : ""
}`;
};

export interface PoolPageOptions {
  readonly mayWork: boolean;
  readonly csrf: string;
  readonly notice: Notice;
  readonly shownKey: Html | null;
  /** The other pools (to merge one in). */
  readonly others: ReadonlyArray<{ readonly id: number; readonly title: string }>;
  /** The card filter being previewed, with how many cards match it (null: none asked yet). */
  readonly fill: { readonly cards: CardPage; readonly asked: boolean };
}

const hidden = (name: string, value: string) => html`<input type="hidden" name="${name}" value="${value}">`;

export const poolMain = (t: Translate, d: PoolDetail, o: PoolPageOptions): Html => {
  const id = d.pool.id;
  const q = o.fill.cards.query;
  const filter = cardQueryString({ ...q, page: 1, size: 50, sort: "place", desc: false });
  return html`${noticeOf(o.notice)}${o.shownKey ?? ""}
<p><a href="/pools">${t("pools.back")}</a></p>
<h2 id="pool-title" data-pool="${id}">${d.pool.title}</h2>
<p class="note">${t("pools.joins")}: <code>${filterText(t, d.pool.filter)}</code></p>
<div id="live" data-live>${poolLive(t, d)}</div>
<section aria-labelledby="fill-title"><h2 id="fill-title">${t("pools.fill.title")}</h2>
<form method="get" action="/pools/${id}" class="filters" role="search" aria-label="${t("pools.fill.label")}">
  ${cardFilterFields(t, o.fill.cards, "fill")}
  <button type="submit">${t("pools.fill.preview")}</button>
</form>
${o.fill.asked ? html`<p id="fill-count" role="status" data-matching="${o.fill.cards.total}">${t("pools.fill.matching", { n: o.fill.cards.total })}</p>` : ""}
${
  o.mayWork && o.fill.asked
    ? html`<form method="post" action="/pools/${id}/cards" class="actions">
  ${hidden("csrf", o.csrf)}${hidden("filter", filter)}
  <button type="submit" name="op" value="add">${t("pools.fill.add", { n: o.fill.cards.total })}</button>
  <button type="submit" name="op" value="remove">${t("pools.fill.remove", { n: o.fill.cards.total })}</button>
</form>`
    : ""
}
</section>
${
  o.mayWork
    ? html`<section aria-labelledby="manage-title" class="pool-manage"><h2 id="manage-title">${t("pools.manage")}</h2>
<form method="post" action="/pools/${id}/rename" class="actions">
  ${hidden("csrf", o.csrf)}<label for="rename-title">${t("pools.rename")}</label> <input id="rename-title" name="title" maxlength="200" required value="${d.pool.title}"> <button type="submit">${t("pools.rename.submit")}</button>
</form>
<form method="post" action="/pools/${id}/key" class="actions">
  ${hidden("csrf", o.csrf)}<button type="submit">${t("pools.key.rotate")}</button> <small>${t("pools.key.rotateHelp")}</small>
</form>
<form method="post" action="/pools/${id}/restart" class="actions">
  ${hidden("csrf", o.csrf)}<input type="checkbox" id="restart-keep" name="keep" value="1"> <label for="restart-keep">${t("pools.restart.keep")}</label> <button type="submit">poolRestart</button> <small>${t("pools.restart.help")}</small>
</form>
${
  o.others.length
    ? html`<form method="post" action="/pools/${id}/merge" class="actions">
  ${hidden("csrf", o.csrf)}<label for="merge-from">${t("pools.merge.from")}</label> <select id="merge-from" name="from">${o.others.map((p) => html`<option value="${p.id}">${p.title}</option>`)}</select> <button type="submit">${t("pools.merge.submit")}</button> <small>${t("pools.merge.help")}</small>
</form>`
    : ""
}
</section>`
    : ""
}`;
};
