/**
 * The Settings page: the user's language and API key, their notifications (URL, format,
 * events, a test event and the delivery log) and Telegram bot, the operators' USSD codes
 * and how long records are kept. Those who may not change a section see it without its
 * forms; the server refuses their posts besides. Admins get links to users and the audit log.
 */
import type { Delivery } from "../../notify/webhooks";
import type { NotifySettings } from "../../notify/settings";
import { EVENT_TYPES } from "../../store/events";
import type { Retention } from "../../config/retention";
import type { RetentionInForce } from "../../store/retention";
import { html, type Html } from "../html";
import type { StringKey } from "../i18n/en";
import { LOCALES, type Locale, type Translate } from "../i18n/locale";

/** What a page says about the last change: done, or refused with the reason. */
export type Notice = { readonly kind: "error" | "info"; readonly text: string } | null;

const NAMES: Record<Locale, string> = { en: "English", ru: "Русский" };

export interface OperatorCodes {
  readonly name: string;
  readonly cards: number;
  readonly balance_ussd: string | null;
  readonly number_ussd: string | null;
}

export interface SettingsView {
  readonly csrf: string;
  readonly locale: string | null;
  /** Operators and admins change their own notifications and key; viewers read. */
  readonly mayChange: boolean;
  readonly admin: boolean;
  readonly notify: NotifySettings;
  readonly deliveries: readonly Delivery[];
  readonly olderDeliveries: boolean;
  readonly operators: readonly OperatorCodes[];
  readonly retention: RetentionInForce;
  /** A key just made: shown this once. */
  readonly newKey: string | null;
  readonly notice: Notice;
}

const when = (d: Date | null) => (d ? html`<time datetime="${new Date(d).toISOString()}">${new Date(d).toISOString().replace("T", " ").slice(0, 19)}</time>` : "–");

const csrfField = (csrf: string) => html`<input type="hidden" name="csrf" value="${csrf}">`;

/** A section's fields: a form for those who may change it, the same fields (disabled) to read for the others. */
const formOr = (may: boolean, action: string, inner: Html) =>
  may ? html`<form method="post" action="${action}" class="settings-form">${inner}</form>` : html`<div class="settings-form">${inner}</div>`;

export const noticeOf = (notice: Notice) => (notice ? html`<p class="notice ${notice.kind}" role="${notice.kind === "error" ? "alert" : "status"}">${notice.text}</p>` : "");

const language = (t: Translate, v: SettingsView) => html`<form method="post" action="/settings/language" class="card">
  <label for="locale">${t("settings.language")}</label>
  <select id="locale" name="locale">
    <option value=""${v.locale === null ? html` selected` : ""}>${t("settings.languageAuto")}</option>
    ${Object.keys(LOCALES).map((l) => html`<option value="${l}"${v.locale === l ? html` selected` : ""}>${NAMES[l as Locale]}</option>`)}
  </select>
  ${csrfField(v.csrf)}
  <button type="submit">${t("settings.save")}</button>
</form>`;

const apiKey = (t: Translate, v: SettingsView) => html`<section class="settings-part" aria-labelledby="key-title"><h2 id="key-title">${t("settings.key.title")}</h2>
<p class="note">${t("settings.key.help")}</p>
${v.newKey ? html`<p class="notice info" role="status">${t("settings.key.new")} <code id="new-key">${v.newKey}</code></p>` : ""}
${v.mayChange ? html`<form method="post" action="/settings/key">${csrfField(v.csrf)}<button type="submit">${t("settings.key.rotate")}</button></form>` : ""}
</section>`;

const deliveryState = (t: Translate, d: Delivery) =>
  d.deliveredAt ? html`<span data-state="delivered">${t("settings.log.delivered")}</span> ${when(d.deliveredAt)}` : d.attempts > 0 ? html`<span data-state="failed" class="bad">${t("settings.log.failed")}</span> <small>${t("settings.log.next")} ${when(d.nextAttemptAt)}</small>` : html`<span data-state="pending">${t("settings.log.pending")}</span>`;

