/**
 * The HTTP side of the service as a layer: one server for the SR-Navigator and SimFolder
 * APIs, the status and OpenAPI documents, the web panel, the technicians' console (HTTP and
 * its WebSocket) and, for simulated devices, the simulator's /sim/ surface. It starts last,
 * once every service it calls is up, then says where it listens and prints the bootstrap
 * keys of a fresh store.
 */
import { Context, Effect, Layer } from "effect";
import { bootstrapKeys, BootstrapKeyError } from "../access/bootstrap";
import { serve } from "../api/http/server";
import { openApiRoutes } from "../api/openapi";
import { simFolderRoutes } from "../api/simfolder/handler";
import { srNavigatorRoutes, SRNAV_PATH } from "../api/srnav/handler";
import { indexRoute, statusRoutes } from "../api/status";
import { CardDirectory } from "../cards/card-directory";
import { AppConfig } from "../config/app-config";
import { ConfigError } from "../config/config";
import { startConsole } from "../console/endpoint";
import { DeviceRegistry } from "../devices/registry-service";
import { simulatorRoutes } from "../devices/simulated";
import { hostUrlFromEnv, recordHostUrl } from "../hosts/forward";
import { ThisHost } from "../hosts/this-host";
import { announce } from "../log/logger";
import { panelRoutes } from "../panel/handler";
import { FarmScheduler } from "../scheduler/scheduler-service";
import { retryWhileUnavailable, StoreError, tryStore } from "../store/database";
import { Store, WakeSignals } from "../store/store-service";

export class HttpAddress extends Context.Tag("simgate/HttpAddress")<HttpAddress, { readonly url: string; readonly port: number }>() {}

export const HttpLive: Layer.Layer<HttpAddress, Error, AppConfig | Store | DeviceRegistry | FarmScheduler | CardDirectory | ThisHost | WakeSignals> = Layer.scoped(
  HttpAddress,
  Effect.gen(function* () {
    const { config, version } = yield* AppConfig;
    const db = yield* Store;
    const registry = yield* DeviceRegistry;
    const scheduler = yield* FarmScheduler;
    const host = yield* ThisHost;
    const directory = yield* CardDirectory;
    // Technicians' console sessions, through each modem's own queue (src/console/).
    const consoleEndpoint = yield* startConsole({ db, registry, scheduler, host: host.id, hostTtlMs: host.ttlMs, wakeups: yield* WakeSignals });
    const telegram = process.env.SIMGATE_TELEGRAM_API ? { telegramApi: process.env.SIMGATE_TELEGRAM_API } : {};
    // The facades run their effects in this runtime: the service's logger and level, not Effect's defaults.
    const runtime = yield* Effect.runtime<never>();
    const server = yield* serve(config.http.host, config.http.port, [
      ...statusRoutes(registry, db),
      ...openApiRoutes(version),
      ...srNavigatorRoutes({ db, registry, scheduler, runtime, directory }),
      ...simFolderRoutes({ db, registry, scheduler, version, hostTtlMs: host.ttlMs, host: host.id, runtime, directory, ...telegram }),
      ...panelRoutes({ db, registry, scheduler, hostTtlMs: host.ttlMs, host: host.id, runtime, directory }).routes,
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
    yield* announce(`host ${host.id}: other hosts pass on live requests to ${reachedAt}${process.env.SIMGATE_HOST_URL ? "" : " (SIMGATE_HOST_URL sets it)"}`);
    yield* announce(`listening on ${url}  (status: ${url}/status${registry.farm ? `, simulator: ${url}/sim/modems, send a code: POST ${url}/sim/sms` : ""})`);
    yield* announce(`SR-Navigator API: ${url}${SRNAV_PATH}   SimFolder API: ${url}/api/<method>   web panel: ${url}/   console: ${url.replace(/^http/, "ws")}/console/ws`);
    // Retried while the database is away: a connection killed at this moment must not stop
    // a service that is already serving.
    const keys = yield* retryWhileUnavailable(
      Effect.tryPromise({
        try: () => bootstrapKeys(db, process.env),
        catch: (e) => (e instanceof BootstrapKeyError ? new ConfigError(e.message) : new StoreError({ reason: `bootstrap keys: ${(e as Error).message}`, cause: e })),
      }),
    );
    yield* announce(`${keys.api}\n${keys.pool}\n${keys.password}`);
    return { url, port };
  }),
);
