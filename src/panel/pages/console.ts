/**
 * The AT console of one modem, through the service: the terminal (xterm, served from this
 * machine), the modem's lease, the user's hot buttons, their history and the transcript's
 * export, and a command sent to many modems at once. The page is only the frame: console.js
 * opens the console's WebSocket and fills it from the `hello` it gets. A viewer gets the
 * same page without any way to type: they watch.
 */
import { MAX_LEASE_MINUTES } from "../../scheduler/console-leases";
import { html, type Html } from "../html";
import type { StringKey } from "../i18n/en";
import type { Translate } from "../i18n/locale";
import { ASSET_VERSION } from "../layout";
import type { ConsoleTarget } from "../console-view";
import type { ModemView } from "../farm-view";

export const consolePath = (device: string, modem: number): string => `/console/${encodeURIComponent(device)}/${modem}`;

/** The strings console.js writes itself (into the terminal and the side panels), in the page's language. */
const SCRIPT_STRINGS = {
  connecting: "console.js.connecting",
  connected: "console.js.connected",
  closed: "console.js.closed",
  watching: "console.js.watching",
  leaseNone: "console.lease.none",
  take: "console.lease.take",
  leaseHeld: "console.js.leaseHeld",
  leaseMine: "console.js.leaseMine",
  confirm: "console.js.confirm",
  confirmDropped: "console.js.confirmDropped",
  body: "console.js.body",
  bodyDropped: "console.js.bodyDropped",
  refused: "console.js.refused",
  failed: "console.js.failed",
  warning: "console.js.warning",
  info: "console.js.info",
  port: "console.js.port",
  bye: "console.js.bye",
  noHistory: "console.history.none",
  buttonsSaved: "console.buttons.saved",
  batchRunning: "console.batch.running",
  batchFailed: "console.batch.failed",
  batchNone: "console.batch.none",
  batchOk: "console.batch.ok",
  batchError: "console.batch.error",
} as const satisfies Record<string, StringKey>;

const scriptStrings = (t: Translate) => JSON.stringify(Object.fromEntries(Object.entries(SCRIPT_STRINGS).map(([name, key]) => [name, t(key)])));

/** Who holds the modem now, as rendered before the socket says more (console.js keeps it current). */
export const leaseText = (t: Translate, lease: ConsoleTarget["lease"], me: string) =>
  lease === null
    ? t("console.lease.none")
    : html`${lease.holder === me ? t("console.lease.mine") : t("console.lease.heldBy", { holder: lease.holder })} <time datetime="${lease.until.toISOString()}">${lease.until.toISOString()}</time>`;

const heading = (t: Translate, c: ConsoleTarget) => html`<dl class="console-facts">
  <div><dt>${t("console.device")}</dt><dd><a href="/devices/${encodeURIComponent(c.device.key)}">${c.device.title}</a> <small>${c.device.key}</small></dd></div>
  <div><dt>${t("modem.modem")}</dt><dd>#${c.modem.modem} <span class="dot ${c.modem.connected ? "on" : "off"}" aria-hidden="true"></span>${c.modem.connected ? t("modem.online") : t("modem.offline")}</dd></div>
  <div><dt>${t("modem.card")}</dt><dd>${c.modem.iccid ? html`<span class="iccid">${c.modem.iccid}</span>` : "–"}</dd></div>
  <div><dt>${t("console.number")}</dt><dd>${c.modem.number ?? "–"}</dd></div>
  <div><dt>${t("console.host")}</dt><dd>${c.modem.host ?? c.device.host ?? "–"}</dd></div>
</dl>`;

/** `admin`: may break another user's lease. */
const leaseSection = (t: Translate, c: ConsoleTarget, me: string, mayWork: boolean, admin: boolean) => html`<section class="console-lease" aria-labelledby="lease-title">
  <h2 id="lease-title">${t("console.lease.title")}</h2>
  <p data-lease-state>${leaseText(t, c.lease, me)}</p>
  <p class="note">${t("console.lease.what")}</p>
  ${
    mayWork
      ? html`<form data-lease-take class="inline-form">
    <label for="lease-minutes">${t("console.lease.minutes")}</label>
    <input id="lease-minutes" name="minutes" type="number" min="1" max="${MAX_LEASE_MINUTES}" value="15" required>
    <button type="submit" data-lease-take-button>${t("console.lease.take", { n: 15 })}</button>
  </form>
  <button type="button" data-lease-release>${t("console.lease.release")}</button>`
      : ""
  }
  ${admin ? html`<button type="button" data-lease-break${c.lease && c.lease.holder !== me ? "" : html` hidden`}>${t("console.lease.break")}</button>` : ""}
</section>`;

