/**
 * This host as a service: its id and heartbeat, with the devices of the configuration
 * claimed for it (refused, as a configuration error, when a live other host drives one).
 * The heartbeat runs for the layer's life; a test provides a host of its own with
 * `ThisHost.layerOf` (claims nothing) or `ThisHost.claiming` (under the test's name).
 */
import { Context, Effect, Layer } from "effect";
import { AppConfig } from "../config/app-config";
import { ConfigError } from "../config/config";
import { retryWhileUnavailable } from "../store/database";
import { Store } from "../store/store-service";
import { hostOptionsFromEnv, startHost, type HostOptions } from "./host";
import { announce } from "../log/logger";

export class ThisHost extends Context.Tag("simgate/ThisHost")<ThisHost, HostOptions>() {
  /** A host given as it is: it claims nothing and does not beat (tests of the parts above it). */
  static readonly layerOf = (host: HostOptions): Layer.Layer<ThisHost> => Layer.succeed(ThisHost, host);

  /**
   * This host under the given name: registered, the configured devices taken before any is
   * opened (a device a live other host drives is a ConfigError naming that host), and its
   * heartbeat running for the layer's life.
   */
  static readonly claiming = (host: HostOptions): Layer.Layer<ThisHost, Error, AppConfig | Store> =>
    Layer.scoped(
      ThisHost,
      Effect.gen(function* () {
        const { config } = yield* AppConfig;
        yield* retryWhileUnavailable(startHost(yield* Store, host, config.devices.map((d) => d.id))).pipe(
          Effect.catchTag("DeviceOwned", (e) => Effect.fail(new ConfigError(e.message))),
        );
        yield* announce(`host: ${host.id}`);
        return host;
      }),
    );
}

/** Named by SIMGATE_HOST_ID (else the machine's name), as ThisHost.claiming makes it. */
export const ThisHostLive: Layer.Layer<ThisHost, Error, AppConfig | Store> = Layer.unwrapEffect(
  Effect.map(AppConfig, ({ version }) => ThisHost.claiming(hostOptionsFromEnv(version))),
);
