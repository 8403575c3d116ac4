/** The sign-in page: user name and password, with the double-submit token of the sign-in form. */
import { html } from "../html";
import { document } from "../layout";
import type { Locale, Translate } from "../i18n/locale";

export const signInPage = (t: Translate, locale: Locale, formToken: string, notice: { kind: "error" | "info"; text: string } | null, userName = "") =>
  document(
    locale,
    `${t("signIn.title")} · ${t("app.title")}`,
    html`<main id="main" class="sign-in">
  <h1>${t("app.title")}</h1>
  <form method="post" action="/login" class="card">
    <h2>${t("signIn.title")}</h2>
    ${notice ? html`<p class="notice ${notice.kind}" role="${notice.kind === "error" ? "alert" : "status"}">${notice.text}</p>` : ""}
    <input type="hidden" name="csrf" value="${formToken}">
    <label for="user">${t("signIn.user")}</label>
    <input id="user" name="user" autocomplete="username" required maxlength="64" value="${userName}" autofocus>
    <label for="password">${t("signIn.password")}</label>
    <input id="password" name="password" type="password" autocomplete="current-password" required maxlength="200">
    <button type="submit">${t("signIn.submit")}</button>
  </form>
</main>`,
  );
