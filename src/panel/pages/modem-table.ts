/** The table of modems the dashboard and the device view share. */
import { html } from "../html";
import type { StringKey } from "../i18n/en";
import type { Translate } from "../i18n/locale";
import type { ModemView } from "../farm-view";
import { sparkline } from "./sparkline";
import { leaseKey, type LeaseView } from "../console-leases";
import { consolePath } from "./console";

/** A per-modem action: a form of its own, posted with the session's token; only while the modem is connected. */
const modemAction = (t: Translate, m: ModemView, action: "reread" | "reset", csrf: string) =>
  html`<form method="post" action="/devices/${encodeURIComponent(m.device)}/modems/${m.modem}/${action}"><input type="hidden" name="csrf" value="${csrf}"><button type="submit" aria-label="${t(action === "reread" ? "modem.rereadLabel" : "modem.resetLabel", { modem: m.modem })}"${m.connected ? "" : html` disabled`}>${t(action === "reread" ? "modem.reread" : "modem.reset")}</button></form>`;

/** Who holds the modem's console and until when (a time the page's script shows in local time). */
const leaseCell = (t: Translate, lease: LeaseView | undefined) =>
  lease ? html`<td class="lease" data-lease-holder="${lease.holder}">${t("modem.leaseBy", { holder: lease.holder, until: "" })}<time datetime="${lease.until.toISOString()}">${lease.until.toISOString()}</time></td>` : html`<td class="lease">–</td>`;

/**
 * `actions`: the per-modem buttons, for those who may work the farm on the device view.
 * `leases`: the console leases standing, for a column of their own (the device view's).
 */
// In a scrolling box of its own: on a phone the table scrolls sideways, not the page.
export const modemTable = (t: Translate, modems: readonly ModemView[], caption: string, actions?: { readonly csrf: string }, leases?: ReadonlyMap<string, LeaseView>) => html`<div class="table-wrap" role="region" tabindex="0" aria-label="${caption}"><table class="modems">
  <caption class="visually-hidden">${caption}</caption>
  <thead><tr>
    <th scope="col">${t("modem.modem")}</th><th scope="col">${t("modem.state")}</th><th scope="col">${t("modem.registration")}</th>
    <th scope="col">${t("modem.operator")}</th><th scope="col">${t("modem.signal")}</th><th scope="col">${t("modem.card")}</th><th scope="col">${t("modem.queued")}</th><th scope="col">${t("modem.errors")}</th>${leases ? html`<th scope="col">${t("modem.lease")}</th>` : ""}${actions ? html`<th scope="col"><span class="visually-hidden">${t("modem.actions")}</span></th>` : ""}
  </tr></thead>
  <tbody>${modems.map(
    (m) => html`<tr data-modem="${m.device}#${m.modem}" data-connected="${String(m.connected)}" data-status="${m.simStatus}">
    <th scope="row"><a href="${consolePath(m.device, m.modem)}" aria-label="${t("modem.consoleLabel", { device: m.device, modem: m.modem })}" title="${t("modem.console")}">${m.device} #${m.modem}</a></th>
    <td><span class="dot ${m.connected ? "on" : "off"}" aria-hidden="true"></span>${m.connected ? t("modem.online") : t("modem.offline")}</td>
    <td>${t(`status.${m.simStatus}` as StringKey)}${m.registration ? html` <small>${m.registration}</small>` : ""}</td>
    <td>${m.operator ?? "–"}</td>
    <td class="signal">${m.signalDbm === null ? "–" : `${m.signalDbm} dBm`}${m.signalHistory ? sparkline(t, m.signalHistory) : ""}</td>
    <td class="card-cell">${m.iccid ? html`<span class="iccid">${m.iccid}</span>${m.number ? html` <small>${m.number}</small>` : ""}` : "–"}</td>
    <td data-queued="${m.queued}">${m.queued}</td>
    <td${m.errorsLastHour > 0 ? html` class="bad"` : ""}>${m.errorsLastHour}</td>${leases ? leaseCell(t, leases.get(leaseKey(m.device, m.modem))) : ""}${
      actions
        ? html`<td class="actions">${modemAction(t, m, "reread", actions.csrf)}${modemAction(t, m, "reset", actions.csrf)}<button type="button" disabled aria-label="${t("modem.powerLabel", { modem: m.modem })}" aria-describedby="power-none" title="${t("modem.power.none")}">${t("modem.power")}</button></td>`
        : ""
    }
  </tr>`,
  )}</tbody>
</table></div>`;
