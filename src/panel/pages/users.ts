/**
 * The admin's pages under Settings: users and roles (add, change a role, reset a password,
 * disable and enable) and the audit log, newest first with keyset paging.
 */
import type { Account } from "../../access/accounts";
import type { AuditRow } from "../../access/audit";
import { ROLES } from "../../access/roles";
import { html, type Html } from "../html";
import type { Translate } from "../i18n/locale";
import { noticeOf, type Notice } from "./settings";

const when = (d: Date) => html`<time datetime="${new Date(d).toISOString()}">${new Date(d).toISOString().replace("T", " ").slice(0, 19)}</time>`;
const csrfField = (csrf: string) => html`<input type="hidden" name="csrf" value="${csrf}">`;

const roleSelect = (t: Translate, id: string, chosen: string, label: string, form?: string) =>
  html`<select id="${id}" name="role" aria-label="${label}"${form ? html` form="${form}"` : ""}>${ROLES.map((r) => html`<option value="${r}"${r === chosen ? html` selected` : ""}>${t(`role.${r}`)}</option>`)}</select>`;

const userRow = (t: Translate, u: Account, csrf: string, me: string) => html`<tr data-user="${u.name}" data-role="${u.role}" data-disabled="${u.disabledAt ? "1" : "0"}">
  <th scope="row">${u.name}</th>
  <td><form method="post" action="/settings/users/role" class="inline">${csrfField(csrf)}<input type="hidden" name="name" value="${u.name}">${roleSelect(t, `role-${u.id}`, u.role, t("users.roleOf", { name: u.name }))} <button type="submit">${t("users.setRole")}</button></form></td>
  <td>${u.disabledAt ? html`<span class="bad">${t("users.disabled")}</span> ${when(u.disabledAt)}` : t("users.active")}</td>
  <td>${when(u.createdAt)}</td>
  <td><form method="post" action="/settings/users/password" class="inline">${csrfField(csrf)}<input type="hidden" name="name" value="${u.name}"><input name="password" type="password" autocomplete="new-password" minlength="10" maxlength="200" aria-label="${t("users.passwordOf", { name: u.name })}" required> <button type="submit">${t("users.resetPassword")}</button></form></td>
  <td>${
    u.name === "admin" || u.name === me
      ? "–"
      : html`<form method="post" action="/settings/users/${u.disabledAt ? "enable" : "disable"}" class="inline">${csrfField(csrf)}<input type="hidden" name="name" value="${u.name}"><button type="submit" aria-label="${t(u.disabledAt ? "users.enableOf" : "users.disableOf", { name: u.name })}">${t(u.disabledAt ? "users.enable" : "users.disable")}</button></form>`
  }</td>
</tr>`;

export const usersMain = (t: Translate, users: readonly Account[], o: { csrf: string; me: string; notice: Notice; newKey: { name: string; key: string } | null }): Html => html`${noticeOf(o.notice)}
<p><a href="/settings">${t("settings.back")}</a></p>
${o.newKey ? html`<p class="notice info" role="status">${t("users.newKey", { name: o.newKey.name })} <code id="new-key">${o.newKey.key}</code></p>` : ""}
<div class="table-wrap" role="region" tabindex="0" aria-labelledby="users-caption"><table class="cards users">
  <caption id="users-caption">${t("users.caption")}</caption>
  <thead><tr><th scope="col">${t("signIn.user")}</th><th scope="col">${t("users.role")}</th><th scope="col">${t("users.state")}</th><th scope="col">${t("users.created")}</th><th scope="col">${t("signIn.password")}</th><th scope="col">${t("users.access")}</th></tr></thead>
  <tbody>${users.map((u) => userRow(t, u, o.csrf, o.me))}</tbody>
</table></div>
<section class="settings-part" aria-labelledby="add-title"><h2 id="add-title">${t("users.add")}</h2>
<form method="post" action="/settings/users/add" class="settings-form">
  ${csrfField(o.csrf)}
  <label for="new-name">${t("signIn.user")}</label><input id="new-name" name="name" maxlength="64" required pattern="[A-Za-z0-9_.\\-]{1,64}">
  <label for="new-role">${t("users.role")}</label>${roleSelect(t, "new-role", "viewer", t("users.role"))}
  <label for="new-password">${t("signIn.password")}</label><input id="new-password" name="password" type="password" autocomplete="new-password" minlength="10" maxlength="200" required>
  <button type="submit">${t("users.addSubmit")}</button>
</form></section>`;

export const auditMain = (t: Translate, rows: readonly AuditRow[], o: { user: string; action: string; older: boolean; notice: Notice }): Html => {
  const oldest = rows.at(-1)?.id;
  const keep = new URLSearchParams();
  if (o.user) keep.set("user", o.user);
  if (o.action) keep.set("action", o.action);
  return html`${noticeOf(o.notice)}
<p><a href="/settings">${t("settings.back")}</a></p>
<form method="get" action="/settings/audit" class="filters" role="search" aria-label="${t("audit.filter")}">
  <span class="field"><label for="audit-user">${t("signIn.user")}</label><input id="audit-user" name="user" value="${o.user}" maxlength="64"></span>
  <span class="field"><label for="audit-action">${t("audit.action")}</label><input id="audit-action" name="action" value="${o.action}" maxlength="60" placeholder="user."></span>
  <button type="submit">${t("cards.filter.apply")}</button>
  <a href="/settings/audit">${t("cards.filter.clear")}</a>
</form>
<div class="table-wrap" role="region" tabindex="0" aria-labelledby="audit-caption"><table class="cards audit-log">
  <caption id="audit-caption">${t("audit.caption")}</caption>
  <thead><tr><th scope="col">${t("events.col.time")}</th><th scope="col">${t("signIn.user")}</th><th scope="col">${t("audit.action")}</th><th scope="col">${t("audit.address")}</th><th scope="col">${t("audit.on")}</th><th scope="col">${t("events.col.details")}</th></tr></thead>
  <tbody>${
    rows.length
      ? rows.map(
          (a) =>
            html`<tr data-audit="${a.id}" data-action="${a.action}"><td>${when(a.at)}</td><td>${a.user}</td><td>${a.action}</td><td>${a.address ?? "–"}</td><td>${[a.device, a.position, a.iccid].filter(Boolean).join(" · ") || "–"}</td><td class="comment">${Object.keys(a.detail).length ? JSON.stringify(a.detail) : "–"}</td></tr>`,
        )
      : html`<tr><td colspan="6">${t("audit.none")}</td></tr>`
  }</tbody>
</table></div>
${o.older && oldest !== undefined ? html`<p><a href="/settings/audit?${keep.toString() ? `${keep.toString()}&` : ""}before=${oldest}">${t("events.page.older")}</a></p>` : ""}`;
};
