/**
 * The service's one route table: every face (status, the OpenAPI document, SR-Navigator,
 * SimFolder, the panel, the console's batch, the simulator's /sim/) lists its routes, and
 * one dispatcher picks the first whose path and method match. A path that matches with
 * another method gets 405 with Allow; no path, the service's 404 JSON; a handler that fails,
 * 503 while the database is away (the client may repeat) or 500 (logged).
 *
 * Paths: "/status" exact; "/sim/*" a prefix (the rest in params["*"]); "/devices/:key" a
 * named segment, "/cards/:id(\\d{1,9})/edit" one with a pattern of its own. Named parts are
 * URL-decoded; a part that does not decode does not match.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { isStoreUnavailable } from "../../store/database";
import { logNow } from "../../log/logger";
import { BodyTooLarge } from "./body";

export interface RouteMatch {
  readonly url: URL;
  readonly params: Readonly<Record<string, string>>;
}

export interface Route {
  /** The methods it takes, or "any" for a route that answers every method in its own words. */
  readonly methods: readonly string[] | "any";
  readonly path: string;
  /** A route that also depends on the request (what it accepts): false, and it does not match. */
  readonly when?: (req: IncomingMessage) => boolean;
  readonly handle: (req: IncomingMessage, res: ServerResponse, match: RouteMatch) => Promise<void> | void;
  /** How this route's API refuses a method it does not take (with `allow` to send), when it has its own words. */
  readonly refuse?: (req: IncomingMessage, res: ServerResponse, allow: string) => void;
}

type Compiled = { readonly route: Route; readonly test: (path: string) => Record<string, string> | null };

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

const compile = (route: Route): Compiled => {
  const { path } = route;
  if (!path.includes(":") && !path.endsWith("*")) return { route, test: (p) => (p === path ? {} : null) };
  const names: string[] = [];
  let source = "";
  let rest = path;
  if (rest.endsWith("*")) rest = rest.slice(0, -1);
  for (const piece of rest.split(/(:[A-Za-z]\w*(?:\([^/]*?\))?)/)) {
    const named = /^:([A-Za-z]\w*)(?:\((.*)\))?$/.exec(piece);
    if (!named) source += escape(piece);
    else {
      names.push(named[1]!);
      source += `(${named[2] ?? "[^/]+"})`;
    }
  }
  const prefix = path.endsWith("*");
  if (prefix) names.push("*");
  const pattern = new RegExp(`^${source}${prefix ? "(.*)" : ""}$`);
  return {
    route,
    test: (p) => {
      const m = pattern.exec(p);
      if (!m) return null;
      const params: Record<string, string> = {};
      try {
        names.forEach((name, i) => (params[name] = name === "*" ? m[i + 1]! : decodeURIComponent(m[i + 1]!)));
      } catch {
        return null;
      }
      return params;
    },
  };
};

const json = (res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
  res.end(JSON.stringify(value));
};

/** The answer to a path no route has. */
export const notFound = (res: ServerResponse, path: string) => json(res, 404, { error: `no route ${path}` });

/** What a failed handler is answered: the client may repeat (503), or it is logged (500). */
const failed = (req: IncomingMessage, res: ServerResponse, error: unknown) => {
  if (res.headersSent) return void res.destroy();
  if (error instanceof BodyTooLarge) return json(res, 413, { error: "TOO_LARGE", message: error.message });
  if (isStoreUnavailable(error)) {
    res.writeHead(503, { "content-type": "application/json", "retry-after": "5" });
    return void res.end(JSON.stringify({ error: "UNAVAILABLE", message: "the database is not reachable right now" }));
  }
  logNow("error", `http ${req.method} ${req.url}: ${(error as Error).stack ?? String(error)}`);
  res.writeHead(500, { "content-type": "application/json" });
  res.end(JSON.stringify({ error: "INTERNAL", message: "the request could not be completed; it is logged" }));
};

/** The request handler of a route table; it answers every request and never rejects. */
export const routeRequests = (routes: readonly Route[]) => {
  const table = routes.map(compile);
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      const url = new URL(req.url ?? "/", "http://localhost");
      const method = req.method ?? "GET";
      let refusedBy: { route: Route; allow: Set<string> } | null = null;
      for (const { route, test } of table) {
        const params = test(url.pathname);
        if (params === null || (route.when && !route.when(req))) continue;
        if (route.methods === "any" || route.methods.includes(method)) return await route.handle(req, res, { url, params });
        refusedBy ??= { route, allow: new Set() };
        for (const m of route.methods) refusedBy.allow.add(m);
      }
      if (!refusedBy) return notFound(res, url.pathname);
      const allow = [...refusedBy.allow].join(", ");
      if (refusedBy.route.refuse) return refusedBy.route.refuse(req, res, allow);
      json(res, 405, { error: "METHOD_NOT_ALLOWED", message: `${method} is not allowed on ${url.pathname}; use ${allow}` }, { allow });
    } catch (error) {
      failed(req, res, error);
    }
  };
};
