/**
 * The service's pieces in a test: a throwaway database on the PostgreSQL server, migrated;
 * the registry over simulated devices; the scheduler, its start-up scan done. Everything
 * started through `extend` lives until `close`.
 */
import { Effect, Exit, Scope } from "effect";
import type { Kysely } from "kysely";
import { parseConfig } from "../../src/config/config";
import { startRegistry, type Registry } from "../../src/devices/registry";
import { startServiceScheduler, type ServiceScheduler } from "../../src/scheduler/farm-scheduler";
import { migrate, openStore } from "../../src/store/database";
import type { Database } from "../../src/store/schema";
import { throwawayDatabase } from "./postgres";

export interface TestService {
  readonly db: Kysely<Database>;
  readonly registry: Registry;
  readonly scheduler: ServiceScheduler;
  /** Runs a scoped effect (a worker, a recorder) for the rest of the service's life. */
  readonly extend: <A, E>(effect: Effect.Effect<A, E, Scope.Scope>) => Promise<A>;
  readonly close: () => Promise<void>;
}

export const startTestService = async (
  name: string,
  devices: readonly Record<string, unknown>[],
  options: { readonly settleMs?: number; readonly quietMs?: number; readonly before?: (db: Kysely<Database>) => Promise<void> } = {},
): Promise<TestService> => {
  const database = await throwawayDatabase(name);
  const scope = Effect.runSync(Scope.make());
  const extend = <A, E>(effect: Effect.Effect<A, E, Scope.Scope>) => Effect.runPromise(Scope.extend(effect, scope));
  const close = async () => {
    await Effect.runPromise(Scope.close(scope, Exit.void));
    await database.drop();
  };
  try {
    const db = await extend(openStore({ kind: "postgres", url: database.url }));
    await Effect.runPromise(migrate(db));
    await options.before?.(db);
    const config = parseConfig({ devices, demo: { smsEveryMs: 0, timing: "instant" } }, {}, "test");
    const registry = await extend(startRegistry(config, db));
    const scheduler = await extend(startServiceScheduler(db, registry, { settleMs: options.settleMs ?? 1_000, ...(options.quietMs ? { quietMs: options.quietMs } : {}) }));
    await Effect.runPromise(scheduler.scanned);
    return { db, registry, scheduler, extend, close };
  } catch (error) {
    await close();
    throw error;
  }
};
