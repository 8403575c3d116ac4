/**
 * The web panel, served by the service at `/`: server-rendered pages, the live stream, and
 * the few state changes of part 1 (sign-in and out, the language, switching a position in).
 * Every state change is a POST that must come from this panel's own pages (Origin) and carry
 * the session's CSRF token; the cookie is HttpOnly and SameSite=Strict besides.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { IncomingMessage, ServerResponse } from "node:http";
import { randomBytes } from "node:crypto";
import { Effect, Option, Schedule, SubscriptionRef } from "effect";
import type { ModemActor } from "../../drivers/modem/modem-actor";
import { answersAt } from "../../drivers/modem/bring-up";
import { recordEvent } from "../store/events";
import { formatPosition, feedEnd, type FeedPosition } from "../events/feed";
import { checkSignIn } from "../access/accounts";
import { audit } from "../access/audit";
import { recordAttempt, throttled } from "../access/login-throttle";
import { mayWorkTheFarm } from "../access/roles";
import { endSession, endUserSessions, pruneSessions, sessionOf, startSession, type Session } from "../access/sessions";
import { BodyTooLarge, MAX_BODY_BYTES, readBodyFields, textFields } from "../api/http/body";
import { notFound, type Route, type RouteMatch } from "../api/http/router";
import { deviceGrid, modemsOf, visibleDevices, withSignalHistory } from "./farm-view";
import { alertsFor, messagesPerHour } from "./alerts";
import { html, type Html } from "./html";
import { clientAddress, cookies, foreignOrigin, redirect, sameSecret, sendHtml, sessionCookie, SESSION_COOKIE, securityHeaders } from "./http";
import { isLocale, localeFromAcceptLanguage, translator, type Locale, type Translate } from "./i18n/locale";
import { document, shell } from "./layout";
import { COMPACT_ABOVE, dashboardLive, dashboardMain, inTrouble } from "./pages/dashboard";
import { deviceLive, deviceMain, devicesMain } from "./pages/devices";
import { signInPage } from "./pages/sign-in";
import { cardsLive, cardsMain, importReport, type Editing } from "./pages/cards";
import { cardPage, cardQueryString, cardScope, oneCard, parseCardQuery } from "./cards-view";
import { applyImport, IMPORT_MAX_BYTES, planImport, streamCardsCsv } from "./cards-csv";
import { cardFieldProblem, updateCard, type CardChanges } from "../cards/inventory";
import { DEFAULT_STREAM_OPTIONS, liveStreams, type LiveStreams, type StreamOptions } from "./stream";
import { messagesRoutes } from "./messages-routes";
import { poolsRoutes } from "./pools-routes";
import { bulkNotice, cardRoutes } from "./card-routes";
import { onlineRoutes } from "./online-routes";
import { showEvents } from "./events-routes";
import type { PanelRoute } from "./route-kit";
import { settingsRoutes } from "./settings-routes";
import { CONSOLE_PAGE, consoleRoutes } from "./console-routes";
import { runIn, type PanelContext, type PanelSetup } from "./context";
import { withDirectory } from "../cards/card-directory";

const LOGIN_COOKIE = "simgate_login";

/**
 * The module's own reset (the vendor profile's command, AT+CFUN=1,1 for most), then, once
 * it answers again, its settings and a sweep: the ladder the supervisor climbs for a modem
 * that stopped answering, asked for by hand. A modem that stays silent is the supervisor's
 * to find (its health check) and reopen.
 */
const resetModem = (actor: ModemActor) =>
  Effect.gen(function* () {
    yield* actor.port.command(actor.profile.resetCommand, { priority: "urgent", timeoutMs: 2_000 }).pipe(Effect.ignore);
    const back = yield* answersAt(actor.port, { timeoutMs: 1_000, priority: "urgent" }).pipe(Effect.retry(Schedule.spaced(1_000)), Effect.timeoutOption(20_000));
    if (Option.isSome(back)) yield* actor.recover("after a reset asked in the panel");
  }).pipe(Effect.ignore);