const deliveryLog = (t: Translate, v: SettingsView) => {
  const waiting = v.deliveries.some((d) => !d.deliveredAt);
  const oldest = v.deliveries.at(-1)?.id;
  return html`<h3 id="log-title">${t("settings.log.title")}</h3>
${waiting && v.mayChange ? html`<form method="post" action="/settings/notify/retry">${csrfField(v.csrf)}<button type="submit">${t("settings.log.retry")}</button></form>` : ""}
<div class="table-wrap" role="region" tabindex="0" aria-labelledby="log-title"><table class="cards delivery-log">
  <thead><tr><th scope="col">#</th><th scope="col">${t("settings.log.event")}</th><th scope="col">${t("settings.log.queued")}</th><th scope="col">${t("settings.log.state")}</th><th scope="col">${t("settings.log.attempts")}</th><th scope="col">${t("settings.log.answer")}</th></tr></thead>
  <tbody>${
    v.deliveries.length
      ? v.deliveries.map((d) => html`<tr data-delivery="${d.id}" data-event="${d.event}"><td>${d.id}</td><td>${d.event}</td><td>${when(d.createdAt)}</td><td>${deliveryState(t, d)}</td><td>${d.attempts}</td><td class="comment" data-field="answer">${d.lastError ?? "–"}</td></tr>`)
      : html`<tr><td colspan="6">${t("settings.log.none")}</td></tr>`
  }</tbody>
</table></div>
${v.olderDeliveries && oldest !== undefined ? html`<p><a href="/settings?log_before=${oldest}#log-title">${t("events.page.older")}</a></p>` : ""}`;
};

const notifications = (t: Translate, v: SettingsView) => {
  const n = v.notify;
  const disabled = v.mayChange ? "" : html` disabled`;
  return html`<section class="settings-part" aria-labelledby="notify-title"><h2 id="notify-title">${t("settings.notify.title")}</h2>
<p class="note">${t("settings.notify.help")}</p>
${formOr(
    v.mayChange,
    "/settings/notify",
    html`${csrfField(v.csrf)}
  <label for="notify-url">${t("settings.notify.url")}</label><input id="notify-url" name="url" type="url" value="${n.url ?? ""}" maxlength="2000" placeholder="https://"${disabled}>
  <label for="notify-format">${t("settings.notify.format")}</label>
  <select id="notify-format" name="format"${disabled}>${(["form", "json"] as const).map((f) => html`<option value="${f}"${n.format === f ? html` selected` : ""}>${t(`settings.notify.format.${f}`)}</option>`)}</select>
  <fieldset><legend>${t("settings.notify.events")}</legend>
  ${EVENT_TYPES.map((e) => html`<label class="check"><input type="checkbox" name="event_${e}" value="1"${n.events[e] ? html` checked` : ""}${disabled}> ${t(`events.type.${e}` as StringKey)}</label>`)}
  </fieldset>
  ${v.mayChange ? html`<button type="submit">${t("settings.notify.save")}</button>` : ""}`,
  )}
<p class="note">${t("settings.notify.secret")} <code>${n.secret}</code></p>
${v.mayChange ? html`<form method="post" action="/settings/notify/test">${csrfField(v.csrf)}<button type="submit">${t("settings.notify.test")}</button></form>` : ""}
${deliveryLog(t, v)}
</section>`;
};

const telegram = (t: Translate, v: SettingsView) => {
  const tg = v.notify.telegram;
  return html`<section class="settings-part" aria-labelledby="telegram-title"><h2 id="telegram-title">${t("settings.telegram.title")}</h2>
<p class="note">${tg.token ? t("settings.telegram.set", { token: `${tg.token.slice(0, 4)}…`, chat: tg.chatId ?? "–" }) : t("settings.telegram.unset")}</p>
${
  v.mayChange
    ? html`<form method="post" action="/settings/telegram" class="settings-form">
  ${csrfField(v.csrf)}
  <label for="tg-token">${t("settings.telegram.token")}</label><input id="tg-token" name="telegram_token" type="password" autocomplete="off" maxlength="100" placeholder="${t("settings.telegram.keep")}">
  <label for="tg-chat">${t("settings.telegram.chat")}</label><input id="tg-chat" name="telegram_chat_id" value="${tg.chatId ?? ""}" maxlength="40">
  <label class="check"><input type="checkbox" name="clear" value="1"> ${t("settings.telegram.clear")}</label>
  <button type="submit">${t("settings.save")}</button>
</form>`
    : ""
}
</section>`;
};

