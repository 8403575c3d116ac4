/**
 * The dashboard's alerts list and its messages-per-hour plot. The plot is inline SVG drawn on
 * the server (presentation attributes only: the CSP allows no inline style), with its
 * numbers in an accessible label and per-bar titles.
 */
import { html } from "../html";
import type { StringKey } from "../i18n/en";
import type { Translate } from "../i18n/locale";
import type { Alert, HourCount } from "../alerts";

export const alertsSection = (t: Translate, alerts: readonly Alert[]) => html`<section class="alerts" aria-labelledby="alerts-title">
  <h2 id="alerts-title">${t("alerts.title")}</h2>
  ${
    alerts.length === 0
      ? html`<p>${t("alerts.none")}</p>`
      : html`<ul>${alerts.map(
          (a) => html`<li data-alert="${a.kind}"><time datetime="${a.at.toISOString()}">${a.at.toISOString()}</time> <b>${t(`alerts.${a.kind}` as StringKey)}</b>${a.device ? html` · ${a.device}${a.modem !== null ? ` #${a.modem}` : ""}` : ""}${a.detail ? html` · <span>${a.detail}</span>` : ""}</li>`,
        )}</ul>`
  }
</section>`;

const W = 480;
const H = 90;

export const activityPlot = (t: Translate, hours: readonly HourCount[]) => {
  const max = Math.max(1, ...hours.map((h) => Math.max(h.received, h.sent)));
  const slot = W / hours.length;
  const bar = (value: number) => Math.round((value / max) * (H - 10));
  const received = hours.reduce((n, h) => n + h.received, 0);
  const sent = hours.reduce((n, h) => n + h.sent, 0);
  return html`<section class="activity" aria-labelledby="activity-title">
  <h2 id="activity-title">${t("activity.title")}</h2>
  <svg class="plot" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${t("activity.label", { received, sent })}" data-received="${received}" data-sent="${sent}">
    ${hours.map(
      (h, i) => html`<g><title>${h.hour.toISOString().slice(11, 16)} UTC: ${h.received} ${t("activity.received")}, ${h.sent} ${t("activity.sent")}</title>
      <rect class="in" x="${(i * slot + 1).toFixed(1)}" y="${H - bar(h.received)}" width="${(slot / 2 - 1).toFixed(1)}" height="${bar(h.received)}"></rect>
      <rect class="out" x="${(i * slot + slot / 2).toFixed(1)}" y="${H - bar(h.sent)}" width="${(slot / 2 - 1).toFixed(1)}" height="${bar(h.sent)}"></rect></g>`,
    )}
    <line x1="0" y1="${H - 0.5}" x2="${W}" y2="${H - 0.5}" class="axis"></line>
  </svg>
  <p class="legend"><span class="key in"></span> ${t("activity.received")} <span class="key out"></span> ${t("activity.sent")}</p>
</section>`;
};
