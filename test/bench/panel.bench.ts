/**
 * bench:panel — the web panel's dashboard, device view, SIM cards and Messages pages on a big farm: 10,000 cards on
 * SR-Trains (64 positions each, 16 modems), 1,000,000 stored SMS, every device driven by
 * another (live) host so the pages read the rows any host reads. One client, requests one
 * after another, every page in turn: p50/p99 server time per page, next to the SimFolder API's cardList
 * (a page of 100, and of 1,000) on the same data in the same run; the Messages page (a page, a
 * text search, a number search) next to the SimFolder API's smsList (a page of 100).
 * Run: npm run bench:panel [-- --cards 10000 --sms 1000000 --runs 30 --keep]   (PostgreSQL: SIMGATE_TEST_PG or 127.0.0.1:5432)
 * `--keep` leaves the database in place and prints its address, to study the pages' queries
 * (EXPLAIN ANALYZE) on the same data; drop it afterwards.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { Effect, Exit, Scope } from "effect";
import { sql } from "kysely";
import { hashKey } from "../../src/access/keys";
import { startSession } from "../../src/access/sessions";
import { routeRequests } from "../../src/api/http/router";
import { simFolderRoutes } from "../../src/api/simfolder/handler";
import { panelRoutes } from "../../src/panel/handler";
import { migrate, openStore } from "../../src/store/database";
import { throwawayDatabase } from "../support/postgres";

const { values } = parseArgs({ options: { cards: { type: "string", default: "10000" }, sms: { type: "string", default: "1000000" }, runs: { type: "string", default: "30" }, keep: { type: "boolean", default: false } } });
const CARDS = Number(values.cards);
const SMS = Number(values.sms);
const RUNS = Number(values.runs);
const KEY = "bench-panel-key-0001";
const PER_TRAIN = 64;

const database = await throwawayDatabase("simgate_bench_panel");
const scope = Effect.runSync(Scope.make());
try {
  const db = await Effect.runPromise(Scope.extend(openStore({ kind: "postgres", url: database.url }), scope));
  await Effect.runPromise(migrate(db));
  const t0 = performance.now();
  const trains = Math.ceil(CARDS / PER_TRAIN);
  await db.insertInto("hosts").values({ id: "far", version: "bench" }).execute();
  await sql`insert into devices (key, title, model, channels) select 't' || lpad(d::text, 4, '0'), 'Train ' || d, 'sr-train', 16 from generate_series(1, ${trains}) d`.execute(db);
  await sql`insert into device_hosts (device, host) select key, 'far' from devices`.execute(db);
  // Card i sits at train (i / 64), row (i % 64) / 8 + 1, place i % 8 + 1.
  await sql`insert into sim_cards (device_id, place, iccid, number, operator, state)
    select d.id, ((i % 64) / 8 + 1) || '-' || (i % 8 + 1), '89001' || lpad(i::text, 14, '0'), '+1555' || lpad(i::text, 7, '0'), (array['Simnet','Orbit','Lumen'])[i % 3 + 1], 1
    from generate_series(0, ${CARDS - 1}) i join devices d on d.key = 't' || lpad((i / 64 + 1)::text, 4, '0')`.execute(db);
  // Modems 1-8 on row 1, 9-16 on row 4 (a train's back row), each with its card.
  await sql`insert into modem_state (device, modem, host, connected, sim_status, iccid, number, operator, registration, signal_dbm)
    select d.key, m, 'far', true, 1, c.iccid, c.number, c.operator, 'HOME', -70 - (m % 20)
    from devices d cross join generate_series(1, 16) m
    join sim_cards c on c.device_id = d.id and c.place = (case when m <= 8 then '1-' || m else '4-' || (m - 8) end)`.execute(db);
  await sql`insert into sms_in (iccid, key, sender, text, parts, received_at)
    select '89001' || lpad((i % ${CARDS})::text, 14, '0'), 'k' || i, '+1555700' || (i % 1000), 'Your code is ' || (1000 + i % 9000), 1, now() - (random() * interval '30 days')
    from generate_series(1, ${SMS}) i`.execute(db);
  await sql`insert into events (type, device, payload) select 'modemTrouble', 't0001', '{"modem": 1, "kind": "lost", "detail": "bench"}'::jsonb from generate_series(1, 50)`.execute(db);
  await sql`analyze`.execute(db);
  const admin = await db.insertInto("api_users").values({ name: "admin", key_hash: hashKey(KEY), role: "admin" }).returning("id").executeTakeFirstOrThrow();
  const { token } = await startSession(db, admin.id, null);
  process.stdout.write(`data: ${trains} SR-Trains, ${trains * 16} modems, ${CARDS} cards, ${SMS} SMS (made in ${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);

  // This host drives nothing: every device is another host's, read from its rows.
  const ctx = { db, registry: { modems: [], devices: [], farm: null }, scheduler: { positions: () => new Map(), place: () => null } as never, hostTtlMs: 3_600_000, host: "here" };
  const handle = routeRequests([...simFolderRoutes({ ...ctx, version: "bench" }), ...panelRoutes(ctx).routes]);
  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const once = async (name: string, url: string, headers: Record<string, string>) => {
    const start = performance.now();
    const res = await fetch(url, { headers });
    const body = await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${name}: HTTP ${res.status}`);
    return { ms: performance.now() - start, bytes: body.byteLength };
  };
  /**
   * Every page once per round, in turn, rather than each page's runs in a block: on a shared
   * machine a burst of other work then lands on all of them alike, and the ratios to cardList
   * mean something. The first 3 rounds warm up.
   */
  const measureAll = async (pages: ReadonlyArray<readonly [string, string, Record<string, string>]>) => {
    const times = pages.map(() => [] as number[]);
    const bytes = pages.map(() => 0);
    for (let i = 0; i < RUNS + 3; i++)
      for (const [k, [name, url, headers]] of pages.entries()) {
        const r = await once(name, url, headers);
        if (i >= 3) times[k]!.push(r.ms);
        bytes[k] = r.bytes;
      }
    return pages.map(([name], k) => {
      const sorted = times[k]!.sort((a, b) => a - b);
      const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
      return { name, p50: at(0.5), p99: at(0.99), kb: bytes[k]! / 1024 };
    });
  };
  const cookie = { cookie: `simgate_session=${token}`, accept: "text/html" };
  // The first dashboard counts the day's closed hours once and writes them down (sms_hours);
  // every later one reads them and counts only the open hour. Shown apart from the p50.
  const first = performance.now();
  await (await fetch(`${base}/`, { headers: cookie })).arrayBuffer();
  const firstMs = performance.now() - first;
  const rows = await measureAll([
    ["panel dashboard (every modem)", `${base}/`, cookie],
    ["panel device view (one train)", `${base}/devices/t0001`, cookie],
    ["panel dashboard, live refresh", `${base}/`, { ...cookie, "x-simgate-fragment": "1" }],
    ["panel SIM cards (100)", `${base}/cards?size=100`, cookie],
    ["panel SIM cards, search (100)", `${base}/cards?q=0012&size=100`, cookie],
    ["panel SIM cards, state + sort", `${base}/cards?state=1&sort=number&dir=desc&page=5&size=100`, cookie],
    ["SimFolder cardList (100)", `${base}/api/cardList?api_key=${KEY}`, {}],
    ["SimFolder cardList (1000)", `${base}/api/cardList?api_key=${KEY}&limit=1000`, {}],
    ["panel Messages (100)", `${base}/messages?size=100`, cookie],
    ["panel Messages, text search (100)", `${base}/messages?q=code+is+4711&size=100`, cookie],
    ["panel Messages, number search", `${base}/messages?who=5557001&size=100`, cookie],
    ["SimFolder smsList (100)", `${base}/api/smsList?api_key=${KEY}&limit=100`, {}],
  ]);
  const baseline = rows.find((r) => r.name === "SimFolder cardList (100)")!.p50;
  process.stdout.write(`${"".padEnd(34)}${"p50 ms".padStart(9)}${"p99 ms".padStart(9)}${"KiB".padStart(8)}${"p50 / cardList(100)".padStart(22)}\n`);
  process.stdout.write(`${"panel dashboard, first of the day".padEnd(34)}${firstMs.toFixed(1).padStart(9)}   (counts 23 closed hours once)\n`);
  // The Messages page against the list call that matches it.
  const smsBaseline = rows.find((r) => r.name === "SimFolder smsList (100)")!.p50;
  for (const r of rows) {
    const messages = /Messages|smsList/.test(r.name);
    process.stdout.write(`${r.name.padEnd(34)}${r.p50.toFixed(1).padStart(9)}${r.p99.toFixed(1).padStart(9)}${r.kb.toFixed(0).padStart(8)}${(r.p50 / (messages ? smsBaseline : baseline)).toFixed(2).padStart(21)}x${messages ? " smsList(100)" : ""}\n`);
  }
  server.closeAllConnections();
  server.close();
} finally {
  await Effect.runPromise(Scope.close(scope, Exit.void));
  if (values.keep) process.stdout.write(`kept: ${database.url}\n`);
  else await database.drop();
}
