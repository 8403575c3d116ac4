/**
 * The HTTP side of the service as a layer: one server for the SR-Navigator and SimFolder
 * APIs, the status and OpenAPI documents, the web panel, the technicians' console (HTTP and
 * its WebSocket) and, for simulated devices, the simulator's /sim/ surface. It starts last,
 * once every service it calls is up, then says where it listens and prints the bootstrap
 * keys of a fresh store.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { Context, Effect, Layer } from "effect";
import { bootstrapKeys, BootstrapKeyError } from "../access/bootstrap";
import { openApiHandler } from "../api/openapi";
import { simFolderHandler } from "../api/simfolder/handler";
import { srNavigatorHandler, SRNAV_PATH } from "../api/srnav/handler";
import { statusHandler } from "../api/status";
import { AppConfig } from "../config/app-config";
import { ConfigError } from "../config/config";
import { startConsole } from "../console/endpoint";
import type { Registry } from "../devices/registry";
import { DeviceRegistry } from "../devices/registry-service";
import { simulatorRoutes } from "../devices/simulated";
import { hostUrlFromEnv, recordHostUrl } from "../hosts/forward";
import { ThisHost } from "../hosts/this-host";
import { announce, logNow } from "../log/logger";
import { panelHandler } from "../panel/handler";
import { FarmScheduler } from "../scheduler/scheduler-service";
import { isStoreUnavailable, retryWhileUnavailable, StoreError, tryStore } from "../store/database";
import { Store, WakeSignals } from "../store/store-service";

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


/** Where the server listens, once it does (the configured port, or the one given for port 0). */
export class HttpAddress extends Context.Tag("simgate/HttpAddress")<HttpAddress, { readonly url: string; readonly port: number }>() {}

export const HttpLive: Layer.Layer<HttpAddress, Error, AppConfig | Store | DeviceRegistry | FarmScheduler | ThisHost | WakeSignals> = Layer.scoped(
  HttpAddress,
  Effect.gen(function* () {
    const { config, version } = yield* AppConfig;
    const db = yield* Store;
    const registry = yield* DeviceRegistry;
    const scheduler = yield* FarmScheduler;
    const host = yield* ThisHost;
    // Technicians' console sessions, through each modem's own queue (src/console/).
    const consoleEndpoint = yield* startConsole({ db, registry, scheduler, host: host.id, hostTtlMs: host.ttlMs, wakeups: yield* WakeSignals });
    const telegram = process.env.SIMGATE_TELEGRAM_API ? { telegramApi: process.env.SIMGATE_TELEGRAM_API } : {};
    const server = yield* serve(registry, config.http.host, config.http.port, [
      statusHandler(registry, db),
      openApiHandler(version),
      srNavigatorHandler({ db, registry, scheduler }),
      simFolderHandler({ db, registry, scheduler, version, hostTtlMs: host.ttlMs, host: host.id, ...telegram }),
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
