/**
 * `npm start`: reads simgate.config.json (or runs the demo farm when there is none), opens
 * the store and applies its migrations, gives every configured modem a supervised actor that
 * stores what it receives, runs the scheduler over the SIM banks, and serves the
 * SR-Navigator API, the modems' status and, for simulated devices, the simulator's control
 * surface under /sim/, the SimFolder API under /api/ with its notifications, and the web
 * panel at /. The service itself is one composition of layers (src/app/service-layers.ts);
 * this file reads the configuration, builds it once and holds it until a signal.
 */
import { existsSync, readFileSync } from "node:fs";
import { Deferred, Effect, Layer } from "effect";
import { ServiceLive } from "./app/service-layers";
import { AppConfig } from "./config/app-config";
import { ConfigError, DEMO_CONFIG, parseConfig, type Config } from "./config/config";
import { logLevelFrom, serviceLogging } from "./log/logger";

const CONFIG_FILE = process.env.SIMGATE_CONFIG ?? "simgate.config.json";
const VERSION = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;

const loadConfig = (): { config: Config; source: string } => {
  if (!existsSync(CONFIG_FILE)) {
    const config = parseConfig(DEMO_CONFIG, process.env, "demo");
    const every = process.env.SIMGATE_DEMO_SMS_EVERY_MS;
    const timing = process.env.SIMGATE_DEMO_TIMING;
    if (every !== undefined && !/^\d+$/.test(every)) throw new ConfigError(`SIMGATE_DEMO_SMS_EVERY_MS must be a whole number of ms (got "${every}")`);
    if (timing !== undefined && timing !== "instant" && timing !== "realistic") throw new ConfigError(`SIMGATE_DEMO_TIMING must be instant or realistic (got "${timing}")`);
    return {
      config: { ...config, demoSmsEveryMs: every !== undefined ? Number(every) : config.demoSmsEveryMs, simulatedTiming: timing ?? config.simulatedTiming },
      source: `no ${CONFIG_FILE}: the demo farm`,
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(CONFIG_FILE, "utf8"));
  } catch (error) {
    throw new ConfigError(`${CONFIG_FILE}: ${(error as Error).message}`);
  }
  return { config: parseConfig(json, process.env, CONFIG_FILE), source: CONFIG_FILE };
};

const program = Effect.scoped(
  Effect.gen(function* () {
    // A stop asked for while starting is honoured once the start is done (not by dying half-way).
    const stop = yield* Deferred.make<void>();
    const onSignal = () => Effect.runSync(Deferred.succeed(stop, undefined));
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    const { config, source } = yield* Effect.try({ try: loadConfig, catch: (e) => e as Error });
    // The whole service (src/app/service-layers.ts), released in reverse order on the way out.
    yield* Layer.build(ServiceLive.pipe(Layer.provide(AppConfig.layerOf({ config, source, version: VERSION }))));
    yield* Deferred.await(stop);
    process.stdout.write("stopping\n");
  }),
);

// The service's log (src/log/logger.ts) for everything the program runs.
const logLevel = (() => {
  try {
    return logLevelFrom(process.env);
  } catch (error) {
    process.stderr.write(`simgate: ${(error as Error).message}\n`);
    process.exit(2);
  }
})();

Effect.runPromise(Effect.either(program.pipe(Effect.provide(serviceLogging(logLevel))))).then(
  (outcome) => {
    if (outcome._tag === "Right") process.exit(0);
    const error = outcome.left;
    process.stderr.write(`simgate: ${error.message}\n`);
    // 2: fix the configuration; 1: something else (the database, the port).
    process.exit(error instanceof ConfigError ? 2 : 1);
  },
  (defect: unknown) => {
    process.stderr.write(`simgate: ${defect instanceof Error ? (defect.stack ?? defect.message) : String(defect)}\n`);
    process.exit(1);
  },
);
