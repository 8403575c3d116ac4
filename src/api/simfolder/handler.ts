/**
 * The SimFolder-compatible API under /api/ (../shared/specs/simfolder-notes.md): the method
 * by `method=` or by path (`/api/cardList`); parameters from the query, a form body or a
 * JSON body (body fields win). Every method but `version` needs `api_key`, checked against
 * the stored hashes; a user sees only the devices they own (the admin user sees all).
 * Success is HTTP 200 `{"status":"ok", ...}`; failure an HTTP 4xx/5xx with
 * `{"status":"error","error":CODE,"message":...}`.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { userByKey } from "../../access/users";
import { readRequestFields } from "../http/body";
import type { Route, RouteMatch } from "../http/router";
import { FORWARDED_BY, ForwardFailed, forwardJson } from "../../hosts/forward";
import { ApiError, METHODS, OnAnotherHost, type SimFolderContext, type SimFolderSetup, type User } from "./methods";
import { withDirectory } from "../../cards/card-directory";
import { logNow } from "../../log/logger";
import { asApiError, ERROR_STATUS, INTERNAL, RETRY_AFTER } from "./errors";

/**
 * The methods that only read: all a viewer's key may call. Listed rather than the changing
 * ones, so a method added later is refused to viewers until someone decides it only reads.
 */
export const READ_METHODS: ReadonlySet<string> = new Set([
  "version",
  "deviceList",
  "deviceState",
  "cardList",
  "operatorList",
  "smsList",
  "smsOutgoingList",
  "ussdList",
  "atList",
  "callList",
  "callOutgoingList",
  "settingsGet",
]);

const reply = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
};

const fail = (res: ServerResponse, error: ApiError) => {
  const retryAfter = RETRY_AFTER[error.code];
  if (retryAfter !== undefined) res.setHeader("retry-after", String(retryAfter));
  reply(res, ERROR_STATUS[error.code], { status: "error", error: error.code, message: error.message, ...error.extra });
};

/**
 * A live request for a card on another host's modem (callAnswer, callEnd) is served by that
 * host: passed on with the caller's own parameters (its key included, so that host checks
 * the same rights) and its answer handed back as it came. Passed on once at most.
 */
const passOn = async (req: IncomingMessage, res: ServerResponse, elsewhere: OnAnotherHost, name: string, params: Map<string, unknown>, me: string) => {
  const from = req.headers[FORWARDED_BY];
  if (from) throw new ApiError("CARD_NOT_ACTIVE", `host ${String(from)} passed this on as the card was on a modem here, but it is on host ${elsewhere.host.id}'s now; ask again`);
  try {
    const answer = await forwardJson(elsewhere.host, `/api/${name}`, Object.fromEntries(params), me);
    res.writeHead(answer.status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", "x-simgate-served-by": elsewhere.host.id });
    res.end(answer.body);
  } catch (error) {
    if (error instanceof ForwardFailed) throw new ApiError("DEVICE_OFFLINE", error.message);
    throw error;
  }
};

/**
 * The SimFolder API's routes: /api/<method> and /api (the method as `method=`). Every method
 * of HTTP is answered in the API's words (BAD_METHOD for all but GET and POST).
 */
export const simFolderRoutes = (setup: SimFolderSetup): Route[] => {
  const ctx: SimFolderContext = withDirectory(setup);
  const handle = async (req: IncomingMessage, res: ServerResponse, { url, params: path }: RouteMatch): Promise<void> => {
    try {
      if (req.method !== "GET" && req.method !== "POST") throw new ApiError("BAD_METHOD", "use GET or POST");
      const params = (await readRequestFields(req, url)).fields;
      const name = path.method ?? (typeof params.get("method") === "string" ? (params.get("method") as string) : "");
      const method = Object.hasOwn(METHODS, name) ? METHODS[name] : undefined;
      if (!method) throw new ApiError("BAD_METHOD", name ? `no method "${name}"` : "no method given (method=... or /api/<method>)");
      let user: (User & { readonly role: string }) | null = null;
      if (name !== "version") {
        user = await userByKey(ctx.db, params.get("api_key"));
        if (!user) throw new ApiError("BAD_API_KEY", "api_key is missing or not valid");
        if (user.role === "viewer" && !READ_METHODS.has(name)) throw new ApiError("FORBIDDEN", `${name} changes the farm; user ${user.name} is a viewer and may only read`);
      }
      try {
        reply(res, 200, { status: "ok", ...(await method(ctx, user!, params)) });
      } catch (error) {
        if (!(error instanceof OnAnotherHost)) throw error;
        await passOn(req, res, error, name, params, ctx.host!);
      }
    } catch (error) {
      const answer = asApiError(error);
      if (!answer) logNow("error", `simfolder: ${(error as Error).stack ?? String(error)}`);
      fail(res, answer ?? INTERNAL());
    }
  };
  return [
    { methods: "any", path: "/api", handle },
    { methods: "any", path: "/api/", handle },
    { methods: "any", path: "/api/:method([A-Za-z]+)", handle },
    { methods: "any", path: "/api/:method([A-Za-z]+)/", handle },
  ];
};
