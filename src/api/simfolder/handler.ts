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
import { formFields, readBody } from "../http/params";
import { FORWARDED_BY, ForwardFailed, forwardJson } from "../../hosts/forward";
import { ApiError, METHODS, OnAnotherHost, type SimFolderContext, type User } from "./methods";
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
 * Query, then body fields over them: a URL-encoded or multipart form (a browser's FormData),
 * or JSON, whose values are kept as they are (lists may be arrays).
 */
const paramsOf = async (req: IncomingMessage, url: URL): Promise<Map<string, unknown>> => {
  const params = new Map<string, unknown>(url.searchParams);
  if (req.method !== "POST") return params;
  const raw = await readBody(req);
  const body = raw.toString("utf8");
  if (!body.trim()) return params;
  if ((req.headers["content-type"] ?? "").includes("application/json")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch (error) {
      throw new ApiError("BAD_PARAM", `the JSON body does not parse: ${(error as Error).message}`);
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new ApiError("BAD_PARAM", "the JSON body must be an object");
    for (const [k, v] of Object.entries(parsed)) params.set(k, v);
  } else for (const [k, v] of formFields(raw, req.headers["content-type"] ?? "")) params.set(k, v);
  return params;
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

export const simFolderHandler = (ctx: SimFolderContext) => async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
  const url = new URL(req.url ?? "/", "http://localhost");
  const match = /^\/api(?:\/([A-Za-z]+))?\/?$/.exec(url.pathname);
  if (!match) return false;
  try {
    if (req.method !== "GET" && req.method !== "POST") throw new ApiError("BAD_METHOD", "use GET or POST");
    const params = await paramsOf(req, url);
    const name = match[1] ?? (typeof params.get("method") === "string" ? (params.get("method") as string) : "");
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
  return true;
};
