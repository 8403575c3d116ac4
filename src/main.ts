/**
 * `npm start`. With no configuration file this runs the demo farm: the embedded database
 * (or DATABASE_URL), a simulated SR-Train aggregator whose modems are supervised and store
 * what they receive, and an HTTP server with the farm's status and the simulator's control
 * surface under /sim/. The SimFolder and SR-Navigator facades are not in this version yet.
 */
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { Deferred, Effect } from "effect";
import { controlHandler } from "../hil/control/http";
import { startDemoFarm } from "./demo/demo-farm";
import { migrate, openStore, redact, storeTargetFromEnv } from "./store/database";
import type { Farm } from "../hil/farm";
import type { Kysely } from "kysely";
import type { Database } from "./store/schema";

const CONFIG_FILE = process.env.SIMGATE_CONFIG ?? "simgate.config.json";
const DEFAULT_PORT = 8080;

const envNumber = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number (got "${raw}")`);
  return value;
};

const status = async (farm: Farm, db: Kysely<Database>) => {
  const received = await db.selectFrom("sms_in").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
  const latest = await db.selectFrom("sms_in").select(["id", "iccid", "sender", "text", "received_at"]).orderBy("id", "desc").limit(10).execute();
  return {
    modems: [...farm.modems.values()].map((m) => ({ id: m.id, registered: m.registered, number: m.sim?.number ?? null, iccid: m.sim?.iccid ?? null })),
    sms: { received: Number(received.n), latest },
  };
};

const serve = (farm: Farm, db: Kysely<Database>, host: string, port: number) =>
  Effect.acquireRelease(
    Effect.async<Server, Error>((resume) => {
      const sim = controlHandler({ farm }, "/sim");
      const server = createServer((req, res) => {
        void (async () => {
          if (await sim(req, res)) return;
          const path = new URL(req.url ?? "/", "http://localhost").pathname;
          const json = (code: number, value: unknown) => {
            res.writeHead(code, { "content-type": "application/json; charset=utf-8" });
            res.end(JSON.stringify(value));
          };
          if (path === "/status" && req.method === "GET") return json(200, await status(farm, db));
          if (path === "/") return json(200, { service: "simgate", status: "/status", simulator: "/sim/modems" });
          json(404, { error: `no route ${path}` });
        })().catch((error) => {
          res.writeHead(500, { "content-type": "application/json" });
          res.end(JSON.stringify({ error: (error as Error).message }));
        });
      });
      server.once("error", (error) => resume(Effect.fail(new Error(`cannot listen on ${host}:${port}: ${error.message}`))));
      server.listen(port, host, () => resume(Effect.succeed(server)));
    }),
    (server) => Effect.async<void>((resume) => void server.close(() => resume(Effect.void))),
  );

const program = Effect.scoped(
  Effect.gen(function* () {
    if (existsSync(CONFIG_FILE)) {
      return yield* Effect.fail(
        new Error(`${CONFIG_FILE} found, but configuration files are read by a later version of simgate; move it away to run the demo farm`),
      );
    }
    const port = envNumber("PORT", DEFAULT_PORT);
    // Loopback by default: nothing is exposed to the network until someone asks for it.
    const host = process.env.HOST ?? "127.0.0.1";
    const target = storeTargetFromEnv();
    const db = yield* openStore(target);
    const migrated = yield* migrate(db);
    const where = target.kind === "postgres" ? redact(target.url) : `embedded database in ${target.dataDir}`;
    process.stdout.write(`store: ${where}${migrated.applied.length ? ` (applied ${migrated.applied.join(", ")})` : ""}\n`);
    const timing = process.env.SIMGATE_DEMO_TIMING === "instant" ? "instant" : "realistic";
    const farm = yield* startDemoFarm({ db, timing, smsEveryMs: envNumber("SIMGATE_DEMO_SMS_EVERY_MS", 30_000), seed: envNumber("SIMGATE_DEMO_SEED", 1) });
    process.stdout.write(`demo farm: simulated SR-Train "train", ${farm.modems.size} modems, ${farm.network.sims.size} SIM cards (${timing} timing)\n`);
    const server = yield* serve(farm, db, host, port);
    const address = server.address();
    const url = `http://${host}:${typeof address === "object" && address ? address.port : port}`;
    process.stdout.write(`listening on ${url}  (status: ${url}/status, simulator: ${url}/sim/modems, send a code: POST ${url}/sim/sms)\n`);
    process.stdout.write("the SimFolder and SR-Navigator APIs are not in this version yet\n");
    const stop = yield* Deferred.make<void>();
    const onSignal = () => Effect.runSync(Deferred.succeed(stop, undefined));
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    yield* Deferred.await(stop);
    process.stdout.write("stopping\n");
  }),
);

Effect.runPromise(program).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`simgate: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
