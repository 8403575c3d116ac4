/**
 * What every SimFolder method is given: the service's context, the user whose key called,
 * and the parameters. Also the one way the methods run an effect.
 */
import { Cause, Effect, Exit } from "effect";
import type { Kysely } from "kysely";
import type { Registry } from "../../devices/registry";
import type { ServiceScheduler } from "../../scheduler/farm-scheduler";
import type { Database } from "../../store/schema";
import type { Params } from "./params";

export interface SimFolderContext {
  readonly db: Kysely<Database>;
  readonly registry: Registry;
  /** A host whose heartbeat is older is taken for dead (default 30 s). */
  readonly hostTtlMs?: number;
  /** This host's id (SIMGATE_HOST_ID): named on the modems it drives, as other hosts' are. */
  readonly host?: string;
  readonly scheduler: ServiceScheduler;
  readonly version: string;
  /** The Telegram Bot API's base URL (tests point it at a stand-in on loopback). */
  readonly telegramApi?: string;
}

export interface User {
  readonly id: number;
  readonly name: string;
  readonly admin: boolean;
}

/** One method: checks its parameters, acts, and answers the fields of the reply. */
export type Method = (ctx: SimFolderContext, user: User, params: Params) => Promise<Record<string, unknown>>;

/**
 * Runs an effect and throws its own failure (a StoreError, say), not the FiberFailure that
 * Effect.runPromise wraps it in: the handler tells an unreachable database by the error.
 */
export const run = async <A, E>(effect: Effect.Effect<A, E>): Promise<A> => {
  const exit = await Effect.runPromiseExit(effect);
  if (Exit.isSuccess(exit)) return exit.value;
  throw Cause.squash(exit.cause);
};
