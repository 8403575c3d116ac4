/**
 * The dashboard: every device and modem the user may see, at a glance, and the latest events.
 * The live region is re-rendered by the server when the stream reports a change; the events
 * list is filled by the page's script from the stream itself.
 */
import { escapeHtml, html, Html } from "../html";
import type { StringKey } from "../i18n/en";
import type { Translate } from "../i18n/locale";
import type { DeviceRow, ModemView } from "../farm-view";
import type { Alert, HourCount } from "../alerts";
import { activityPlot, alertsSection } from "./activity";
import { modemTable } from "./modem-table";
import { consolePath } from "./console";

export interface DashboardData {
  readonly devices: readonly DeviceRow[];
  readonly modems: readonly ModemView[];
  readonly alerts: readonly Alert[];
  readonly hours: readonly HourCount[];
}

/**
 * Past this many modems a table row each is too much to send and to read (bench:panel: 1 MB
 * for 2,500 modems): each modem becomes a small tile, and only the modems in trouble keep
 * their row. The device view still shows every row.
 */
export const COMPACT_ABOVE = 200;

export const inTrouble = (m: ModemView) => !m.connected || m.simStatus !== 1 || m.errorsLastHour > 0;

/**
 * Built as one string with each value escaped, not a template per tile: bench:panel draws
 * 2,512 of them at every live refresh, and a fragment per tile cost more than the reads.
 */
const tiles = (t: Translate, modems: readonly ModemView[]) => {
  const online = escapeHtml(t("modem.online"));
  const offline = escapeHtml(t("modem.offline"));
  let out = '<ul class="tiles">';
  for (const m of modems) {
    const title = `#${m.modem}: ${m.connected ? online : offline}, ${escapeHtml(t(`status.${m.simStatus}` as StringKey))}${m.operator ? `, ${escapeHtml(m.operator)}` : ""}${m.signalDbm === null ? "" : `, ${m.signalDbm} dBm`}`;
    // Each tile opens its modem's console, as a table row's name does.
    out += `<li class="tile ${inTrouble(m) ? "bad" : "ok"}" data-modem="${escapeHtml(m.device)}#${m.modem}" data-connected="${m.connected}" title="${title}"><a href="${escapeHtml(consolePath(m.device, m.modem))}">${m.modem}</a></li>`;
  }
  return new Html(`${out}</ul>`);
};

export const dashboardLive = (t: Translate, { devices, modems, alerts, hours }: DashboardData) => {
  if (devices.length === 0) return html`<p>${t("dashboard.noDevices")}</p>`;
  const online = modems.filter((m) => m.connected).length;
  const compact = modems.length > COMPACT_ABOVE;
  const byDevice = new Map<string, ModemView[]>();
  for (const m of modems) byDevice.set(m.device, [...(byDevice.get(m.device) ?? []), m]);
  return html`<p class="summary">${t("dashboard.summary", { online, total: modems.length })}</p>
<div class="overview">${alertsSection(t, alerts)}${activityPlot(t, hours)}</div>
${devices.map((d) => {
  const own = byDevice.get(d.key) ?? [];
  const troubled = own.filter(inTrouble);
  return html`<section class="device" aria-labelledby="device-${d.key}">
  <h2 id="device-${d.key}"><a href="/devices/${encodeURIComponent(d.key)}">${d.title}</a> <small>${d.model}${d.host ? html` · ${t("modem.host", { host: d.host })}` : ""}</small></h2>
  ${compact ? html`${tiles(t, own)}${troubled.length ? modemTable(t, troubled, d.title) : ""}` : modemTable(t, own, d.title)}
</section>`;
})}`;
};

export const dashboardMain = (t: Translate, data: DashboardData) => html`<div id="live" data-live>${dashboardLive(t, data)}</div>
<section class="recent" aria-labelledby="recent-title">
  <h2 id="recent-title">${t("dashboard.recent")}</h2>
  <p class="empty-events">${t("dashboard.noEvents")}</p>
  <ol id="events" class="events" data-events></ol>
</section>`;
