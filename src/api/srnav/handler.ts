/**
 * /api/handler.php: the SR-Navigator-compatible endpoint. GET or POST (form fields win over
 * the query string); every answer is HTTP 200 with the exact body, no trailing newline;
 * errors are the API's words. The pool_key is checked against the stored hashes before any
 * action runs, and an action sees only its own pool's cards.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { poolByKey } from "../../pools/pools";
import { isStoreUnavailable } from "../../store/database";
import { BodyTooLarge, readRequestFields, textFields } from "../http/body";
import type { Route, RouteMatch } from "../http/router";
import { ACTIONS, ApiWord, type Reply, type SrNavContext } from "./actions";
import { logNow } from "../../log/logger";

export const SRNAV_PATH = "/api/handler.php";

const send = (res: ServerResponse, status: number, reply: Reply) => {
  res.writeHead(status, {
    "content-type": reply.kind === "json" ? "application/json; charset=utf-8" : "text/plain; charset=utf-8",
    "cache-control": "no-store",
  });
  res.end(reply.body);
};

/**
 * Actions that choose or change a pool's cards run one at a time per pool: two clients
 * calling openNumber at once must not be given the same card.
 */
const SERIAL = new Set(["openNumber", "openNumbers", "closeNumber", "poolRestart", "grabCall"]);

const serialised = () => {
  const tails = new Map<number, Promise<unknown>>();
  return <A>(poolId: number, work: () => Promise<A>): Promise<A> => {
    const previous = tails.get(poolId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(work);
    tails.set(poolId, next);
    void next.finally(() => {
      if (tails.get(poolId) === next) tails.delete(poolId);
    }).catch(() => undefined);
    return next;
  };
};

/**
 * The one queue per pool of this process: the API's serial actions and the panel's changes
 * to a pool (poolRestart, taking cards out) wait for each other.
 */
export const inPoolTurn = serialised();

/** The SR-Navigator API's route: /api/handler.php, GET or POST. */
export const srNavigatorRoutes = (ctx: SrNavContext): Route[] => {
  const inTurn = inPoolTurn;
  const handle = async (req: IncomingMessage, res: ServerResponse, { url }: RouteMatch): Promise<void> => {
    let params: Map<string, string>;
    try {
      params = textFields((await readRequestFields(req, url, { as: "form" })).fields);
    } catch (error) {
      return send(res, error instanceof BodyTooLarge ? 413 : 400, { kind: "word", body: error instanceof BodyTooLarge ? "TOO_LARGE" : "BAD_REQUEST" });
    }
    const action = params.get("action") ?? "";
    try {
      const pool = await poolByKey(ctx.db, params.get("pool_key"));
      if (!pool) return send(res, 200, { kind: "word", body: "BAD_KEY" });
      const run = Object.hasOwn(ACTIONS, action) ? ACTIONS[action] : undefined;
      if (!run) return send(res, 200, { kind: "word", body: "BAD_ACTION" });
      send(res, 200, await (SERIAL.has(action) ? inTurn(pool.id, () => run(ctx, pool.id, params)) : run(ctx, pool.id, params)));
    } catch (error) {
      if (error instanceof ApiWord) send(res, 200, { kind: "word", body: error.message });
      else if (isStoreUnavailable(error)) {
        // ERROR is the word the reference panel already answers when it cannot serve; the
        // status and Retry-After tell an HTTP-aware client that it may simply repeat.
        res.setHeader("retry-after", "5");
        send(res, 503, { kind: "word", body: "ERROR" });
      } else {
        // Not the client's fault: logged with its cause, answered with the API's word.
        logNow("error", `sr-navigator ${action}: ${(error as Error).stack ?? String(error)}`);
        send(res, 200, { kind: "word", body: "ERROR" });
      }
    }
  };
  // Other methods get the API's own word, with the methods it takes.
  const refuse = (_req: IncomingMessage, res: ServerResponse, allow: string) => {
    res.writeHead(405, { allow, "content-type": "text/plain; charset=utf-8" });
    res.end("METHOD_NOT_ALLOWED");
  };
  return [{ methods: ["GET", "POST"], path: SRNAV_PATH, handle, refuse }];
};
