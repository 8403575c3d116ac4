/**
 * The workers of this host as layers: outgoing SMS, card work (USSD, AT, dials, clearing)
 * and the recorder of calls and USSD the modems report. Each runs for its layer's life and
 * takes only jobs for cards on devices this host drives.
 */
import { Effect, Layer } from "effect";
import { CardDirectory } from "../cards/card-directory";
import { AppConfig } from "../config/app-config";
import { DeviceRegistry } from "../devices/registry-service";
import { ThisHost } from "../hosts/this-host";
import { Store, WakeSignals } from "../store/store-service";
import { recordCalls } from "./calls-and-ussd";
import { runCardJobs } from "./card-jobs";
import { runSmsSender } from "./sms-sender";

export const SmsSenderLive: Layer.Layer<never, never, AppConfig | Store | DeviceRegistry | CardDirectory | ThisHost | WakeSignals> = Layer.scopedDiscard(
  Effect.gen(function* () {
    const { config } = yield* AppConfig;
    yield* runSmsSender(yield* Store, yield* DeviceRegistry, {
      switcher: (yield* CardDirectory).switcher,
      host: (yield* ThisHost).id,
      resendUnknownAfterMs: config.resendUnknownAfterMs,
      wakeups: yield* WakeSignals,
    });
  }),
);

export const CardJobsLive: Layer.Layer<never, never, Store | DeviceRegistry | CardDirectory | ThisHost | WakeSignals> = Layer.scopedDiscard(
  Effect.gen(function* () {
    yield* runCardJobs(yield* Store, yield* DeviceRegistry, { switcher: (yield* CardDirectory).switcher, host: (yield* ThisHost).id, wakeups: yield* WakeSignals });
  }),
);

export const CallRecorderLive: Layer.Layer<never, never, Store | DeviceRegistry> = Layer.scopedDiscard(
  Effect.gen(function* () {
    yield* recordCalls(yield* Store, yield* DeviceRegistry);
  }),
);
