/**
 * The page shell: the document, the navigation for every page of the panel, who is signed
 * in and the sign-out forms. Pages give their title and main content; the live region
 * (`data-live`) is what the page's script refreshes in place when the stream says something
 * changed.
 */
import { html, type Html } from "./html";
import type { StringKey } from "./i18n/en";
import type { Locale, Translate } from "./i18n/locale";

export const ASSET_VERSION = "8";

export interface ShellUser {
  readonly name: string;
  readonly role: "admin" | "operator" | "viewer";
}

export const NAV: ReadonlyArray<{ readonly path: string; readonly key: StringKey }> = [
  { path: "/", key: "nav.dashboard" },
  { path: "/devices", key: "nav.devices" },
  { path: "/cards", key: "nav.cards" },
  { path: "/online", key: "nav.online" },
  { path: "/messages", key: "nav.messages" },
  { path: "/pools", key: "nav.pools" },
  { path: "/events", key: "nav.events" },
  { path: "/settings", key: "nav.settings" },
];

export const document = (locale: Locale, title: string, body: Html, attributes: Html = html``): Html => html`<!doctype html>
<html lang="${locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${title}</title>
<link rel="stylesheet" href="/panel/assets/panel.css?v=${ASSET_VERSION}">
<script src="/panel/assets/panel.js?v=${ASSET_VERSION}" defer></script>
</head>
<body ${attributes}>
${body}
</body>
</html>`;

export interface ShellOptions {
  readonly t: Translate;
  readonly locale: Locale;
  readonly user: ShellUser;
  readonly csrf: string;
  /** The nav entry this page belongs to. */
  readonly path: string;
  readonly title: string;
  /** The feed position the page was rendered at: the live stream starts there, so nothing in between is missed. */
  readonly feedPosition: string;
  readonly main: Html;
}

export const shell = (o: ShellOptions): Html =>
  document(
    o.locale,
    `${o.title} · ${o.t("app.title")}`,
    html`<a class="skip" href="#main">${o.t("shell.skip")}</a>
<header class="top">
  <a class="brand" href="/">${o.t("app.title")}</a>
  <nav aria-label="${o.t("nav.label")}">
    <ul>${NAV.map((n) => html`<li><a href="${n.path}"${n.path === o.path ? html` aria-current="page"` : ""}>${o.t(n.key)}</a></li>`)}</ul>
  </nav>
  <div class="who">
    <span id="live-state" class="live" role="status" data-live-text="${o.t("shell.live")}" data-offline-text="${o.t("shell.offline")}">${o.t("shell.offline")}</span>
    <span>${o.t("shell.signedInAs", { name: o.user.name, role: o.t(`role.${o.user.role}`) })}</span>
    <form method="post" action="/logout"><input type="hidden" name="csrf" value="${o.csrf}"><button type="submit">${o.t("shell.signOut")}</button></form>
    <form method="post" action="/logout-all"><input type="hidden" name="csrf" value="${o.csrf}"><button type="submit">${o.t("shell.signOutEverywhere")}</button></form>
  </div>
</header>
<main id="main" tabindex="-1">
<h1>${o.title}</h1>
${o.main}
</main>`,
    html`data-feed="${o.feedPosition}"`,
  );