const buttonsSection = (t: Translate, mayWork: boolean) => html`<section class="console-buttons" aria-labelledby="buttons-title">
  <h2 id="buttons-title">${t("console.buttons.title")}</h2>
  <div class="hot-buttons" data-buttons role="group" aria-label="${t("console.buttons.title")}"></div>
  ${
    mayWork
      ? html`<details class="buttons-edit"><summary>${t("console.buttons.edit")}</summary>
    <form data-buttons-edit>
      <label for="buttons-text">${t("console.buttons.oneALine")}</label>
      <textarea id="buttons-text" name="buttons" rows="6" spellcheck="false"></textarea>
      <button type="submit">${t("console.buttons.save")}</button>
    </form>
  </details>`
      : ""
  }
</section>`;

const historySection = (t: Translate) => html`<section class="console-history" aria-labelledby="history-title">
  <h2 id="history-title">${t("console.history.title")}</h2>
  <label for="history-search" class="visually-hidden">${t("console.history.search")}</label>
  <input id="history-search" type="search" data-history-search placeholder="${t("console.history.search")}" autocomplete="off">
  <ul class="history-list" data-history></ul>
</section>`;

/** The command and the modems it goes to, each modem a box; the results come back as a table. */
const batchSection = (t: Translate, modems: readonly ModemView[], here: ConsoleTarget) => html`<section class="console-batch" aria-labelledby="batch-title">
  <h2 id="batch-title">${t("console.batch.title")}</h2>
  <form data-batch>
    <fieldset><legend>${t("console.batch.modems")}</legend>
      <ul class="batch-modems">${modems.map((m) => {
        const value = `${m.device}/${m.modem}`;
        const checked = m.device === here.device.key && m.modem === here.modem.modem;
        return html`<li><label><input type="checkbox" name="modem" value="${value}"${checked ? html` checked` : ""}> ${m.device} #${m.modem}${m.number ? html` <small>${m.number}</small>` : ""}${m.connected ? "" : html` <small>${t("modem.offline")}</small>`}</label></li>`;
      })}</ul>
    </fieldset>
    <label for="batch-command">${t("console.batch.command")}</label>
    <input id="batch-command" name="command" required autocomplete="off" spellcheck="false" placeholder="AT+CSQ">
    <button type="submit">${t("console.batch.send")}</button>
  </form>
  <p role="status" data-batch-state></p>
  <div class="table-wrap"><table class="batch-results" hidden data-batch-results>
    <caption>${t("console.batch.results")}</caption>
    <thead><tr><th scope="col">${t("modem.modem")}</th><th scope="col">${t("console.batch.outcome")}</th><th scope="col">${t("console.batch.final")}</th><th scope="col">${t("console.batch.lines")}</th><th scope="col">${t("console.batch.ms")}</th></tr></thead>
    <tbody></tbody>
  </table></div>
</section>`;

export interface ConsolePageOptions {
  readonly me: string;
  readonly mayWork: boolean;
  readonly admin: boolean;
  readonly csrf: string;
  /** The modems a batch may go to (none for a viewer). */
  readonly batch: readonly ModemView[];
}

export const consoleMain = (t: Translate, c: ConsoleTarget, o: ConsolePageOptions): Html => html`${heading(t, c)}
<link rel="stylesheet" href="/panel/vendor/xterm.css?v=${ASSET_VERSION}">
<div id="console" class="console" data-console data-device="${c.device.key}" data-modem="${c.modem.modem}" data-may-work="${String(o.mayWork)}" data-csrf="${o.csrf}" data-me="${o.me}" data-strings="${scriptStrings(t)}">
  <div class="console-side">
    ${leaseSection(t, c, o.me, o.mayWork, o.admin)}
    ${buttonsSection(t, o.mayWork)}
    ${historySection(t)}
    <section class="console-export" aria-labelledby="export-title"><h2 id="export-title">${t("console.export.title")}</h2>
      <button type="button" data-export>${t("console.export")}</button>
    </section>
  </div>
  <section class="console-term" aria-labelledby="terminal-title">
    <h2 id="terminal-title">${t("console.terminal")}</h2>
    <p class="note">${o.mayWork ? t("console.keys") : t("console.readOnly")}</p>
    <p class="console-state" role="status" data-console-state data-state="connecting">${t("console.js.connecting")}</p>
    <div class="terminal" data-terminal aria-label="${t("console.terminal")}"></div>
    <ol class="visually-hidden" role="log" aria-label="${t("console.log")}" data-console-log></ol>
  </section>
</div>
${o.mayWork ? batchSection(t, o.batch, c) : ""}
<script src="/panel/vendor/xterm.js?v=${ASSET_VERSION}" defer></script>
<script src="/panel/vendor/addon-fit.js?v=${ASSET_VERSION}" defer></script>
<script src="/panel/assets/console.js?v=${ASSET_VERSION}" defer></script>`;
