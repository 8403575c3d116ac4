/**
 * bench:ingest — inbound SMS from N simulated modems into PostgreSQL, end to end: the
 * virtual network delivers M messages to each modem's SIM (+CMTI), each modem's actor reads
 * the message, the sink commits it, the actor deletes it from the SIM. Prints messages per
 * second, loss (must be 0) and the latency from delivery (the +CMTI, which the instant
 * network emits in the same tick) to the committed row (its received_at, the database's
 * clock on this machine). Baseline, same run: the same number of parts stored straight
 * through the sink by N concurrent writers, no modems.
 * Run: npm run bench:ingest [-- --modems 32 --messages 50]   (PostgreSQL: SIMGATE_TEST_PG or 127.0.0.1:5432)
 */
import { parseArgs } from "node:util";
import { Effect, Exit, Scope } from "effect";
import { sql } from "kysely";
import { buildDeliver } from "../../hil/network/pdu-builder";
import { decodeSmsPdu } from "../../protocol/sms/decode";
import { parseConfig } from "../../src/config/config";
import { startRegistry } from "../../src/devices/registry";
import { migrate, openStore } from "../../src/store/database";
import { makeStoreSink } from "../../src/store/sms-sink";
import { throwawayDatabase } from "../support/postgres";

const { values } = parseArgs({ options: { modems: { type: "string", default: "32" }, messages: { type: "string", default: "50" } } });
const MODEMS = Number(values.modems);
const MESSAGES = Number(values.messages);
const TOTAL = MODEMS * MESSAGES;

const percentile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

const database = await throwawayDatabase("simgate_bench_ingest");
const scope = Effect.runSync(Scope.make());
try {
  const db = await Effect.runPromise(Scope.extend(openStore({ kind: "postgres", url: database.url }), scope));
  await Effect.runPromise(migrate(db));

  // Baseline: the sink alone, N writers.
  const sink = makeStoreSink(db, { device: "test", modem: 1 });
  const at = new Date();
  const pdus = Array.from({ length: TOTAL }, (_, i) => buildDeliver({ smsc: "+15550000000", from: "+15557000000", text: `baseline ${i}: your code is ${1000 + (i % 9000)}`, alphabet: "gsm7", at, offsetMinutes: 0 }).pdu);
  const baseStart = performance.now();
  await Promise.all(
    Array.from({ length: MODEMS }, (_, w) =>
      (async () => {
        for (let i = w; i < TOTAL; i += MODEMS) {
          const decoded = decodeSmsPdu(pdus[i]!, { hasSmsc: true });
          if (!decoded.ok) throw new Error(decoded.error.message);
          await Effect.runPromise(sink.storePart({ iccid: `bench-${w}`, storage: "SM", index: i, pdu: decoded.value, raw: pdus[i]! }));
        }
      })(),
    ),
  );
  const baseRate = TOTAL / ((performance.now() - baseStart) / 1000);
  await sql`truncate sms_in, sms_parts, events`.execute(db);

  const config = parseConfig({ devices: [{ id: "rack", model: "pool", modems: "simulated", count: MODEMS }], demo: { smsEveryMs: 0, timing: "instant" } }, {}, "bench");
  const registry = await Effect.runPromise(Scope.extend(startRegistry(config, db), scope));
  const farm = registry.farm!;
  await farm.settled();
  // Every actor up and its SIM read before the clock starts.
  for (;;) {
    const statuses = await Promise.all(registry.modems.map((m) => Effect.runPromise(m.supervised.actor.get)));
    if (statuses.every((a) => a._tag === "Some")) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 500));

  const sims = [...farm.modems.values()].map((m) => m.sim!);
  const sentAt = new Map<string, number>();
  const start = Date.now();
  for (let i = 0; i < MESSAGES; i++)
    for (const [n, sim] of sims.entries()) {
      const text = `m${n} #${i}: your code is ${1000 + i}`;
      sentAt.set(`${sim.iccid}|${text}`, Date.now());
      farm.network.sendSms({ to: sim.number, from: "+15557000000", text });
    }
  const deadline = Date.now() + 300_000;
  let stored = 0;
  while (stored < TOTAL && Date.now() < deadline) {
    stored = Number((await db.selectFrom("sms_in").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow()).n);
    await new Promise((r) => setTimeout(r, 20));
  }
  const rows = await db.selectFrom("sms_in").select(["iccid", "text", "received_at"]).execute();
  const end = Math.max(...rows.map((r) => r.received_at.getTime()));
  const latencies = rows.map((r) => r.received_at.getTime() - (sentAt.get(`${r.iccid}|${r.text}`) ?? NaN)).filter(Number.isFinite).sort((a, b) => a - b);
  const unique = new Set(rows.map((r) => `${r.iccid}|${r.text}`)).size;
  const leftOnSims = sims.reduce((a, s) => a + s.storage.used, 0);
  const rate = rows.length / ((end - start) / 1000);
  console.log(`bench:ingest — ${MODEMS} modems x ${MESSAGES} SMS = ${TOTAL}, PostgreSQL`);
  console.log(`baseline (sink only, ${MODEMS} writers)  ${baseRate.toFixed(0).padStart(6)} msg/s`);
  console.log(`end to end (modems -> actors -> sink)  ${rate.toFixed(0).padStart(6)} msg/s   ratio ${(rate / baseRate).toFixed(2)}`);
  console.log(`stored ${rows.length}/${TOTAL}, distinct ${unique}, lost ${TOTAL - unique}, duplicates ${rows.length - unique}, left on SIMs ${leftOnSims}`);
  console.log(`delivery (+CMTI) -> committed row: p50 ${percentile(latencies, 0.5)} ms, p99 ${percentile(latencies, 0.99)} ms, max ${latencies.at(-1)} ms`);
  if (unique !== TOTAL || rows.length !== TOTAL) process.exitCode = 1;
} finally {
  await Effect.runPromise(Scope.close(scope, Exit.void));
  await database.drop();
}
