/**
 * The service's pieces in a test, built from the service's own layers
 * (src/app/service-layers.ts) with three of them swapped: a throwaway database on the
 * PostgreSQL server, migrated; a host that claims nothing (two test services may drive the
 * same devices); and polling instead of wake-ups, as the loops a test starts itself expect
 * (the scheduler reading hold rows at its pace without wake-ups; ./layers.ts).
 * The registry over simulated devices and the scheduler, its start-up scan done, are the
 * service's. Everything started through `extend` lives until `close`.
 */
import { Context, Effect, Exit, Scope } from "effect";
import type { Kysely } from "kysely";
import type { Registry } from "../../src/devices/registry";
import { DeviceRegistry } from "../../src/devices/registry-service";
import { ThisHost } from "../../src/hosts/this-host";
import type { ServiceScheduler } from "../../src/scheduler/farm-scheduler";
import { FarmScheduler } from "../../src/scheduler/scheduler-service";
import { migrate, openStore } from "../../src/store/database";
import type { Database } from "../../src/store/schema";
import { buildLayers, testFarm } from "./layers";
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
    const farm = testFarm(db, devices, {
      host: ThisHost.layerOf({ id: `test-${name}`, version: "test", ttlMs: 30_000 }),
      scheduler: { settleMs: options.settleMs ?? 1_000, ...(options.quietMs ? { quietMs: options.quietMs } : {}) },
    });
    const built = await buildLayers(farm, scope);
    const registry = Context.get(built, DeviceRegistry);
    const scheduler = Context.get(built, FarmScheduler);
    await Effect.runPromise(scheduler.scanned);
    return { db, registry, scheduler, extend, close };
  } catch (error) {
    await close();
    throw error;
  }
};
