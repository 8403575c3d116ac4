/**
 * The dashboard: every device and modem the user may see, at a glance, and the latest events.
 * The live region is re-rendered by the server when the stream reports a change; the events
 * list is filled by the page's script from the stream itself.
 */
import { html } from "../html";
import type { Translate } from "../i18n/locale";
import type { DeviceRow, ModemView } from "../farm-view";
import { modemTable } from "./modem-table";

export const dashboardLive = (t: Translate, devices: readonly DeviceRow[], modems: readonly ModemView[]) => {
  if (devices.length === 0) return html`<p>${t("dashboard.noDevices")}</p>`;
  const online = modems.filter((m) => m.connected).length;
  return html`<p class="summary">${t("dashboard.summary", { online, total: modems.length })}</p>
${devices.map(
  (d) => html`<section class="device" aria-labelledby="device-${d.key}">
  <h2 id="device-${d.key}"><a href="/devices/${encodeURIComponent(d.key)}">${d.title}</a> <small>${d.model}${d.host ? html` · ${t("modem.host", { host: d.host })}` : ""}</small></h2>
  ${modemTable(t, modems.filter((m) => m.device === d.key), d.title)}
</section>`,
)}`;
};

export const dashboardMain = (t: Translate, devices: readonly DeviceRow[], modems: readonly ModemView[]) => html`<div id="live" data-live aria-live="polite">${dashboardLive(t, devices, modems)}</div>
<section class="recent" aria-labelledby="recent-title">
  <h2 id="recent-title">${t("dashboard.recent")}</h2>
  <p class="empty-events">${t("dashboard.noEvents")}</p>
  <ol id="events" class="events" data-events></ol>
</section>`;
