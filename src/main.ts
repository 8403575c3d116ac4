/**
 * `npm start`: reads simgate.config.json (or runs the demo farm when there is none), opens
 * the store and applies its migrations, gives every configured modem a supervised actor that
 * stores what it receives, runs the scheduler over the SIM banks, and serves the
 * SR-Navigator API, the modems' status and, for simulated devices, the simulator's control
 * surface under /sim/, the SimFolder API under /api/ with its notifications, and the web
 * panel at /. The service itself is one composition of layers (src/app/service-layers.ts);
 * this file reads the configuration, builds it once and holds it until a signal.
 */
import { readFileSync } from "node:fs";
import { Deferred, Effect, Layer } from "effect";
import { ServiceLive } from "./app/service-layers";
import { AppConfig } from "./config/app-config";
import { ConfigError } from "./config/config";
import { logLevelFrom, serviceLogging } from "./log/logger";

const VERSION = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;

const program = Effect.scoped(
  Effect.gen(function* () {
    // A stop asked for while starting is honoured once the start is done (not by dying half-way).
    const stop = yield* Deferred.make<void>();
    const onSignal = () => Effect.runSync(Deferred.succeed(stop, undefined));
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    // The whole service (src/app/service-layers.ts), released in reverse order on the way out.
    yield* Layer.build(ServiceLive.pipe(Layer.provide(AppConfig.fromEnvironment(VERSION))));
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
