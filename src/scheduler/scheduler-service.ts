/**
 * The scheduler as a service: it keeps each device's channel limits and holds, rotates the
 * cards nobody holds, and records every card it reads (./farm-scheduler.ts).
 */
import { Context, Effect, Layer } from "effect";
import { DeviceRegistry } from "../devices/registry-service";
import type { StoreError } from "../store/database";
import { Store, WakeSignals } from "../store/store-service";
import { startServiceScheduler, type ServiceScheduler } from "./farm-scheduler";

export class FarmScheduler extends Context.Tag("simgate/FarmScheduler")<FarmScheduler, ServiceScheduler>() {}

/** Timings a test may shorten; the service runs with the defaults. */
export type FarmSchedulerOptions = Omit<Parameters<typeof startServiceScheduler>[2] & {}, "wakeups">;

export const farmSchedulerLayer = (options: FarmSchedulerOptions = {}): Layer.Layer<FarmScheduler, StoreError, Store | DeviceRegistry | WakeSignals> =>
  Layer.scoped(
    FarmScheduler,
    Effect.gen(function* () {
      return yield* startServiceScheduler(yield* Store, yield* DeviceRegistry, { ...options, wakeups: yield* WakeSignals });
    }),
  );

export const FarmSchedulerLive = farmSchedulerLayer();
