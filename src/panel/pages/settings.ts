/** Settings, part 1: the user's language. Users and the farm's settings come with part 2. */
import { html } from "../html";
import { LOCALES, type Locale, type Translate } from "../i18n/locale";

const NAMES: Record<Locale, string> = { en: "English", ru: "Русский" };

export const settingsMain = (t: Translate, chosen: string | null, csrf: string, saved: boolean) => html`${saved ? html`<p class="notice info" role="status">${t("settings.saved")}</p>` : ""}
<form method="post" action="/settings/language" class="card">
  <label for="locale">${t("settings.language")}</label>
  <select id="locale" name="locale">
    <option value=""${chosen === null ? html` selected` : ""}>${t("settings.languageAuto")}</option>
    ${Object.keys(LOCALES).map((l) => html`<option value="${l}"${chosen === l ? html` selected` : ""}>${NAMES[l as Locale]}</option>`)}
  </select>
  <input type="hidden" name="csrf" value="${csrf}">
  <button type="submit">${t("settings.save")}</button>
</form>
<p>${t("later.text")}</p>`;

export const laterMain = (t: Translate) => html`<p>${t("later.text")}</p>`;
