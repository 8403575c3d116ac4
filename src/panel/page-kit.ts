/**
 * What a page module gets from the panel's handler: the request as the handler resolved it
 * (session, language) and the pieces of the response every page shares. Pages in their own
 * modules (Events, Settings) take these instead of reaching into the handler.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Session } from "../access/sessions";
import { feedEnd, formatPosition } from "../events/feed";
import type { PanelContext } from "./context";
import type { Html } from "./html";
import { securityHeaders, sendHtml } from "./http";
import type { Locale, Translate } from "./i18n/locale";
import { shell } from "./layout";

export interface PanelRequest {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  readonly session: Session | null;
  readonly locale: Locale;
  readonly t: Translate;
}

export interface PageKit {
  readonly errorPage: (r: PanelRequest, status: number, text: string) => void;
}

export type Notice = { readonly kind: "error" | "info"; readonly text: string } | null;

/** A fragment request (the page's script refreshing its live region) gets only the region. */
export const isFragment = (r: PanelRequest): boolean => r.req.headers["x-simgate-fragment"] === "1";

export const sendFragment = (r: PanelRequest, body: Html): void => {
  r.res.writeHead(200, { ...securityHeaders, "content-type": "text/html; charset=utf-8" });
  r.res.end(body.text);
};

/** A whole page in the shell; the feed position is read before the page's data was (`feed`) or now. */
export const sendPage = async (ctx: PanelContext, r: PanelRequest, o: { path: string; title: string; main: Html; status?: number; feed?: string }): Promise<void> => {
  const s = r.session!;
  const feedPosition = o.feed ?? formatPosition(await feedEnd(ctx.db));
  sendHtml(r.res, o.status ?? 200, shell({ t: r.t, locale: r.locale, user: s.user, csrf: s.csrf, path: o.path, title: o.title, feedPosition, main: o.main }));
};
