/**
 * The service as one composition of layers, built in this order: the store, this host (its
 * devices claimed), the database's wake-ups, the devices, the scheduler; then the services
 * the facades and workers share (where cards are, the event log, the job queue); then the
 * workers and watchers; the HTTP server last. Each layer's resources live as long as the
 * composition and are released in reverse order.
 *
 * A test swaps a part (its own database, a host of its own, a registry it built) through
 * `ServiceParts`, and takes only the parts it needs (`farmLayers`, `workingLayers`).
 */
import { Layer } from "effect";
import { CardDirectoryLive } from "../cards/card-directory";
import { AppConfig } from "../config/app-config";
import { ModemWatchersLive } from "../devices/modem-watchers";
import { DeviceRegistry, DeviceRegistryLive } from "../devices/registry-service";
import { EventLogLive } from "../events/event-log-service";
import { ThisHost, ThisHostLive } from "../hosts/this-host";
import { JobQueueLive } from "../jobs/job-queue-service";
import { CallRecorderLive, CardJobsLive, SmsSenderLive } from "../jobs/job-workers";
import { NotifierLive } from "../notify/notifier-service";
import { FarmScheduler, FarmSchedulerLive } from "../scheduler/scheduler-service";
import { RetentionLive, Store, StoreLive, WakeSignals, WakeSignalsLive } from "../store/store-service";
import { HttpLive } from "./http-layer";

/** Every layer may fail its start with an Error (a tagged StoreError, a ConfigError, a port in use). */
export interface ServiceParts {
  readonly store?: Layer.Layer<Store, Error, AppConfig>;
  readonly host?: Layer.Layer<ThisHost, Error, AppConfig | Store>;
  readonly wakeups?: Layer.Layer<WakeSignals, Error, Store>;
  readonly registry?: Layer.Layer<DeviceRegistry, Error, AppConfig | Store>;
  readonly scheduler?: Layer.Layer<FarmScheduler, Error, Store | DeviceRegistry | WakeSignals>;
}

/** The farm's base: the store, this host, wake-ups, the devices and the scheduler, in that order. */
export const farmLayers = (parts: ServiceParts = {}) =>
  (parts.scheduler ?? FarmSchedulerLive).pipe(
    Layer.provideMerge(parts.registry ?? DeviceRegistryLive),
    Layer.provideMerge(parts.wakeups ?? WakeSignalsLive),
    Layer.provideMerge(parts.host ?? ThisHostLive),
    Layer.provideMerge(parts.store ?? StoreLive),
  );

/** The base, the shared services, and the workers and watchers: everything but the HTTP server. */
export const workingLayers = (parts: ServiceParts = {}) => {
  const shared = Layer.mergeAll(CardDirectoryLive, EventLogLive, JobQueueLive).pipe(Layer.provideMerge(farmLayers(parts)));
  return Layer.mergeAll(SmsSenderLive, CardJobsLive, CallRecorderLive, ModemWatchersLive, RetentionLive, NotifierLive).pipe(Layer.provideMerge(shared));
};

/** The whole service: the HTTP server on top of the working layers. */
export const serviceLayers = (parts: ServiceParts = {}) => HttpLive.pipe(Layer.provideMerge(workingLayers(parts)));

/** What `npm start` runs, given its configuration. */
export const ServiceLive = serviceLayers();
