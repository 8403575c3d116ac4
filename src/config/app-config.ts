/**
 * The configuration as a service: the parsed file (or the demo farm), where it came from,
 * and the running version. Every layer that needs a setting asks for this rather than being
 * handed it, so a test provides its own with `AppConfig.layerOf`.
 */
import { Context, Effect, Layer } from "effect";
import type { Config } from "./config";
import { loadConfig } from "./load-config";

export interface LoadedConfig {
  readonly config: Config;
  /** What it was read from: the file's name, or why the demo farm runs. */
  readonly source: string;
  readonly version: string;
}

export class AppConfig extends Context.Tag("simgate/AppConfig")<AppConfig, LoadedConfig>() {
  static readonly layerOf = (loaded: LoadedConfig): Layer.Layer<AppConfig> => Layer.succeed(AppConfig, loaded);
  /** SIMGATE_CONFIG's file (default simgate.config.json), or the demo farm; a ConfigError says what to fix. */
  static readonly fromEnvironment = (version: string, env: NodeJS.ProcessEnv = process.env): Layer.Layer<AppConfig, Error> =>
    Layer.effect(AppConfig, Effect.map(Effect.try({ try: () => loadConfig(env), catch: (e) => e as Error }), (loaded) => ({ ...loaded, version })));
}
