/**
 * bench:srnav — getLastSms polling, the SR-Navigator clients' hot path: 50 concurrent
 * pollers (a load generator in a worker thread, over loopback) against the service's
 * handler with the store on PostgreSQL, each polling its own open number whose card holds
 * 200 stored messages. Baseline, same run, same socket stack: the same server answering a
 * constant body, measured in turn with the polls (slices of each, load.ts). Prints
 * requests/s, p50 and p99, and the ratio to the baseline.
 * Run: npm run bench:srnav [-- --pollers 50 --seconds 5]   (PostgreSQL: SIMGATE_TEST_PG or 127.0.0.1:5432)
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { loadInTurn, summary as summaryFor, type LoadRun } from "./load";
import { Effect, Exit, Scope } from "effect";
import { routeRequests } from "../../src/api/http/router";
import { srNavigatorRoutes } from "../../src/api/srnav/handler";
import { parseConfig } from "../../src/config/config";
import { startRegistry } from "../../src/devices/registry";
import { createPool } from "../../src/pools/pools";
import { startServiceScheduler } from "../../src/scheduler/farm-scheduler";
import { migrate, openStore } from "../../src/store/database";
import { throwawayDatabase } from "../support/postgres";

const { values } = parseArgs({ options: { pollers: { type: "string", default: "50" }, seconds: { type: "string", default: "5" } } });
const POLLERS = Number(values.pollers);
const SECONDS = Number(values.seconds);
const KEY = "bench-pool-key-00000001";

const listen = async (handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; base: string }> => {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
};

const summary = (name: string, run: LoadRun) => summaryFor(name, run, SECONDS);

const database = await throwawayDatabase("simgate_bench_srnav");
const scope = Effect.runSync(Scope.make());
try {
  const config = parseConfig({ devices: [{ id: "train", model: "sr-train", modems: "simulated", rows: 8, rotateEveryMs: 0 }], demo: { smsEveryMs: 0, timing: "instant" } }, {}, "bench");
  const db = await Effect.runPromise(Scope.extend(openStore({ kind: "postgres", url: database.url }), scope));
  await Effect.runPromise(migrate(db));
  const registry = await Effect.runPromise(Scope.extend(startRegistry(config, db), scope));
  const scheduler = await Effect.runPromise(Scope.extend(startServiceScheduler(db, registry, { settleMs: 2_000 }), scope));
  await Effect.runPromise(scheduler.scanned);
  await createPool(db, "bench", {}, KEY);
  const cards = await db.selectFrom("sim_cards").select(["iccid", "number"]).where("number", "is not", null).orderBy("id").execute();
  // History: 200 messages per card, a code in each.
  for (const card of cards) {
    const rows = Array.from({ length: 200 }, (_, i) => ({ iccid: card.iccid, key: `bench-${i}`, sender: i % 2 ? "Verify" : "+15550001111", text: `Your code is ${1000 + i}`, parts: 1, received_at: new Date(Date.now() - (200 - i) * 1000) }));
    await db.insertInto("sms_in").values(rows).execute();
  }
  const numbers = cards.map((c) => c.number!.replace(/\D/g, ""));
  const pollers = Array.from({ length: POLLERS }, (_, i) => numbers[i % numbers.length]!);

  // Through the service's route table, as main.ts serves it.
  const handler = routeRequests(srNavigatorRoutes({ db, registry, scheduler }));
  const api = await listen((req, res) => void handler(req, res));
  // Open the numbers as clients would, then poll them.
  for (const n of new Set(pollers)) await fetch(`${api.base}/api/handler.php?pool_key=${KEY}&action=openNumber&number=${n}&mode=repeat`).then((r) => r.text());
  const constant = await listen((_req, res) => {
    res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
    res.end("4856");
  });

  console.log(`bench:srnav — ${POLLERS} pollers, ${SECONDS} s each, ${cards.length} cards x 200 stored SMS, PostgreSQL`);
  const runs = await loadInTurn(
    {
      baseline: pollers.map(() => `${constant.base}/api/handler.php`),
      code: pollers.map((n) => `${api.base}/api/handler.php?pool_key=${KEY}&action=getLastSms&number=${n}&code=4&sender=verify`),
      unread: pollers.map((n) => `${api.base}/api/handler.php?pool_key=${KEY}&action=getLastSms&number=${n}&new=1&period=60`),
    },
    SECONDS,
  );
  const base = summary("baseline (constant body)", runs.baseline);
  const polled = summary("getLastSms&code=4", runs.code);
  summary("getLastSms&new=1 (mostly NOT_FOUND)", runs.unread);
  console.log(`ratio getLastSms / baseline: throughput ${(polled.rate / base.rate).toFixed(3)}, p50 latency ${(polled.p50 / base.p50).toFixed(1)}x`);
  api.server.close();
  constant.server.close();
} finally {
  await Effect.runPromise(Scope.close(scope, Exit.void));
  await database.drop();
}
