/** The table of modems the dashboard and the device view share. */
import { html } from "../html";
import type { StringKey } from "../i18n/en";
import type { Translate } from "../i18n/locale";
import type { ModemView } from "../farm-view";

/** `actions`: the per-modem buttons, for those who may work the farm on the device view. */
export const modemTable = (t: Translate, modems: readonly ModemView[], caption: string, actions?: { readonly csrf: string }) => html`<table class="modems">
  <caption class="visually-hidden">${caption}</caption>
  <thead><tr>
    <th scope="col">${t("modem.modem")}</th><th scope="col">${t("modem.state")}</th><th scope="col">${t("modem.registration")}</th>
    <th scope="col">${t("modem.operator")}</th><th scope="col">${t("modem.signal")}</th><th scope="col">${t("modem.card")}</th><th scope="col">${t("modem.errors")}</th>${actions ? html`<th scope="col"><span class="visually-hidden">${t("modem.reread")}</span></th>` : ""}
  </tr></thead>
  <tbody>${modems.map(
    (m) => html`<tr data-modem="${m.device}#${m.modem}" data-connected="${String(m.connected)}" data-status="${m.simStatus}">
    <th scope="row">${m.device} #${m.modem}</th>
    <td><span class="dot ${m.connected ? "on" : "off"}" aria-hidden="true"></span>${m.connected ? t("modem.online") : t("modem.offline")}</td>
    <td>${t(`status.${m.simStatus}` as StringKey)}${m.registration ? html` <small>${m.registration}</small>` : ""}</td>
    <td>${m.operator ?? "–"}</td>
    <td>${m.signalDbm === null ? "–" : `${m.signalDbm} dBm`}</td>
    <td class="card-cell">${m.iccid ? html`<span class="iccid">${m.iccid}</span>${m.number ? html` <small>${m.number}</small>` : ""}` : "–"}</td>
    <td${m.errorsLastHour > 0 ? html` class="bad"` : ""}>${m.errorsLastHour}</td>${
      actions
        ? html`<td><form method="post" action="/devices/${encodeURIComponent(m.device)}/modems/${m.modem}/reread"><input type="hidden" name="csrf" value="${actions.csrf}"><button type="submit" aria-label="${t("modem.rereadLabel", { modem: m.modem })}"${m.connected ? "" : html` disabled`}>${t("modem.reread")}</button></form></td>`
        : ""
    }
  </tr>`,
  )}</tbody>
</table>`;
