/**
 * What watches every modem's events for the rest of the farm, as layers: the event log's
 * recorder, the trouble reports (log lines and events), and the live state other hosts
 * read (modem_state rows).
 */
import { Effect, Layer } from "effect";
import { recordModemEvents } from "../events/recorder";
import { ThisHost } from "../hosts/this-host";
import { Store } from "../store/store-service";
import { publishModemStates } from "./live-state";
import { reportModemTrouble } from "./modem-trouble";
import { DeviceRegistry } from "./registry-service";

export const ModemWatchersLive: Layer.Layer<never, never, Store | DeviceRegistry | ThisHost> = Layer.scopedDiscard(
  Effect.gen(function* () {
    const db = yield* Store;
    const registry = yield* DeviceRegistry;
    yield* recordModemEvents(db, registry);
    yield* reportModemTrouble(db, registry);
    yield* publishModemStates(db, registry, (yield* ThisHost).id);
  }),
);