const operatorCodes = (t: Translate, v: SettingsView) => html`<section class="settings-part" aria-labelledby="codes-title"><h2 id="codes-title">${t("settings.codes.title")}</h2>
<p class="note">${t(v.admin ? "settings.codes.help" : "settings.codes.adminOnly")}</p>
<div class="table-wrap" role="region" tabindex="0" aria-labelledby="codes-title"><table class="cards operator-codes">
  <thead><tr><th scope="col">${t("cards.col.operator")}</th><th scope="col">${t("settings.codes.cards")}</th><th scope="col">${t("settings.codes.balance")}</th><th scope="col">${t("settings.codes.number")}</th>${v.admin ? html`<th scope="col"><span class="visually-hidden">${t("settings.save")}</span></th>` : ""}</tr></thead>
  <tbody>${
    v.operators.length
      ? v.operators.map((o, i) =>
          v.admin
            ? html`<tr data-operator="${o.name}"><th scope="row">${o.name}</th><td>${o.cards}</td>
  <td><input form="op-${i}" name="balance_ussd" value="${o.balance_ussd ?? ""}" maxlength="40" aria-label="${t("settings.codes.balanceOf", { operator: o.name })}"></td>
  <td><input form="op-${i}" name="number_ussd" value="${o.number_ussd ?? ""}" maxlength="40" aria-label="${t("settings.codes.numberOf", { operator: o.name })}"></td>
  <td><form id="op-${i}" method="post" action="/settings/operators">${csrfField(v.csrf)}<input type="hidden" name="name" value="${o.name}"><button type="submit" aria-label="${t("settings.codes.saveOf", { operator: o.name })}">${t("settings.save")}</button></form></td></tr>`
            : html`<tr data-operator="${o.name}"><th scope="row">${o.name}</th><td>${o.cards}</td><td>${o.balance_ussd ?? "–"}</td><td>${o.number_ussd ?? "–"}</td></tr>`,
        )
      : html`<tr><td colspan="${v.admin ? 5 : 4}">${t("settings.codes.none")}</td></tr>`
  }</tbody>
</table></div>
${
  v.admin
    ? html`<form method="post" action="/settings/operators" class="filters">${csrfField(v.csrf)}
  <span class="field"><label for="op-new">${t("settings.codes.new")}</label><input id="op-new" name="name" maxlength="100" required></span>
  <span class="field"><label for="op-new-balance">${t("settings.codes.balance")}</label><input id="op-new-balance" name="balance_ussd" maxlength="40" placeholder="*100#"></span>
  <span class="field"><label for="op-new-number">${t("settings.codes.number")}</label><input id="op-new-number" name="number_ussd" maxlength="40"></span>
  <button type="submit">${t("settings.codes.add")}</button>
</form>`
    : ""
}
</section>`;

const RETENTION_KINDS: ReadonlyArray<keyof Retention> = ["smsDays", "ussdDays", "callsDays", "atLogDays", "eventsDays"];

const retention = (t: Translate, v: SettingsView) => {
  const r = v.retention;
  return html`<section class="settings-part" aria-labelledby="retention-title"><h2 id="retention-title">${t("settings.retention.title")}</h2>
<p class="note">${t(r.source === "panel" ? "settings.retention.fromPanel" : "settings.retention.fromConfig")} ${t("settings.retention.help")}</p>
${formOr(
    v.admin,
    "/settings/retention",
    html`${csrfField(v.csrf)}
  ${RETENTION_KINDS.map((k) => html`<label for="ret-${k}">${t(`settings.retention.${k}`)}</label><input id="ret-${k}" name="${k}" type="number" min="0" max="36500" step="1" value="${r.retention[k]}"${v.admin ? "" : html` disabled`}>`)}
  ${v.admin ? html`<button type="submit">${t("settings.save")}</button>` : ""}`,
  )}
${v.admin && r.source === "panel" ? html`<form method="post" action="/settings/retention">${csrfField(v.csrf)}<input type="hidden" name="reset" value="1"><button type="submit">${t("settings.retention.reset")}</button></form>` : ""}
</section>`;
};

export const settingsMain = (t: Translate, v: SettingsView): Html => html`${noticeOf(v.notice)}
${language(t, v)}
${v.admin ? html`<nav class="settings-admin" aria-label="${t("settings.admin")}"><ul><li><a href="/settings/users">${t("users.title")}</a></li><li><a href="/settings/audit">${t("audit.title")}</a></li></ul></nav>` : ""}
${apiKey(t, v)}
${notifications(t, v)}
${telegram(t, v)}
${operatorCodes(t, v)}
${retention(t, v)}`;

/** The pages of part 2 not served yet. */
