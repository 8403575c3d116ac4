/**
 * This host as a service: its id and heartbeat, with the devices of the configuration
 * claimed for it (refused, as a configuration error, when a live other host drives one).
 * The heartbeat runs for the layer's life; a test provides a host of its own with
 * `ThisHost.layerOf`.
 */
import { Context, Effect, Layer } from "effect";
import { AppConfig } from "../config/app-config";
import { ConfigError } from "../config/config";
import { retryWhileUnavailable } from "../store/database";
import { Store } from "../store/store-service";
import { hostOptionsFromEnv, startHost, type HostOptions } from "./host";
import { announce } from "../log/logger";

export class ThisHost extends Context.Tag("simgate/ThisHost")<ThisHost, HostOptions>() {
  static readonly layerOf = (host: HostOptions): Layer.Layer<ThisHost> => Layer.succeed(ThisHost, host);
}

/** Named by SIMGATE_HOST_ID (else the machine's name); its devices taken before any is opened. */
export const ThisHostLive: Layer.Layer<ThisHost, Error, AppConfig | Store> = Layer.scoped(
  ThisHost,
  Effect.gen(function* () {
    const { config, version } = yield* AppConfig;
    const host = hostOptionsFromEnv(version);
    yield* retryWhileUnavailable(startHost(yield* Store, host, config.devices.map((d) => d.id))).pipe(
      Effect.catchTag("DeviceOwned", (e) => Effect.fail(new ConfigError(e.message))),
    );
    yield* announce(`host: ${host.id}`);
    return host;
  }),
);