const ASSETS: Record<string, { file: string; type: string }> = {
  "panel.js": { file: "assets/panel.js", type: "text/javascript; charset=utf-8" },
  "panel.css": { file: "assets/panel.css", type: "text/css; charset=utf-8" },
  "online.js": { file: "assets/online.js", type: "text/javascript; charset=utf-8" },
  "console.js": { file: "assets/console.js", type: "text/javascript; charset=utf-8" },
};

/**
 * The terminal widget of the console page, served from the installed packages: the panel
 * loads nothing from outside the machine.
 */
const VENDOR: Record<string, { module: string; type: string }> = {
  "xterm.js": { module: "@xterm/xterm/lib/xterm.js", type: "text/javascript; charset=utf-8" },
  "xterm.css": { module: "@xterm/xterm/css/xterm.css", type: "text/css; charset=utf-8" },
  "addon-fit.js": { module: "@xterm/addon-fit/lib/addon-fit.js", type: "text/javascript; charset=utf-8" },
};

const vendorBody = (() => {
  const cache = new Map<string, Buffer>();
  return (name: string) => {
    if (!cache.has(name)) cache.set(name, readFileSync(createRequire(import.meta.url).resolve(VENDOR[name]!.module)));
    return cache.get(name)!;
  };
})();

/** Read once: the assets ship in the repository next to this file. */
const assetBody = (() => {
  const cache = new Map<string, Buffer>();
  return (name: string) => {
    if (!cache.has(name)) cache.set(name, readFileSync(new URL(ASSETS[name]!.file, import.meta.url)));
    return cache.get(name)!;
  };
})();

interface Request {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  readonly session: Session | null;
  readonly locale: Locale;
  readonly t: Translate;
}

export interface Panel {
  /** The panel's entries of the service's route table. */
  readonly routes: readonly Route[];
  /** Cuts every open live stream (tests use it as a dropped connection). */
  readonly dropStreams: () => number;
  /** How many tabs are open, and how many feed reads they have cost. */
  readonly streams: Pick<LiveStreams, "open" | "reads">;
}

/**
 * The paths the panel answers whatever is asked there: a page it does not have is its own
 * 404 page (after the sign-in), a method it does not take its 405 page. Other paths are the
 * service's.
 */
const PANEL_PATHS = ["/", "/login", "/logout", "/logout-all", "/devices", "/devices/*", "/settings", "/settings/*", "/cards", "/cards.csv", "/cards/*", "/panel/*", "/messages", "/messages.csv", "/messages/delete", "/messages/assign", "/pools", "/pools/*", "/online", "/online/*", "/events", CONSOLE_PAGE];

/** A client that asks for JSON at `/` (scripts, the old index) still gets the JSON index. */
const wantsJson = (req: IncomingMessage) => {
  const accept = req.headers.accept ?? "";
  return accept.includes("application/json") && !accept.includes("text/html");
};

const errorPage = (r: Request, status: number, text: string) =>
  sendHtml(r.res, status, document(r.locale, `${status} · ${r.t("app.title")}`, html`<main id="main"><h1>${status}</h1><p class="notice error" role="alert">${text}</p><p><a href="/">${r.t("nav.dashboard")}</a></p></main>`));

