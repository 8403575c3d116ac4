/**
 * `npm start`: reads simgate.config.json (or runs the demo farm when there is none), opens
 * the store and applies its migrations, gives every configured modem a supervised actor that
 * stores what it receives, runs the scheduler over the SIM banks, and serves the
 * SR-Navigator API, the modems' status and, for simulated devices, the simulator's control
 * surface under /sim/, the SimFolder API under /api/ with its notifications, and the web
 * panel at /.
 */
import { existsSync, readFileSync } from "node:fs";
import { Deferred, Effect } from "effect";
import { ConfigError, DEMO_CONFIG, parseConfig, type Config } from "./config/config";
import { startRegistry } from "./devices/registry";
import { simulatorRoutes } from "./devices/simulated";
import { runSmsSender } from "./jobs/sms-sender";
import { runCardJobs } from "./jobs/card-jobs";
import { recordCalls } from "./jobs/calls-and-ussd";
import { recordModemEvents } from "./events/recorder";
import { reportModemTrouble } from "./devices/modem-trouble";
import { publishModemStates } from "./devices/live-state";
import { runRetention } from "./store/retention";
import { migrate, openStore, redact, retryWhileUnavailable, StoreError, tryStore, wakeSourceOf } from "./store/database";
import { hostUrlFromEnv, recordHostUrl } from "./hosts/forward";
import { pollingOnly, startWakeups } from "./store/wakeups";
import { indexRoute, statusRoutes } from "./api/status";
import { hostOptionsFromEnv, startHost } from "./hosts/host";
import { startServiceScheduler } from "./scheduler/farm-scheduler";
import { cardSwitcher } from "./scheduler/card-switcher";
import { srNavigatorRoutes, SRNAV_PATH } from "./api/srnav/handler";
import { simFolderRoutes } from "./api/simfolder/handler";
import { runNotifier } from "./notify/webhooks";
import { openApiRoutes } from "./api/openapi";
import { serve } from "./api/http/server";
import { bootstrapKeys, BootstrapKeyError } from "./access/bootstrap";
import { panelRoutes } from "./panel/handler";
import { startConsole } from "./console/endpoint";
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
    const db = yield* openStore(config.database);
    const migrated = yield* retryWhileUnavailable(migrate(db));
    const where = config.database.kind === "postgres" ? redact(config.database.url) : `embedded database in ${config.database.dataDir}`;
    process.stdout.write(`config: ${source}\n`);
    process.stdout.write(`store: ${where}${migrated.applied.length ? ` (applied ${migrated.applied.join(", ")})` : ""}\n`);
    // This host and the devices it drives, before any of them is opened.
    const host = hostOptionsFromEnv(VERSION);
    yield* retryWhileUnavailable(startHost(db, host, config.devices.map((d) => d.id))).pipe(Effect.catchTag("DeviceOwned", (e) => Effect.fail(new ConfigError(e.message))));
    process.stdout.write(`host: ${host.id}\n`);
    // Loops that wait for work sleep until the database says there is some (LISTEN/NOTIFY).
    const listenOn = wakeSourceOf(db);
    const wakeups = listenOn ? yield* startWakeups(listenOn) : pollingOnly;
    const registry = yield* startRegistry(config, db);
    const scheduler = yield* startServiceScheduler(db, registry, { wakeups });
    // Outgoing SMS jobs, from whichever caller accepted them.
    yield* runSmsSender(db, registry, { switcher: cardSwitcher(db, scheduler), host: host.id, resendUnknownAfterMs: config.resendUnknownAfterMs, wakeups });
    // USSD, AT commands and dials on cards, accepted by the APIs.
    yield* runCardJobs(db, registry, { switcher: cardSwitcher(db, scheduler), host: host.id, wakeups });
    yield* recordCalls(db, registry);
    yield* recordModemEvents(db, registry);
    yield* reportModemTrouble(db, registry);
    yield* publishModemStates(db, registry, host.id);
    yield* runRetention(db, config.retention);
    for (const d of config.devices) {
      const count = registry.modems.filter((m) => m.device === d.id).length;
      process.stdout.write(`device ${d.id} (${d.model}${d.modems === "simulated" ? `, simulated, ${config.simulatedTiming} timing` : ""}): ${count} modems\n`);
    }
    yield* runNotifier(db, { wakeups });
    // Technicians' console sessions, through each modem's own queue (src/console/).
    const consoleEndpoint = yield* startConsole({ db, registry, scheduler, host: host.id, hostTtlMs: host.ttlMs, wakeups });
    const server = yield* serve(config.http.host, config.http.port, [
      ...statusRoutes(registry, db),
      ...openApiRoutes(VERSION),
      ...srNavigatorRoutes({ db, registry, scheduler }),
      ...simFolderRoutes({ db, registry, scheduler, version: VERSION, hostTtlMs: host.ttlMs, host: host.id, ...(process.env.SIMGATE_TELEGRAM_API ? { telegramApi: process.env.SIMGATE_TELEGRAM_API } : {}) }),
      ...panelRoutes({ db, registry, scheduler, hostTtlMs: host.ttlMs, host: host.id }).routes,
      ...consoleEndpoint.routes,
      ...(registry.farm ? simulatorRoutes(registry.farm, "/sim") : []),
      indexRoute({ srNavigator: SRNAV_PATH, ...(registry.farm ? { simulator: "/sim/modems" } : {}) }),
    ]);
    consoleEndpoint.attach(server);
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : config.http.port;
    const url = `http://${config.http.host}:${port}`;
    // Where the other hosts pass on live requests for this host's modems (src/hosts/forward.ts).
    const reachedAt = hostUrlFromEnv(config.http.host, port);
    yield* retryWhileUnavailable(tryStore("recording where this host is reached", () => recordHostUrl(db, host.id, reachedAt)));
    process.stdout.write(`host ${host.id}: other hosts pass on live requests to ${reachedAt}${process.env.SIMGATE_HOST_URL ? "" : " (SIMGATE_HOST_URL sets it)"}\n`);
    process.stdout.write(`listening on ${url}  (status: ${url}/status${registry.farm ? `, simulator: ${url}/sim/modems, send a code: POST ${url}/sim/sms` : ""})\n`);
    process.stdout.write(`SR-Navigator API: ${url}${SRNAV_PATH}   SimFolder API: ${url}/api/<method>   web panel: ${url}/   console: ${url.replace(/^http/, "ws")}/console/ws\n`);
    // Retried while the database is away: a connection killed at this moment must not stop
    // a service that is already serving.
    const keys = yield* retryWhileUnavailable(
      Effect.tryPromise({
        try: () => bootstrapKeys(db, process.env),
        catch: (e) => (e instanceof BootstrapKeyError ? new ConfigError(e.message) : new StoreError({ reason: `bootstrap keys: ${(e as Error).message}`, cause: e })),
      }),
    );
    process.stdout.write(`${keys.api}\n${keys.pool}\n${keys.password}\n`);
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
