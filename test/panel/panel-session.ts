/**
 * The panel over plain HTTP, as a browser without a script talks to it: sign in through the
 * login form (its CSRF token and cookie), then GET pages and POST forms with the session's
 * cookie, token and the panel's own Origin. Sessions are kept per user name; `forget` drops
 * one (after a password reset ended it).
 */
import type { Server } from "node:http";
import type { Kysely } from "kysely";
import { addUser } from "../../src/access/accounts";
import type { PanelSetup } from "../../src/panel/context";
import { panelRoutes, type Panel } from "../../src/panel/handler";
import { routesServer } from "../support/routes";
import type { Database } from "../../src/store/schema";

/** The users the HTTP panel tests make, and their passwords. */
export const PASSWORDS: Record<string, string> = { ann: "first admin passphrase", olga: "an operator's passphrase", vera: "a reader's passphrase" };

export interface PanelSession {
  readonly cookie: string;
  readonly csrf: string;
}

export const panelSessions = (base: () => string) => {
  const sessions = new Map<string, PanelSession>();
  const tokenOf = (page: string) => /name="csrf" value="([^"]+)"/.exec(page)![1]!;

  const signIn = async (name: string, password = PASSWORDS[name]!): Promise<PanelSession> => {
    const known = sessions.get(name);
    if (known) return known;
    const form = await fetch(`${base()}/login`);
    const loginCookie = form.headers.get("set-cookie")!.split(";")[0]!;
    const csrf = tokenOf(await form.text());
    const answer = await fetch(`${base()}/login`, {
      method: "POST",
      redirect: "manual",
      headers: { cookie: loginCookie, origin: base(), "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ user: name, password, csrf }).toString(),
    });
    const cookie = answer.headers.getSetCookie().find((c) => c.startsWith("simgate_session="))?.split(";")[0];
    if (!cookie) throw new Error(`${name} could not sign in (${answer.status})`);
    const session = { cookie, csrf: tokenOf(await (await fetch(`${base()}/settings`, { headers: { cookie } })).text()) };
    sessions.set(name, session);
    return session;
  };

  const get = async (who: string, path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base()}${path}`, { redirect: "manual", headers: { cookie: (await signIn(who)).cookie, ...headers } });
    return { status: res.status, headers: res.headers, text: await res.text() };
  };

  /** A form posted as the panel's own page would (`csrf: false` leaves the token out). */
  const postResponse = async (who: string, path: string, fields: Record<string, string>, opts: { csrf?: boolean; origin?: string } = {}) => {
    const s = await signIn(who);
    return fetch(`${base()}${path}`, {
      method: "POST",
      redirect: "manual",
      headers: { cookie: s.cookie, origin: opts.origin ?? base(), "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ ...fields, ...(opts.csrf === false ? {} : { csrf: s.csrf }) }).toString(),
    });
  };

  const post = async (who: string, path: string, fields: Record<string, string>, opts: { csrf?: boolean; origin?: string } = {}) => {
    const res = await postResponse(who, path, fields, opts);
    return { status: res.status, location: res.headers.get("location"), text: await res.text() };
  };

  return { signIn, get, post, postResponse, forget: (name: string) => void sessions.delete(name) };
};

/** The panel alone on a loopback HTTP server, as the HTTP-level tests use it. */
export const servePanel = async (ctx: PanelSetup): Promise<{ panel: Panel; server: Server; base: string }> => {
  const panel = panelRoutes(ctx, { pollMs: 50, sessionCheckMs: 200, retryMs: 500 });
  const server = routesServer(panel.routes);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { panel, server, base: `http://127.0.0.1:${(server.address() as { port: number }).port}` };
};

/** Ends the live streams and the server (open keep-alive connections too). */
export const closePanel = async (panel: Panel | undefined, server: Server | undefined): Promise<void> => {
  panel?.dropStreams();
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
};

/** ann (admin), olga (operator) and vera (viewer), with the passwords above; their API keys. */
export const addPanelUsers = async (db: Kysely<Database>): Promise<Record<string, string>> => {
  const keys: Record<string, string> = {};
  for (const [name, role] of [["ann", "admin"], ["olga", "operator"], ["vera", "viewer"]] as const) keys[name] = (await addUser(db, name, role, PASSWORDS[name]!, "test")).key;
  return keys;
};
