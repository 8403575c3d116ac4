/**
 * The service's own layers (src/app/service-layers.ts) in a test, with the parts a test
 * swaps: its database (`Store.layerOf`), a configuration of simulated devices, a host of its
 * own, polling or the live wake-ups, and the scheduler's timings. A test builds as much of
 * the stack as it needs into a scope it closes, and takes the services from the context.
 */
import { Effect, Layer, type Context, type Scope } from "effect";
import type { Kysely } from "kysely";
import { farmLayers } from "../../src/app/service-layers";
import { AppConfig } from "../../src/config/app-config";
import { parseConfig } from "../../src/config/config";
import { DeviceRegistry, DeviceRegistryLive } from "../../src/devices/registry-service";
import { ThisHost } from "../../src/hosts/this-host";
import { farmSchedulerLayer, type FarmSchedulerOptions } from "../../src/scheduler/scheduler-service";
import type { Database } from "../../src/store/schema";
import { Store, WakeSignals } from "../../src/store/store-service";

/** Builds a layer into `scope` (its resources live until the scope closes) and returns what it provides. */
export const buildLayers = <ROut, E>(layer: Layer.Layer<ROut, E>, scope: Scope.Scope): Promise<Context.Context<ROut>> =>
  Effect.runPromise(Layer.buildWithScope(layer, scope));

/** A configuration of these devices, simulated at instant timing, with no demo traffic. */
export const testConfig = (devices: readonly Record<string, unknown>[], demo: { readonly seed?: number } = {}): Layer.Layer<AppConfig> =>
  AppConfig.layerOf({ config: parseConfig({ devices, demo: { smsEveryMs: 0, timing: "instant", ...demo } }, {}, "test"), source: "test", version: "test" });

/** The registry alone (the devices' actors storing what they receive), over the test's database. */
export const testRegistry = (db: Kysely<Database>, devices: readonly Record<string, unknown>[]): Layer.Layer<DeviceRegistry> =>
  DeviceRegistryLive.pipe(Layer.provide(Store.layerOf(db)), Layer.provide(testConfig(devices)));

/** A host that registers, takes the configured devices and beats, as ThisHostLive does, under the test's name and TTL. */
export const claimingHost = ThisHost.claiming;

/**
 * How often a scheduler without wake-ups reads the hold rows. `WakeSignals.polling` is a
 * WakeSignals all the same, so the scheduler would take its fallback with wake-ups (5 s);
 * a polling test keeps the pace it had without them.
 */
const POLLED_HOLDS_EVERY_MS = 500;

export interface TestFarmParts {
  /** A host that claims nothing by default (`ThisHost.layerOf`); `claimingHost` to take the devices. */
  readonly host?: Layer.Layer<ThisHost, Error, AppConfig | Store>;
  /** Polling by default; `WakeSignalsLive` for LISTEN/NOTIFY on the test's database. */
  readonly wakeups?: Layer.Layer<WakeSignals, Error, Store>;
  readonly scheduler?: FarmSchedulerOptions;
  readonly demo?: { readonly seed?: number };
}

/** The farm's base (store, host, wake-ups, devices, scheduler) over the test's database and devices. */
export const testFarm = (db: Kysely<Database>, devices: readonly Record<string, unknown>[], parts: TestFarmParts = {}) =>
  farmLayers({
    store: Store.layerOf(db),
    host: parts.host ?? ThisHost.layerOf({ id: "test-host", version: "test", ttlMs: 30_000 }),
    wakeups: parts.wakeups ?? WakeSignals.polling,
    scheduler: farmSchedulerLayer({ ...(parts.wakeups ? {} : { holdsFollowEveryMs: POLLED_HOLDS_EVERY_MS }), ...parts.scheduler }),
  }).pipe(Layer.provide(testConfig(devices, parts.demo)));
