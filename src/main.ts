/**
 * `npm start`: reads simgate.config.json (or runs the demo farm when there is none), opens
 * the store and applies its migrations, gives every configured modem a supervised actor that
 * stores what it receives, runs the scheduler over the SIM banks, and serves the
 * SR-Navigator API, the modems' status and, for simulated devices, the simulator's control
 * surface under /sim/, the SimFolder API under /api/ with its notifications, and the web
 * panel at /.
 */
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { Deferred, Effect } from "effect";
import { ConfigError } from "./config/config";
import { loadConfig } from "./config/load-config";
import { startRegistry, type Registry } from "./devices/registry";
import { simulatorRoutes } from "./devices/simulated";
import { runSmsSender } from "./jobs/sms-sender";
import { runCardJobs } from "./jobs/card-jobs";
import { recordCalls } from "./jobs/calls-and-ussd";
import { recordModemEvents } from "./events/recorder";
import { reportModemTrouble } from "./devices/modem-trouble";
import { publishModemStates } from "./devices/live-state";
import { runRetention } from "./store/retention";
import { isStoreUnavailable, migrate, openStore, redact, retryWhileUnavailable, StoreError, tryStore, wakeSourceOf } from "./store/database";
import { hostUrlFromEnv, recordHostUrl } from "./hosts/forward";
import { pollingOnly, startWakeups } from "./store/wakeups";
import { statusHandler } from "./api/status";
import { hostOptionsFromEnv, startHost } from "./hosts/host";
import { startServiceScheduler } from "./scheduler/farm-scheduler";
import { cardSwitcher } from "./scheduler/card-switcher";
import { srNavigatorHandler, SRNAV_PATH } from "./api/srnav/handler";
import { simFolderHandler } from "./api/simfolder/handler";
import { runNotifier } from "./notify/webhooks";
import { openApiHandler } from "./api/openapi";
import { bootstrapKeys, BootstrapKeyError } from "./access/bootstrap";
import { panelHandler } from "./panel/handler";
import { startConsole } from "./console/endpoint";
import { logLevelFrom, logNow, serviceLogging } from "./log/logger";

const VERSION = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

const serve = (registry: Registry, host: string, port: number, handlers: readonly Handler[]) =>
  Effect.acquireRelease(
    Effect.async<Server, Error>((resume) => {
      const sim = registry.farm ? simulatorRoutes(registry.farm, "/sim") : null;
      const server = createServer((req, res) => {
        void (async () => {
          for (const handle of handlers) if (await handle(req, res)) return;
          if (sim && (await sim(req, res))) return;
          const path = new URL(req.url ?? "/", "http://localhost").pathname;
          const json = (code: number, value: unknown) => {
            res.writeHead(code, { "content-type": "application/json; charset=utf-8" });
            res.end(JSON.stringify(value));
          };
          if (path === "/") return json(200, { service: "simgate", status: "/status", health: "/healthz", ready: "/readyz", srNavigator: SRNAV_PATH, ...(sim ? { simulator: "/sim/modems" } : {}) });
          json(404, { error: `no route ${path}` });
        })().catch((error) => {
          if (res.headersSent) return void res.destroy();
          if (isStoreUnavailable(error)) {
            res.writeHead(503, { "content-type": "application/json", "retry-after": "5" });
            return void res.end(JSON.stringify({ error: "UNAVAILABLE", message: "the database is not reachable right now" }));
          }
          logNow("error", `http ${req.method} ${req.url}: ${(error as Error).stack ?? String(error)}`);
          res.writeHead(500, { "content-type": "application/json" });
          res.end(JSON.stringify({ error: "INTERNAL", message: "the request could not be completed; it is logged" }));
        });
      });
      server.once("error", (error) => resume(Effect.fail(new Error(`cannot listen on ${host}:${port}: ${error.message}`))));
      server.listen(port, host, () => resume(Effect.succeed(server)));
    }),
    (server) => Effect.async<void>((resume) => void server.close(() => resume(Effect.void))),
  );

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
    const server = yield* serve(registry, config.http.host, config.http.port, [
      statusHandler(registry, db),
      openApiHandler(VERSION),
      srNavigatorHandler({ db, registry, scheduler }),
      simFolderHandler({ db, registry, scheduler, version: VERSION, hostTtlMs: host.ttlMs, host: host.id, ...(process.env.SIMGATE_TELEGRAM_API ? { telegramApi: process.env.SIMGATE_TELEGRAM_API } : {}) }),
      panelHandler({ db, registry, scheduler, hostTtlMs: host.ttlMs, host: host.id }).handle,
      consoleEndpoint.handle,
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
