/**
 * What every SimFolder method is given: the service's context, the user whose key called,
 * and the parameters. Also the one way the methods run an effect.
 */
import { Cause, Effect, Exit, Runtime, type Schema } from "effect";
import type { Kysely } from "kysely";
import type { Directory } from "../../cards/card-directory";
import type { Registry } from "../../devices/registry";
import type { ServiceScheduler } from "../../scheduler/farm-scheduler";
import type { Database } from "../../store/schema";
import { decodeParams, type Params } from "./params";

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
  /** The service's runtime (its logger and log level); Effect's default when not given (tests). */
  readonly runtime?: Runtime.Runtime<never>;
  /** Where cards are and who holds them (the service's CardDirectory). */
  readonly directory: Directory;
}

/** What the API is started with: the service passes its CardDirectory; a test may leave it to be built from the rest. */
export type SimFolderSetup = Omit<SimFolderContext, "directory"> & { readonly directory?: Directory };

export interface User {
  readonly id: number;
  readonly name: string;
  readonly admin: boolean;
}

/** One method: decodes its parameters, acts, and answers the fields of the reply. */
export interface Method {
  (ctx: SimFolderContext, user: User, params: Params): Promise<Record<string, unknown>>;
  /** What it takes: decoded before it runs, and the source of its OpenAPI parameters. */
  readonly params: Schema.Schema<any, any>;
}

/**
 * A method from the Schema of its parameters and what it does with them once decoded: a
 * parameter it cannot take is BAD_PARAM before anything is read or written.
 */
export const method = <A, I>(params: Schema.Schema<A, I>, body: (ctx: SimFolderContext, user: User, p: A) => Promise<Record<string, unknown>>): Method =>
  Object.assign(async (ctx: SimFolderContext, user: User, raw: Params) => body(ctx, user, decodeParams(params, raw)), { params });

/**
 * Runs an effect and throws its own failure (a StoreError, say), not the FiberFailure that
 * Effect.runPromise wraps it in: the handler tells an unreachable database by the error.
 */
export const run = async <A, E>(ctx: SimFolderContext, effect: Effect.Effect<A, E>): Promise<A> => {
  const exit = await Runtime.runPromiseExit(ctx.runtime ?? Runtime.defaultRuntime)(effect);
  if (Exit.isSuccess(exit)) return exit.value;
  throw Cause.squash(exit.cause);
};
