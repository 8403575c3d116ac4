/**
 * The devices of this host as a service: every configured modem with its supervised actor
 * storing what it receives, and each device's SIM bank driver (src/devices/registry.ts).
 * A test that wants no hardware gives a configuration of simulated devices; one that builds
 * its own devices provides them with `DeviceRegistry.layerOf`.
 */
import { Context, Effect, Layer } from "effect";
import { AppConfig } from "../config/app-config";
import { Store } from "../store/store-service";
import { startRegistry, type Registry } from "./registry";
import { announce } from "../log/logger";

export class DeviceRegistry extends Context.Tag("simgate/DeviceRegistry")<DeviceRegistry, Registry>() {
  static readonly layerOf = (registry: Registry): Layer.Layer<DeviceRegistry> => Layer.succeed(DeviceRegistry, registry);
}

export const DeviceRegistryLive: Layer.Layer<DeviceRegistry, never, AppConfig | Store> = Layer.scoped(
  DeviceRegistry,
  Effect.gen(function* () {
    const { config } = yield* AppConfig;
    const registry = yield* startRegistry(config, yield* Store);
    for (const d of config.devices) {
      const count = registry.modems.filter((m) => m.device === d.id).length;
      const kind = d.modems === "simulated" ? `, simulated, ${config.simulatedTiming} timing` : "";
      yield* announce(`device ${d.id} (${d.model}${kind}): ${count} modems`);
    }
    return registry;
  }),
);
