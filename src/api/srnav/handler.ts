/**
 * /api/handler.php: the SR-Navigator-compatible endpoint. GET or POST (form fields win over
 * the query string); every answer is HTTP 200 with the exact body, no trailing newline;
 * errors are the API's words. The pool_key is checked against the stored hashes before any
 * action runs, and an action sees only its own pool's cards.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { withDirectory, type Directory } from "../../cards/card-directory";
import { poolByKey } from "../../pools/pools";
import { BodyTooLarge, readRequestFields, textFields } from "../http/body";
import type { Route, RouteMatch } from "../http/router";
import { ACTIONS, type Reply, type SrNavContext } from "./actions";
import { answerOf, FAILURES, Refused, type Answer } from "./errors";
import { logNow } from "../../log/logger";

export const SRNAV_PATH = "/api/handler.php";

const send = (res: ServerResponse, status: number, reply: Reply) => {
  res.writeHead(status, {
    "content-type": reply.kind === "json" ? "application/json; charset=utf-8" : "text/plain; charset=utf-8",
    "cache-control": "no-store",
  });
  res.end(reply.body);
};

/** A failure as errors.ts maps it: the word, its status, and when to ask again. */
const refuseWith = (res: ServerResponse, answer: Answer) => {
  if (answer.retryAfterSeconds !== undefined) res.setHeader("retry-after", String(answer.retryAfterSeconds));
  send(res, answer.status, { kind: "word", body: answer.word });
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
export const srNavigatorRoutes = (given: Omit<SrNavContext, "directory"> & { readonly directory?: Directory }): Route[] => {
  const ctx: SrNavContext = withDirectory(given);
  const inTurn = inPoolTurn;
  const handle = async (req: IncomingMessage, res: ServerResponse, { url }: RouteMatch): Promise<void> => {
    let params: Map<string, string>;
    try {
      params = textFields((await readRequestFields(req, url, { as: "form" })).fields);
    } catch (error) {
      return refuseWith(res, FAILURES[error instanceof BodyTooLarge ? "BodyTooLarge" : "BadBody"]);
    }
    const action = params.get("action") ?? "";
    try {
      const pool = await poolByKey(ctx.db, params.get("pool_key"));
      if (!pool) throw new Refused({ reason: "BadKey" });
      const run = Object.hasOwn(ACTIONS, action) ? ACTIONS[action as keyof typeof ACTIONS] : undefined;
      if (!run) throw new Refused({ reason: "BadAction" });
      send(res, 200, await (SERIAL.has(action) ? inTurn(pool.id, () => run(ctx, pool.id, params)) : run(ctx, pool.id, params)));
    } catch (error) {
      const answer = answerOf(error);
      if (!answer) logNow("error", `sr-navigator ${action}: ${(error as Error).stack ?? String(error)}`);
      refuseWith(res, answer ?? FAILURES.Internal);
    }
  };
  // Other methods get the API's own word, with the methods it takes.
  const refuse = (_req: IncomingMessage, res: ServerResponse, allow: string) => {
    res.setHeader("allow", allow);
    refuseWith(res, FAILURES.MethodNotAllowed);
  };
  return [{ methods: ["GET", "POST"], path: SRNAV_PATH, handle, refuse }];
};
