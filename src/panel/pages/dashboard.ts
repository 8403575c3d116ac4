/**
 * The dashboard: every device and modem the user may see, at a glance, and the latest events.
 * The live region is re-rendered by the server when the stream reports a change; the events
 * list is filled by the page's script from the stream itself.
 */
import { html } from "../html";
import type { Translate } from "../i18n/locale";
import type { DeviceRow, ModemView } from "../farm-view";
import type { Alert, HourCount } from "../alerts";
import { activityPlot, alertsSection } from "./activity";
import { modemTable } from "./modem-table";

export interface DashboardData {
  readonly devices: readonly DeviceRow[];
  readonly modems: readonly ModemView[];
  readonly alerts: readonly Alert[];
  readonly hours: readonly HourCount[];
}

export const dashboardLive = (t: Translate, { devices, modems, alerts, hours }: DashboardData) => {
  if (devices.length === 0) return html`<p>${t("dashboard.noDevices")}</p>`;
  const online = modems.filter((m) => m.connected).length;
  return html`<p class="summary">${t("dashboard.summary", { online, total: modems.length })}</p>
<div class="overview">${alertsSection(t, alerts)}${activityPlot(t, hours)}</div>
${devices.map(
  (d) => html`<section class="device" aria-labelledby="device-${d.key}">
  <h2 id="device-${d.key}"><a href="/devices/${encodeURIComponent(d.key)}">${d.title}</a> <small>${d.model}${d.host ? html` · ${t("modem.host", { host: d.host })}` : ""}</small></h2>
  ${modemTable(t, modems.filter((m) => m.device === d.key), d.title)}
</section>`,
)}`;
};

export const dashboardMain = (t: Translate, data: DashboardData) => html`<div id="live" data-live>${dashboardLive(t, data)}</div>
<section class="recent" aria-labelledby="recent-title">
  <h2 id="recent-title">${t("dashboard.recent")}</h2>
  <p class="empty-events">${t("dashboard.noEvents")}</p>
  <ol id="events" class="events" data-events></ol>
</section>`;
