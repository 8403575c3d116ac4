/**
 * bench:simfolder — the SimFolder API with a large store: smsList over 1,000,000 stored SMS
 * (filtered by card and time, paged by after_id and by offset) with 50 concurrent clients,
 * p50/p99; and smsSend acceptance (messages accepted per second into the durable queue; the
 * modems send them afterwards). Baseline, same run: the same server answering version,
 * measured in turn with the lists (slices of each, load.ts).
 * Run: npm run bench:simfolder [-- --rows 1000000 --seconds 5]   (PostgreSQL: SIMGATE_TEST_PG or 127.0.0.1:5432)
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { load as loadFor, loadInTurn, summary as summaryFor } from "./load";
import { Effect, Exit, Scope } from "effect";
import { sql } from "kysely";
import { hashKey } from "../../src/access/keys";
import { routeRequests } from "../../src/api/http/router";
import { simFolderRoutes } from "../../src/api/simfolder/handler";
import { parseConfig } from "../../src/config/config";
import { startRegistry } from "../../src/devices/registry";
import { startServiceScheduler } from "../../src/scheduler/farm-scheduler";
import { migrate, openStore } from "../../src/store/database";
import { throwawayDatabase } from "../support/postgres";

const { values } = parseArgs({ options: { rows: { type: "string", default: "1000000" }, seconds: { type: "string", default: "5" }, clients: { type: "string", default: "50" } } });
const ROWS = Number(values.rows);
const SECONDS = Number(values.seconds);
const CLIENTS = Number(values.clients);
const KEY = "bench-api-key-000001";

const load = (urls: string[]) => loadFor(urls, SECONDS);
const summary = (name: string, run: Awaited<ReturnType<typeof load>>) => summaryFor(name, run, SECONDS);

const database = await throwawayDatabase("simgate_bench_simfolder");
const scope = Effect.runSync(Scope.make());
try {
  const db = await Effect.runPromise(Scope.extend(openStore({ kind: "postgres", url: database.url }), scope));
  await Effect.runPromise(migrate(db));
  await db.insertInto("api_users").values({ name: "admin", key_hash: hashKey(KEY) }).execute();
  const config = parseConfig({ devices: [{ id: "rack", model: "pool", modems: "simulated", count: 16 }], demo: { smsEveryMs: 0, timing: "instant" } }, {}, "bench");
  const registry = await Effect.runPromise(Scope.extend(startRegistry(config, db), scope));
  const scheduler = await Effect.runPromise(Scope.extend(startServiceScheduler(db, registry, { settleMs: 1_000 }), scope));
  await Effect.runPromise(scheduler.scanned);
  for (;;) {
    const n = await db.selectFrom("sim_cards").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
    if (Number(n.n) === 16) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const cards = await db.selectFrom("sim_cards").select(["id", "iccid"]).orderBy("id").execute();
  const filling = performance.now();
  // A year of history spread over the 16 cards.
  await sql`
    insert into sms_in (iccid, key, sender, text, parts, received_at)
    select (${sql.val(cards.map((c) => c.iccid))}::text[])[1 + (g % ${cards.length})], 'bench:' || g, '+1555' || (g % 1000), 'Your code is ' || (1000 + g % 9000), 1,
           now() - (g || ' seconds')::interval * (31536000.0 / ${ROWS})
    from generate_series(1, ${ROWS}) g`.execute(db);
  await sql`analyze sms_in`.execute(db);
  console.log(`bench:simfolder — ${ROWS.toLocaleString("en")} stored SMS (filled in ${((performance.now() - filling) / 1000).toFixed(1)} s), ${CLIENTS} clients, ${SECONDS} s each, PostgreSQL`);

  const handle = routeRequests(simFolderRoutes({ db, registry, scheduler, version: "bench" }));
  const server: Server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
  const clients = Array.from({ length: CLIENTS }, (_, i) => cards[i % cards.length]!);
  const week = Math.floor(Date.now() / 1000) - 7 * 86_400;

  // Measured in turn (load.ts), so that the ratio to the baseline holds still on a busy machine.
  const runs = await loadInTurn(
    {
      baseline: clients.map(() => `${base}/version`),
      newest: clients.map((c) => `${base}/smsList?api_key=${KEY}&card_id=${c.id}&limit=100`),
      week: clients.map((c) => `${base}/smsList?api_key=${KEY}&card_id=${c.id}&from=${week}&limit=100&offset=500`),
      paging: clients.map((_, i) => `${base}/smsList?api_key=${KEY}&after_id=${Math.floor((ROWS / CLIENTS) * i)}&limit=100`),
    },
    SECONDS,
  );
  const baseline = summary("baseline: version", runs.baseline);
  const newest = summary("smsList card_id, newest 100", runs.newest);
  summary("smsList card_id, last week, offset 500", runs.week);
  summary("smsList all cards, after_id paging", runs.paging);
  console.log(`ratio smsList / version: throughput ${(newest.rate / baseline.rate).toFixed(3)}`);

  // smsSend acceptance: the queue takes them; no sender runs here, so nothing is sent.
  const accepted = summary("smsSend (accepted into the queue)", await load(clients.map((c) => `${base}/smsSend?api_key=${KEY}&card_id=${c.id}&addressee=%2B15559000000&msg=bench`)));
  console.log(`smsSend acceptance: ${accepted.rate.toFixed(0)} messages/s`);
  server.close();
} finally {
  await Effect.runPromise(Scope.close(scope, Exit.void));
  await database.drop();
}
