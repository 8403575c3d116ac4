/**
 * What a page module's routes need from a request, and the few ways they answer (a page in
 * the shell, a live region alone, a refusal): the same for every page's routes.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { feedEnd, formatPosition } from "../events/feed";
import type { Session } from "../access/sessions";
import { mayWorkTheFarm } from "../access/roles";
import type { PanelContext } from "./context";
import { html, type Html } from "./html";
import { sendHtml, securityHeaders } from "./http";
import type { StringKey } from "./i18n/en";
import type { Locale, Translate } from "./i18n/locale";
import { document, shell } from "./layout";

export interface PanelRequest {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  readonly session: Session | null;
  readonly locale: Locale;
  readonly t: Translate;
}

/**
 * One of the panel's routes, an entry of the service's route table once the panel has
 * wrapped it in its own concerns (the session, the locale, Origin and CSRF for a POST). A GET
 * route answers HEAD too. `params` are the path's named parts; `fields` a POST's form.
 */
export interface PanelRoute {
  readonly method: "GET" | "POST";
  readonly path: string;
  readonly handle: (r: PanelRequest, params: Readonly<Record<string, string>>, fields: Map<string, string>) => Promise<void> | void;
  /** Served without a session (the sign-in): no redirect, no CSRF token to check. */
  readonly open?: boolean;
  /** A route that takes a file (the CSV import): its own cap, its file parts among the fields. */
  readonly upload?: { readonly maxBytes: number; readonly tooLarge: StringKey };
}

/** A page module's routes. */
export type PageRoutes = readonly PanelRoute[];

/** The page's script asking for its live region only. */
export const isFragment = (r: PanelRequest): boolean => r.req.headers["x-simgate-fragment"] === "1";

export const sendFragment = (r: PanelRequest, body: Html): void => {
  r.res.writeHead(200, { ...securityHeaders, "content-type": "text/html; charset=utf-8" });
  r.res.end(body.text);
};

/** A page in the shell; the feed position is read before the caller read its data when given. */
export const sendPage = async (ctx: PanelContext, r: PanelRequest, o: { status?: number; nav: string; title: string; main: Html; feed?: Awaited<ReturnType<typeof feedEnd>> }): Promise<void> => {
  const s = r.session!;
  sendHtml(r.res, o.status ?? 200, shell({ t: r.t, locale: r.locale, user: s.user, csrf: s.csrf, path: o.nav, title: o.title, feedPosition: formatPosition(o.feed ?? (await feedEnd(ctx.db))), main: o.main }));
};

export const errorPage = (r: PanelRequest, status: number, text: string): void =>
  sendHtml(r.res, status, document(r.locale, `${status} · ${r.t("app.title")}`, html`<main id="main"><h1>${status}</h1><p class="notice error" role="alert">${text}</p><p><a href="/">${r.t("nav.dashboard")}</a></p></main>`));

/** Refuses (403) a user whose role may not change the farm; true when it did. */
export const refusedRole = (r: PanelRequest): boolean => {
  const s = r.session!;
  if (mayWorkTheFarm(s.user.role)) return false;
  errorPage(r, 403, r.t("refused.role", { role: r.t(`role.${s.user.role}`) }));
  return true;
};