export const panelRoutes = (setup: PanelSetup, streamOptions: StreamOptions = DEFAULT_STREAM_OPTIONS): Panel => {
  const ctx: PanelContext = withDirectory(setup);
  const streams = liveStreams(streamOptions);

  /** `feed`: where the feed stood before the page's data was read, when the page asked for it then. */
  const page = async (r: Request, path: string, title: string, main: Html, feed?: FeedPosition) => {
    const s = r.session!;
    sendHtml(r.res, 200, shell({ t: r.t, locale: r.locale, user: s.user, csrf: s.csrf, path, title, feedPosition: formatPosition(feed ?? (await feedEnd(ctx.db))), main }));
  };

  /** A fragment request (the page's script refreshing its live region) gets only the region. */
  const fragment = (r: Request) => r.req.headers["x-simgate-fragment"] === "1";

  const sendFragment = (r: Request, body: Html) => {
    r.res.writeHead(200, { ...securityHeaders, "content-type": "text/html; charset=utf-8" });
    r.res.end(body.text);
  };

  const devicesOfUser = async (s: Session) => visibleDevices(ctx, s.user);

  /** The dashboard: where the feed stands is read before the data, so the tab's stream starts no later than what the page shows. */
  const dashboard = async (r: Request): Promise<void> => {
    const s = r.session!;
    const [feed, devices] = await Promise.all([fragment(r) ? null : feedEnd(ctx.db), devicesOfUser(s)]);
    const [all, alerts, hours] = await Promise.all([modemsOf(ctx, devices), alertsFor(ctx, s.user, devices), messagesPerHour(ctx, s.user, devices)]);
    // Sparklines for the modems that get a table row (all, or past COMPACT_ABOVE those in trouble).
    const rows = await withSignalHistory(ctx, all.length > COMPACT_ABOVE ? all.filter(inTrouble) : all);
    const withRows = new Map(rows.map((m) => [`${m.device}#${m.modem}`, m]));
    const modems = all.map((m) => withRows.get(`${m.device}#${m.modem}`) ?? m);
    const data = { devices, modems, alerts, hours };
    return feed === null ? sendFragment(r, dashboardLive(r.t, data)) : page(r, "/", r.t("dashboard.title"), dashboardMain(r.t, data), feed);
  };

  const showDevice = async (r: Request, key: string): Promise<void> => {
    const s = r.session!;
    const grid = await deviceGrid(ctx, s.user, key);
    if (!grid) return errorPage(r, 404, r.t("device.notFound"));
    const mayWork = mayWorkTheFarm(s.user.role);
    if (fragment(r)) return sendFragment(r, deviceLive(r.t, grid, mayWork, s.csrf));
    const switched = r.url.searchParams.get("switched");
    const released = r.url.searchParams.get("released");
    const reread = r.url.searchParams.get("reread");
    const reset = r.url.searchParams.get("reset");
    const rescan = r.url.searchParams.get("rescan");
    const offline = r.url.searchParams.get("offline");
    const refused = r.url.searchParams.get("refused");
    const notice = refused
      ? { kind: "error" as const, text: r.t("device.refused", { reason: refused }) }
      : switched
        ? { kind: "info" as const, text: r.t("device.switched", { position: switched }) }
        : released
          ? { kind: "info" as const, text: r.t("device.released", { position: released }) }
          : reread
            ? { kind: "info" as const, text: r.t("modem.reread.done", { modem: reread }) }
            : reset
              ? { kind: "info" as const, text: r.t("modem.reset.done", { modem: reset }) }
              : rescan
                ? { kind: "info" as const, text: r.t(rescan === "busy" ? "device.rescan.busy" : "device.rescan.done") }
                : offline
                  ? { kind: "error" as const, text: r.t("modem.reread.offline", { modem: offline }) }
                  : null;
    return page(r, "/devices", grid.device.title, deviceMain(r.t, grid, mayWork, s.csrf, notice));
  };

  const exportCards = async (r: Request): Promise<void> => {
    const s = r.session!;
    const { scope, devices } = await cardScope(ctx, s.user);
    return streamCardsCsv(ctx, r.res, { scope, devices, query: parseCardQuery(r.url.searchParams) }, `sim-cards-${new Date().toISOString().slice(0, 10)}.csv`, (rows) =>
      audit(ctx.db, { user: s.user.name, address: clientAddress(r.req), action: "cards.export", detail: { query: r.url.search, rows } }),
    );
  };

  const liveStream = async (r: Request): Promise<void> => {
    // The stream is read by this panel's own pages only.
    const foreign = foreignOrigin(r.req, false);
    if (foreign) return errorPage(r, 403, r.t("refused.origin", { origin: foreign }));
    const s = r.session!;
    const devices = s.user.admin ? null : new Set((await devicesOfUser(s)).map((d) => d.key));
    return streams.serve(ctx, r.req, r.res, s.id, devices);
  };

  const signOut = async (r: Request, everywhere: boolean): Promise<void> => {
    const s = r.session!;
    if (!everywhere) await endSession(ctx.db, s.id);
    else await endUserSessions(ctx.db, s.user.id);
    await audit(ctx.db, { user: s.user.name, address: clientAddress(r.req), action: everywhere ? "sign-out-everywhere" : "sign-out" });
    return redirect(r.res, "/login?signedOut=1", { "set-cookie": sessionCookie(r.req, null) });
  };

  const setLanguage = async (r: Request, fields: Map<string, string>): Promise<void> => {
    const s = r.session!;
    const locale = fields.get("locale") ?? "";
    await ctx.db.updateTable("api_users").set({ locale: isLocale(locale) ? locale : null }).where("id", "=", s.user.id).execute();
    await audit(ctx.db, { user: s.user.name, address: clientAddress(r.req), action: "settings.language", detail: { locale: isLocale(locale) ? locale : null } });
    return redirect(r.res, "/settings?saved=1");
  };

  /** Switches a position in or releases it, through the scheduler, as a SimFolder cardSelect by the same user. */
  const onPosition = async (r: Request, key: string, action: "switch" | "release", fields: Map<string, string>): Promise<void> => {
    const s = r.session!;
    const address = clientAddress(r.req);
    const position = fields.get("position") ?? "";
    if (!mayWorkTheFarm(s.user.role)) return errorPage(r, 403, r.t("refused.role", { role: r.t(`role.${s.user.role}`) }));
    const device = (await devicesOfUser(s)).find((d) => d.key === key);
    if (!device) return errorPage(r, 404, r.t("device.notFound"));
    const back = `/devices/${encodeURIComponent(key)}`;
    const holder = `user:${s.user.id}`;
    const card = await ctx.db.selectFrom("sim_cards").select("iccid").where("device_id", "=", device.id).where("place", "=", position).executeTakeFirst();
    if (action === "release") {
      await runIn(ctx)(ctx.scheduler.release(key, position, holder));
      await audit(ctx.db, { user: s.user.name, address, action: "position.release", device: key, position, iccid: card?.iccid ?? null });
      return redirect(r.res, `${back}?released=${encodeURIComponent(position)}`);
    }
    // Refused when it would move a held card.
    const claimed = await runIn(ctx)(Effect.either(ctx.scheduler.claim(key, position, holder)));
    await audit(ctx.db, {
      user: s.user.name,
      address,
      action: "position.switch",
      device: key,
      position,
      iccid: card?.iccid ?? null,
      detail: claimed._tag === "Left" ? { refused: claimed.left.message } : {},
    });
    return redirect(r.res, claimed._tag === "Left" ? `${back}?refused=${encodeURIComponent(claimed.left.message)}` : `${back}?switched=${encodeURIComponent(position)}`);
  };

  /** The SIM cards page: `editing`, a card's form that came back refused (shown open, with what was typed). */
  const showCards = async (r: Request, query: URLSearchParams, opts: { status?: number; notice?: { kind: "error" | "info"; text: string } | null; editing?: Editing } = {}) => {
    const s = r.session!;
    const data = await cardPage(ctx, s.user, parseCardQuery(query));
    const o = { mayEdit: mayWorkTheFarm(s.user.role), csrf: s.csrf, now: Date.now(), editing: opts.editing ?? null };
    if (fragment(r)) return sendFragment(r, cardsLive(r.t, data, o));
    let notice = opts.notice ?? null;
    const saved = query.get("saved");
    if (!notice && saved) notice = { kind: "info", text: r.t(query.get("unchanged") ? "cards.unchanged" : "cards.saved", { iccid: saved }) };
    notice ??= bulkNotice(r.t, query);
    const feed = await feedEnd(ctx.db);
    const main = cardsMain(r.t, data, o, notice);
    sendHtml(r.res, opts.status ?? 200, shell({ t: r.t, locale: r.locale, user: s.user, csrf: s.csrf, path: "/cards", title: r.t("cards.title"), feedPosition: formatPosition(feed), main }));
  };

  /**
   * A card's name, number and comment, checked and written as the SimFolder API's cardEdit
   * does (the inventory's own check and update); an empty field clears it. Audited with what
   * changed; a refusal shows the form again with what was typed.
   */
  const editCard = async (r: Request, id: number, fields: Map<string, string>) => {
    const s = r.session!;
    if (!mayWorkTheFarm(s.user.role)) return errorPage(r, 403, r.t("refused.role", { role: r.t(`role.${s.user.role}`) }));
    const { scope } = await cardScope(ctx, s.user);
    const card = await oneCard(ctx.db, scope, id);
    if (!card) return errorPage(r, 404, r.t("cards.notFound"));
    // The list the form was on: its filters, sort and page, as the page would write them.
    const back = new URLSearchParams(cardQueryString(parseCardQuery(new URLSearchParams(fields.get("back") ?? ""))));
    const typed = { name: (fields.get("name") ?? "").trim(), number: (fields.get("number") ?? "").trim(), comment: (fields.get("comment") ?? "").trim() };
    const changes: CardChanges = {};
    const diff: Record<string, { from: string | null; to: string | null }> = {};
    for (const field of ["name", "number", "comment"] as const) {
      if (!fields.has(field)) continue;
      const value = typed[field] === "" ? null : typed[field];
      const why = value === null ? null : cardFieldProblem(field, value);
      if (why) return showCards(r, back, { status: 400, notice: { kind: "error", text: r.t("cards.refused", { iccid: card.iccid, reason: `${r.t(`cards.col.${field}`)} ${why}` }) }, editing: { id, values: typed } });
      if (value !== card[field]) {
        changes[field] = value;
        diff[field] = { from: card[field], to: value };
      }
    }
    if (Object.keys(changes).length > 0) {
      await updateCard(ctx.db, id, changes);
      await audit(ctx.db, { user: s.user.name, address: clientAddress(r.req), action: "card.edit", device: card.device, position: card.place, iccid: card.iccid, detail: { changes: diff } });
    } else back.set("unchanged", "1");
    back.set("saved", card.iccid);
    return redirect(r.res, `/cards?${back}`);
  };

  /** The CSV import: a dry run that reports per line, then (apply=1) the same plan written. */
  const importCards = async (r: Request, fields: Map<string, string>) => {
    const s = r.session!;
    if (!mayWorkTheFarm(s.user.role)) return errorPage(r, 403, r.t("refused.role", { role: r.t(`role.${s.user.role}`) }));
    const csv = fields.get("file")?.trim() ? fields.get("file")! : (fields.get("csv") ?? "");
    const { scope } = await cardScope(ctx, s.user);
    const plan = await planImport(ctx.db, scope, csv);
    const apply = fields.get("apply") === "1" && plan.refused === null;
    const applied = apply ? await applyImport(ctx.db, plan, { user: s.user.name, address: clientAddress(r.req) }) : null;
    const main = importReport(r.t, plan, { csrf: s.csrf, csv, applied });
    sendHtml(r.res, plan.refused ? 400 : 200, shell({ t: r.t, locale: r.locale, user: s.user, csrf: s.csrf, path: "/cards", title: r.t("cards.import.title"), feedPosition: formatPosition(await feedEnd(ctx.db)), main }));
  };

  /**
   * A modem of this host, through its actor: read the SIM again (a card the modem did not
   * announce), or reset the module with its vendor's command (what the supervisor does to
   * a modem that stopped answering), then set it up again once it answers.
   */
  const onModem = async (r: Request, key: string, modem: number, action: "reread" | "reset") => {
    const s = r.session!;
    if (!mayWorkTheFarm(s.user.role)) return errorPage(r, 403, r.t("refused.role", { role: r.t(`role.${s.user.role}`) }));
    const device = (await devicesOfUser(s)).find((d) => d.key === key);
    const registered = device && ctx.registry.modems.find((m) => m.device === key && m.position === modem);
    if (!registered) return errorPage(r, 404, r.t("device.notFound"));
    const actor = await runIn(ctx)(SubscriptionRef.get(registered.supervised.actor));
    await audit(ctx.db, { user: s.user.name, address: clientAddress(r.req), action: `modem.${action}`, device: key, detail: { modem, connected: Option.isSome(actor) } });
    const back = `/devices/${encodeURIComponent(key)}`;
    if (Option.isNone(actor)) return redirect(r.res, `${back}?offline=${modem}`);
    // The answer is the new state, which the stream brings; the request need not wait for it.
    if (action === "reread") {
      Effect.runFork(actor.value.refreshSim.pipe(Effect.timeout(30_000), Effect.ignore));
      return redirect(r.res, `${back}?reread=${modem}`);
    }
    // Recorded as the supervisor's resets are, so the dashboard's alerts show it too.
    await recordEvent(ctx.db, "modemTrouble", { device: key }, { modem, kind: "reset", detail: `${actor.value.profile.resetCommand}, asked in the panel by ${s.user.name}` });
    Effect.runFork(resetModem(actor.value));
    return redirect(r.res, `${back}?reset=${modem}`);
  };

  /** Reads every position of a device of this host again, through the scheduler; the grid follows live. */
  const rescanDevice = async (r: Request, key: string) => {
    const s = r.session!;
    if (!mayWorkTheFarm(s.user.role)) return errorPage(r, 403, r.t("refused.role", { role: r.t(`role.${s.user.role}`) }));
    const device = (await devicesOfUser(s)).find((d) => d.key === key);
    if (!device || !ctx.registry.devices.some((d) => d.config.id === key)) return errorPage(r, 404, r.t("device.notFound"));
    const started = await runIn(ctx)(Effect.either(ctx.scheduler.rescan(key)));
    const ok = started._tag === "Right" && started.right;
    await audit(ctx.db, { user: s.user.name, address: clientAddress(r.req), action: "device.rescan", device: key, detail: ok ? {} : { refused: "a rescan is already running" } });
    return redirect(r.res, `/devices/${encodeURIComponent(key)}?rescan=${ok ? "started" : "busy"}`);
  };

  const signIn = async (r: Request, fields: Map<string, string>) => {
    const formToken = cookies(r.req).get(LOGIN_COOKIE);
    if (!formToken || !sameSecret(fields.get("csrf"), formToken)) return errorPage(r, 403, r.t("refused.csrf"));
    const name = (fields.get("user") ?? "").trim();
    const password = fields.get("password") ?? "";
    const address = clientAddress(r.req);
    const again = (status: number, text: string) => {
      const token = randomBytes(18).toString("base64url");
      sendHtml(r.res, status, signInPage(r.t, r.locale, token, { kind: "error", text }, name), { "set-cookie": `${LOGIN_COOKIE}=${token}; Path=/login; HttpOnly; SameSite=Strict` });
    };
    const limit = await throttled(ctx.db, name, address);
    if (limit) {
      await audit(ctx.db, { user: name || "?", address, action: "sign-in.throttled", detail: { by: limit.by } });
      return again(429, r.t("signIn.throttled", { minutes: limit.retryInMinutes }));
    }
    const user = await checkSignIn(ctx.db, name, password);
    await recordAttempt(ctx.db, name, address, user !== null);
    if (!user) {
      await audit(ctx.db, { user: name || "?", address, action: "sign-in.failed" });
      return again(401, r.t("signIn.wrong"));
    }
    await pruneSessions(ctx.db);
    const { token } = await startSession(ctx.db, user.id, address);
    await audit(ctx.db, { user: user.name, address, action: "sign-in" });
    redirect(r.res, "/", { "set-cookie": [sessionCookie(r.req, token), `${LOGIN_COOKIE}=; Path=/login; Max-Age=0`] });
  };

  const showSignIn = (r: Request) => {
    const token = randomBytes(18).toString("base64url");
    const q = r.url.searchParams;
    const notice = q.has("expired") ? { kind: "info" as const, text: r.t("signIn.expired") } : q.has("signedOut") ? { kind: "info" as const, text: r.t("signIn.signedOut") } : null;
    sendHtml(r.res, 200, signInPage(r.t, r.locale, token, notice), { "set-cookie": `${LOGIN_COOKIE}=${token}; Path=/login; HttpOnly; SameSite=Strict` });
  };

  // ---- the panel's concerns around its routes: who asks, in which language, from where ----

  const requestOf = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<Request & { readonly token: string | undefined }> => {
    const token = cookies(req).get(SESSION_COOKIE);
    const session = await sessionOf(ctx.db, token);
    const locale = session?.user.locale && isLocale(session.user.locale) ? session.user.locale : localeFromAcceptLanguage(req.headers["accept-language"]);
    return { req, res, url, session, locale, t: translator(locale), token };
  };

  /** A GET (or HEAD): signed in, or sent to sign in; `route` null where the panel has no such page. */
  const asGet = async (req: IncomingMessage, res: ServerResponse, { url, params }: RouteMatch, route: PanelRoute | null): Promise<void> => {
    const r = await requestOf(req, res, url);
    if (route?.open) return route.handle(r, params, new Map());
    if (!r.session) {
      // The page's script and the stream learn it from the status; a page load goes to sign-in.
      if (fragment(r) || url.pathname === "/panel/live") return void res.writeHead(401, securityHeaders).end();
      return redirect(res, r.token ? "/login?expired=1" : "/login");
    }
    return route ? route.handle(r, params, new Map()) : errorPage(r, 404, r.t("notFound"));
  };

  /** A POST: from this panel's own pages (Origin), its form read once, then signed in with the session's CSRF token. */
  const asPost = async (req: IncomingMessage, res: ServerResponse, { url, params }: RouteMatch, route: PanelRoute | null): Promise<void> => {
    const r = await requestOf(req, res, url);
    // Another site's page cannot post here, whatever it carries.
    const foreign = foreignOrigin(req, true);
    if (foreign) return errorPage(r, 403, r.t("refused.origin", { origin: foreign }));
    let fields: Map<string, string>;
    try {
      // An import may be a whole inventory: read with its own, larger limit, its file among the fields.
      const body = await readBodyFields(req, { maxBytes: route?.upload?.maxBytes ?? MAX_BODY_BYTES, as: "form" });
      fields = textFields(route?.upload ? new Map([...body.fields, ...body.files]) : body.fields);
    } catch (error) {
      if (!(error instanceof BodyTooLarge)) throw error;
      return errorPage(r, 413, route?.upload ? r.t(route.upload.tooLarge) : r.t("refused.tooLarge", { kib: Math.floor(error.limit / 1024) }));
    }
    if (route?.open) return route.handle(r, params, fields);
    if (!r.session) return redirect(res, "/login?expired=1");
    if (!sameSecret(fields.get("csrf") ?? (req.headers["x-csrf-token"] as string | undefined), r.session.csrf)) return errorPage(r, 403, r.t("refused.csrf"));
    return route ? route.handle(r, params, fields) : errorPage(r, 404, r.t("notFound"));
  };

  /** The panel's paths answer every method: the pages above, else its 404 or 405 page. */
  const unmatched = async (req: IncomingMessage, res: ServerResponse, match: RouteMatch): Promise<void> => {
    if (req.method === "POST") return asPost(req, res, match, null);
    if (req.method === "GET" || req.method === "HEAD") return asGet(req, res, match, null);
    const r = await requestOf(req, res, match.url);
    return errorPage(r, 405, r.t("notFound"));
  };

  const pages: PanelRoute[] = [
    { method: "GET", path: "/", handle: dashboard },
    { method: "GET", path: "/login", open: true, handle: (r) => (r.session ? redirect(r.res, "/") : showSignIn(r)) },
    { method: "POST", path: "/login", open: true, handle: (r, _params, fields) => signIn(r, fields) },
    { method: "POST", path: "/logout", handle: (r) => signOut(r, false) },
    { method: "POST", path: "/logout-all", handle: (r) => signOut(r, true) },
    { method: "GET", path: "/devices", handle: async (r) => page(r, "/devices", r.t("devices.title"), devicesMain(r.t, await devicesOfUser(r.session!))) },
    { method: "GET", path: "/devices/:key", handle: (r, { key }) => showDevice(r, key!) },
    { method: "POST", path: "/devices/:key/modems/:modem(\\d+)/:action(reread|reset)", handle: (r, { key, modem, action }) => onModem(r, key!, Number(modem), action as "reread" | "reset") },
    { method: "POST", path: "/devices/:key/rescan", handle: (r, { key }) => rescanDevice(r, key!) },
    { method: "POST", path: "/devices/:key/:action(switch|release)", handle: (r, { key, action }, fields) => onPosition(r, key!, action as "switch" | "release", fields) },
    { method: "GET", path: "/cards", handle: (r) => showCards(r, r.url.searchParams) },
    { method: "GET", path: "/cards.csv", handle: exportCards },
    { method: "POST", path: "/cards/:id(\\d{1,9})/edit", handle: (r, { id }, fields) => editCard(r, Number(id), fields) },
    { method: "POST", path: "/cards/import", upload: { maxBytes: IMPORT_MAX_BYTES, tooLarge: "cards.import.tooLarge" }, handle: (r, _params, fields) => importCards(r, fields) },
    ...poolsRoutes(ctx),
    ...cardRoutes(ctx),
    ...consoleRoutes(ctx),
    ...onlineRoutes(ctx),
    ...messagesRoutes(ctx),
    { method: "GET", path: "/events", handle: (r) => showEvents(ctx, r) },
    ...settingsRoutes(ctx),
    { method: "POST", path: "/settings/language", handle: (r, _params, fields) => setLanguage(r, fields) },
    { method: "GET", path: "/panel/live", handle: liveStream },
  ];

  /** A client that asks for JSON at `/` (scripts, the old index) gets the service's index instead. */
  const forPages = (path: string) => (path === "/" ? { when: (req: IncomingMessage) => !wantsJson(req) } : {});

  const file = (path: string, type: string, body: () => Buffer): Route => ({
    methods: ["GET"],
    path,
    handle: (_req, res) => {
      res.writeHead(200, { ...securityHeaders, "content-type": type, "cache-control": "public, max-age=3600" });
      res.end(body());
    },
  });

  const routes: Route[] = [
    { methods: "any", path: "/favicon.ico", handle: (_req, res) => void res.writeHead(204, securityHeaders).end() },
    ...Object.entries(ASSETS).map(([name, a]) => file(`/panel/assets/${name}`, a.type, () => assetBody(name))),
    ...Object.entries(VENDOR).map(([name, v]) => file(`/panel/vendor/${name}`, v.type, () => vendorBody(name))),
    // A file name the panel does not have is the service's 404, as any path that is not the
    // panel's; anything else under /panel/ is a page it does not have.
    { methods: "any", path: "/panel/assets/:name([\\w.-]+)", handle: (_req, res, { url }) => notFound(res, url.pathname) },
    { methods: "any", path: "/panel/vendor/:name([\\w.-]+)", handle: (_req, res, { url }) => notFound(res, url.pathname) },
    ...pages.map(
      (route): Route => ({
        methods: route.method === "GET" ? ["GET", "HEAD"] : ["POST"],
        path: route.path,
        ...forPages(route.path),
        handle: (req, res, match) => (route.method === "GET" ? asGet : asPost)(req, res, match, route),
      }),
    ),
    ...PANEL_PATHS.map((path): Route => ({ methods: "any", path, ...forPages(path), handle: unmatched })),
  ];

  return { routes, dropStreams: () => streams.dropAll(), streams: { open: streams.open, reads: streams.reads } };
};
