/** The devices list and one device's view: its SIM bank as a grid of positions and its modems. */
import { html } from "../html";
import type { Translate } from "../i18n/locale";
import type { DeviceRow, Grid, GridCell } from "../farm-view";
import { modemTable } from "./modem-table";

export const devicesMain = (t: Translate, devices: readonly DeviceRow[]) =>
  devices.length === 0
    ? html`<p>${t("dashboard.noDevices")}</p>`
    : html`<ul class="device-list">${devices.map(
        (d) => html`<li><a href="/devices/${encodeURIComponent(d.key)}" aria-label="${t("devices.open", { name: d.title })}">${d.title}</a> <small>${d.key} · ${d.model}${d.host ? html` · ${t("modem.host", { host: d.host })}` : ""}</small></li>`,
      )}</ul>`;

const cellClass = (c: GridCell) => ["cell", c.modem !== null ? "on-modem" : "", c.hold ? `held ${c.hold.state}` : "", c.card ? "" : "unknown"].filter(Boolean).join(" ");

const cell = (t: Translate, key: string, c: GridCell, mayWork: boolean, csrf: string) => html`<td class="${cellClass(c)}" data-position="${c.position}" data-modem="${c.modem ?? ""}" data-iccid="${c.card?.iccid ?? ""}">
  <b class="pos">${c.position}</b>
  ${c.card ? html`<span class="iccid">${c.card.iccid}</span>${c.card.number ? html`<small>${c.card.number}</small>` : ""}${c.card.operator ? html`<small>${c.card.operator}</small>` : ""}${c.card.queued > 0 ? html`<small class="queued" data-queued="${c.card.queued}">${t("device.queued", { n: c.card.queued })}</small>` : ""}` : html`<small>${t("device.empty")}</small>`}
  <small class="where">${c.modem !== null ? t("device.onModem", { modem: c.modem }) : t("device.notOnModem")}</small>
  ${c.hold ? html`<small class="hold">${t("device.heldBy", { holder: c.hold.holderName, state: c.hold.state })}${c.hold.error ? html`: ${c.hold.error}` : ""}</small>` : ""}
  ${
    mayWork && c.hold?.mine
      ? html`<form method="post" action="/devices/${encodeURIComponent(key)}/release"><input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="position" value="${c.position}"><button type="submit" aria-label="${t("device.releaseLabel", { position: c.position })}">${t("device.release")}</button></form>`
      : mayWork && !c.hold && c.modem === null
        ? html`<form method="post" action="/devices/${encodeURIComponent(key)}/switch"><input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="position" value="${c.position}"><button type="submit" aria-label="${t("device.switchLabel", { position: c.position })}">${t("device.switch")}</button></form>`
        : ""
  }
</td>`;

/** The idle rotation: its period, the next step and what it would switch in; another host's is that host's. */
const rotationSection = (t: Translate, grid: Grid, mayWork: boolean, csrf: string) => {
  const r = grid.rotation;
  const seconds = (ms: number) => Math.max(0, Math.round(ms / 1000));
  const lines = !grid.local
    ? [t("device.rotation.remote", { host: grid.device.host ?? "?" })]
    : !r || r.everyMs === 0
      ? [t("device.rotation.off")]
      : [
          t("device.rotation.every", { seconds: seconds(r.everyMs) }),
          r.next.length ? t("device.rotation.next", { seconds: seconds((r.nextAt ?? Date.now()) - Date.now()), positions: r.next.join(", ") }) : t("device.rotation.pinned"),
        ];
  if (r?.rescanning) lines.push(t("device.rotation.scanning"));
  return html`<section class="rotation" aria-labelledby="rotation-title" data-rotation-every="${r?.everyMs ?? ""}" data-rotation-next="${r?.next.join(" ") ?? ""}"><h2 id="rotation-title">${t("device.rotation.title")}</h2>
  ${lines.map((l) => html`<p>${l}</p>`)}
  ${
    mayWork && grid.local
      ? html`<form method="post" action="/devices/${encodeURIComponent(grid.device.key)}/rescan"><input type="hidden" name="csrf" value="${csrf}"><button type="submit" aria-label="${t("device.rescanLabel", { name: grid.device.title })}"${r?.rescanning ? html` disabled` : ""}>${t("device.rescan")}</button></form>`
      : ""
  }
</section>`;
};

export const deviceLive = (t: Translate, grid: Grid, mayWork: boolean, csrf: string) => html`${grid.local ? "" : html`<p class="notice info">${t("device.remote", { host: grid.device.host ?? "?" })}</p>`}
${rotationSection(t, grid, mayWork, csrf)}
<section aria-labelledby="grid-title"><h2 id="grid-title">${t("device.grid")}</h2>
<div class="grid-wrap"><table class="grid">
  <caption>${t("device.gridCaption", { name: grid.device.title })}</caption>
  <tbody>${grid.rows.map((r) => html`<tr><th scope="row">${r.label}</th>${r.cells.map((c) => cell(t, grid.device.key, c, mayWork, csrf))}</tr>`)}</tbody>
</table></div></section>
<section aria-labelledby="modems-title"><h2 id="modems-title">${t("device.modems")}</h2>${modemTable(t, grid.modems, grid.device.title, mayWork && grid.local ? { csrf } : undefined, grid.leases)}${
  mayWork && grid.local ? html`<p id="power-none" class="note">${t("modem.power.none")}</p>` : ""
}</section>`;

export const deviceMain = (t: Translate, grid: Grid, mayWork: boolean, csrf: string, notice: { kind: "error" | "info"; text: string } | null) => html`${
  notice ? html`<p class="notice ${notice.kind}" role="${notice.kind === "error" ? "alert" : "status"}">${notice.text}</p>` : ""
}<div id="live" data-live>${deviceLive(t, grid, mayWork, csrf)}</div>`;
