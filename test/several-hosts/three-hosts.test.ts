/**
 * Three simgate processes on one PostgreSQL database, each driving its own modems on
 * pseudo-terminals (one simulated GSM network serves them all, as the real one would):
 * every host answers for every modem and card, a number opened on one host for a card on
 * another is served by a third, and a host killed mid-stream loses and repeats nothing.
 * Runs as its own test project (npm test runs it after the rest), so three services never
 * share the two cores with the other suites.
 */
import { createServer, type Server } from "node:http";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Effect, Exit, Scope } from "effect";
import type { Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { EVENT_TYPES } from "../../src/store/events";
import { createPool } from "../../src/pools/pools";
import { openStore } from "../../src/store/database";
import type { Database } from "../../src/store/schema";
import { Farm } from "../../hil/farm";
import { ServedFarm } from "../../hil/serve";
import { API_KEY, ServiceProcess } from "../faults/service";
import { throwawayDatabase } from "../support/postgres";
import { until } from "../support/service-process";
import { is, openConsole } from "../console/console-client";

vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

const HOSTS = ["a", "b", "c"] as const;
type HostName = (typeof HOSTS)[number];
const MODEMS_PER_HOST = 2;
const POOL_KEYS: Record<HostName, string> = { a: "pool-of-host-a-0001", b: "pool-of-host-b-0001", c: "pool-of-host-c-0001" };

type Json = Record<string, any>;

let database: Awaited<ReturnType<typeof throwawayDatabase>>;
let scope: Scope.CloseableScope;
let db: Kysely<Database>;
let farm: Farm;
let served: ServedFarm;
let dir: string;
let receiver: Server;
const services = {} as Record<HostName, ServiceProcess>;
const crashes: string[] = [];
/** Every webhook POST: its delivery id and body. */
const hooks: Array<{ delivery: number; body: Json }> = [];

const modemIds = (host: HostName) => Array.from({ length: MODEMS_PER_HOST }, (_, i) => `${host}-m${i + 1}`);
const cardsOf = (host: HostName) => modemIds(host).map((id) => farm.modem(id).sim!);
const digits = (number: string) => number.replace(/\D/g, "");
const url = (host: HostName) => {
  const u = services[host].url;
  if (!u) throw new Error(`host ${host} is not running`);
  return u;
};

const simFolder = async (host: HostName, method: string, params: Record<string, string> = {}): Promise<Json> => {
  const res = await fetch(`${url(host)}/api/${method}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ api_key: API_KEY, ...params }),
    signal: AbortSignal.timeout(30_000),
  });
  return (await res.json()) as Json;
};

const srNavigator = async (host: HostName, poolKey: string, action: string, params: Record<string, string> = {}): Promise<string> =>
  (await fetch(`${url(host)}/api/handler.php?${new URLSearchParams({ pool_key: poolKey, action, ...params })}`, { signal: AbortSignal.timeout(30_000) })).text();

beforeAll(async () => {
  database = await throwawayDatabase("simgate_three_hosts");
  scope = Effect.runSync(Scope.make());
  db = await Effect.runPromise(Scope.extend(openStore({ kind: "postgres", url: database.url }), scope));

  dir = mkdtempSync(join(tmpdir(), "simgate-hosts-"));
  const linkDir = join(dir, "serial");
  farm = new Farm({ seed: 31, timing: "instant", modems: HOSTS.flatMap((h) => modemIds(h).map((id) => ({ id }))) });
  served = await ServedFarm.start(farm, { linkDir });
  await farm.settled(30_000);

  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      hooks.push({ delivery: Number(req.headers["x-simgate-delivery"]), body: JSON.parse(body) as Json });
      res.end("ok");
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));

  for (const host of HOSTS) {
    const configFile = join(dir, `host-${host}.json`);
    writeFileSync(configFile, JSON.stringify({ devices: [{ id: `${host}-pool`, model: "pool", modems: modemIds(host).map((id) => join(linkDir, id)) }], demo: { smsEveryMs: 0 } }));
    services[host] = new ServiceProcess({
      databaseEnv: { DATABASE_URL: database.url },
      configFile,
      env: { SIMGATE_HOST_ID: `host-${host}`, SIMGATE_HOST_TTL_S: "10" },
      onCrash: (detail) => crashes.push(`host ${host}: ${detail}`),
      logFile: join(dir, `host-${host}.log`),
    });
  }
  // All three at once on an empty database: the first start's user and pool are made once.
  await Promise.all(HOSTS.map((h) => services[h].start(120_000)));
  await until(() => db.selectFrom("sim_cards").select("iccid").execute(), (rows) => rows.length === 3 * MODEMS_PER_HOST, "not every host recorded its cards", 90_000);
  // A pool per host's cards, so a test can ask for a card on one host through another.
  for (const host of HOSTS) await createPool(db, `host ${host}`, { devices: [`${host}-pool`] }, POOL_KEYS[host]);
  const hook = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;
  const settings = await simFolder("b", "settingsSet", { url: hook, format: "json", ...Object.fromEntries(EVENT_TYPES.map((e) => [e, "1"])) });
  expect(settings.status, JSON.stringify(settings)).toBe("ok");
});

afterAll(async () => {
  await Promise.all(HOSTS.map((h) => services[h]?.stop()));
  await new Promise((r) => receiver?.close(r));
  await served?.stop();
  if (scope) await Effect.runPromise(Scope.close(scope, Exit.void));
  await database?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const tail = () => HOSTS.map((h) => `--- host ${h}\n${services[h].tail(15)}`).join("\n");

describe("three hosts on one database", () => {
  it("started together, they made one admin user and one first pool", async () => {
    expect(await db.selectFrom("api_users").select("name").execute()).toEqual([{ name: "admin" }]);
    expect((await db.selectFrom("pools").select("title").orderBy("id").execute()).map((p) => p.title)).toEqual(["all cards", "host a", "host b", "host c"]);
    expect(crashes).toEqual([]);
  });

  it("every host's API lists every host's modems and cards, online", async () => {
    const all = HOSTS.flatMap(cardsOf).map((c) => c.iccid).sort();
    for (const host of HOSTS) {
      const state = await until(
        () => simFolder(host, "deviceState"),
        (v) => (v.modems ?? []).length === all.length && v.modems.every((m: Json) => m.sim_state === 1),
        `host ${host} never showed every modem active`,
        60_000,
      );
      expect(state.modems.map((m: Json) => m.iccid).sort()).toEqual(all);
      expect(new Set(state.modems.map((m: Json) => m.host))).toEqual(new Set(["host-a", "host-b", "host-c"]));
      const cards = (await simFolder(host, "cardList")).cards as Json[];
      expect(cards.map((c) => c.iccid).sort()).toEqual(all);
    }
  });

  it("a number opened on host A for a card on host C gets its code, read on host B", async () => {
    const number = await srNavigator("a", POOL_KEYS.c, "openNumber");
    const card = cardsOf("c").find((c) => digits(c.number) === number);
    expect(card, `openNumber answered ${number}`).toBeDefined();
    await until(async () => (JSON.parse(await srNavigator("b", POOL_KEYS.c, "getSimStatus", { number })) as Json[])[0]?.status, (s) => s === "WAIT_SMS_CALL", "the number never became ready", 60_000);
    farm.network.sendSms({ to: card!.number, from: "MyBank", text: "Your code is 5521" });
    const code = await until(() => srNavigator("b", POOL_KEYS.c, "getLastSms", { number, code: "4" }), (w) => w.includes("5521"), "the code never reached host B", 60_000);
    expect(code).toContain("5521");
    expect(await srNavigator("c", POOL_KEYS.c, "closeNumber", { number })).toBe("DONE");
  });

  it("smsSend on host B sends from a card on host A, and only host A sends it", async () => {
    const card = cardsOf("a")[0]!;
    const accepted = await simFolder("b", "smsSend", { number: digits(card.number), addressee: "+15550001111", msg: "from A, asked on B" });
    expect(accepted.status, JSON.stringify(accepted)).toBe("ok");
    await until(async () => farm.network.submitted.filter((s) => s.text === "from A, asked on B"), (s) => s.length === 1, "never sent", 60_000);
    expect(farm.network.submitted.find((s) => s.text === "from A, asked on B")!.fromIccid).toBe(card.iccid);
    const job = await db.selectFrom("jobs").select("claimed_by").where("kind", "=", "sms-send").where("payload", "@>", JSON.stringify({ smsId: accepted.sms_id }) as never).executeTakeFirstOrThrow();
    expect(job.claimed_by).toBe("host-a");
  });

  it("a call ringing on host C's card is answered through host A and hung up through host B (passed on to C, live)", async () => {
    const card = cardsOf("c")[1]!;
    const call = farm.network.callSim({ to: card.number, from: "+15553334444", ringForMs: 60_000 });
    const cardId = String(((await simFolder("a", "cardList")).cards as Json[]).find((c) => c.iccid === card.iccid)!.card_id);
    // The ring reaches host C's modem (its +CLIP/RING) before there is anything to answer.
    await until(() => db.selectFrom("calls").select("state").where("iccid", "=", card.iccid).where("direction", "=", "incoming").execute(), (rows) => rows.length > 0, "host C never saw the call ring", 30_000);
    const answerRes = await fetch(`${url("a")}/api/callAnswer`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ api_key: API_KEY, card_id: cardId }) });
    expect([answerRes.status, answerRes.headers.get("x-simgate-served-by"), await answerRes.json()]).toEqual([200, "host-c", { status: "ok", done: true }]);
    await until(async () => call.state, (st) => st === "active", "the call was never answered", 10_000);
    const ended = await simFolder("b", "callEnd", { card_id: cardId });
    expect(ended).toEqual({ status: "ok", done: true });
    await until(async () => call.state, (st) => st === "ended", "the call was never hung up", 10_000);
    // Nothing rings now: the driving host's own refusal comes back through host A as it was.
    const nothing = await simFolder("a", "callAnswer", { card_id: cardId });
    expect(nothing).toMatchObject({ status: "error", error: "MODEM_ERROR" });
  });

  it("a console session opened on host B for a modem of host A is passed on to A: its lines, replies and live codes", async () => {
    const c = await openConsole(url("b"), { device: "a-pool", modem: "1" }, { authorization: `Bearer ${API_KEY}` });
    try {
      const hello = await c.next(is("hello"), { timeoutMs: 15_000 });
      expect(hello.modem).toMatchObject({ device: "a-pool", modem: 1, host: "host-a" });
      c.send({ type: "line", id: "imsi", text: "AT+CIMI" });
      expect((await c.next(is("reply", (m) => m.id === "imsi"))).lines).toEqual([farm.modem("a-m1").sim!.spec.imsi]);
      const from = c.messages.length;
      farm.network.sendSms({ to: farm.modem("a-m1").sim!.number, from: "+15550009999", text: "console through host B" });
      await c.next(is("urc", (m) => m.line.startsWith("+CMTI:")), { from, timeoutMs: 20_000 });
    } finally {
      await c.close();
    }
    // One line to every modem of the farm, asked on host B: each host runs its own share.
    const res = await fetch(`${url("b")}/console/batch`, { method: "POST", headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" }, body: JSON.stringify({ command: "AT+CIMI", modems: "all" }) });
    const table = (await res.json()) as { results: { device: string; modem: number; ok: boolean; lines: string[] }[] };
    expect(table.results.map((r) => `${r.device}/${r.modem}`).sort()).toEqual(HOSTS.flatMap((h) => [`${h}-pool/1`, `${h}-pool/2`]));
    for (const r of table.results) expect(r).toMatchObject({ ok: true, lines: [farm.modem(`${r.device.split("-")[0]}-m${r.modem}`).sim!.spec.imsi] });
  });

  it("host A killed mid-stream: nothing lost, nothing twice, its holds kept, its jobs taken back at once, the others flowing meanwhile", async () => {
    // A client's number on host A's card, held across the kill.
    const held = await srNavigator("b", POOL_KEYS.a, "openNumber");
    const heldCard = cardsOf("a").find((c) => digits(c.number) === held)!;
    expect(heldCard, `openNumber answered ${held}`).toBeDefined();
    await until(async () => (JSON.parse(await srNavigator("b", POOL_KEYS.a, "getSimStatus", { number: held })) as Json[])[0]?.status, (s) => s === "WAIT_SMS_CALL", "the held number never became ready", 60_000);

    // Sends from every host's cards, asked on host B; host A is killed while they go out.
    const texts = new Map<string, HostName>();
    const smsIds: number[] = [];
    const send = async (host: HostName, n: number) => {
      const card = cardsOf(host)[n % MODEMS_PER_HOST]!;
      const text = `stream ${host} ${n}`;
      const answer = await simFolder("b", "smsSend", { number: digits(card.number), addressee: `+1555000${2000 + n}`, msg: text });
      expect(answer.status, JSON.stringify(answer)).toBe("ok");
      texts.set(text, host);
      smsIds.push(answer.sms_id);
    };
    for (let n = 0; n < 6; n++) await Promise.all(HOSTS.map((h) => send(h, n)));
    await until(async () => farm.network.submitted.filter((s) => s.text.startsWith("stream a ")).length, (k) => k >= 1, "host A sent nothing before the kill", 30_000);
    await services.a.kill();
    const sentByAAtKill = farm.network.submitted.filter((s) => s.text.startsWith("stream a ")).length;

    // While A is down: messages arrive for every card, and B's and C's sends all go out.
    const inbound = HOSTS.flatMap((h) => cardsOf(h).map((card, i) => ({ card, text: `inbound while A is down ${h}${i}` })));
    for (const m of inbound) farm.network.sendSms({ to: m.card.number, from: "+15557770000", text: m.text });
    for (const host of ["b", "c"] as const) await Promise.all(Array.from({ length: 4 }, (_, i) => send(host, 10 + i)));
    const othersSent = () => [...texts].filter(([, h]) => h !== "a").every(([t]) => farm.network.submitted.some((s) => s.text === t));
    await until(async () => othersSent(), (ok) => ok, "B's and C's sends did not all go out while A was down", 60_000);
    // Host A's sends waited: nothing of A's went out while it was down.
    expect(farm.network.submitted.filter((s) => s.text.startsWith("stream a ")).length).toBe(sentByAAtKill);

    // Back: A takes its own jobs at once (their 5-minute leases are not waited out).
    const restartedAt = Date.now();
    await services.a.start(120_000);
    const aIds = await db.selectFrom("sms_out").select(["id", "state"]).where("text", "like", "stream a %").execute();
    await until(
      () => db.selectFrom("sms_out").select(["text", "state"]).where("text", "like", "stream a %").execute(),
      (rows) => rows.length === aIds.length && rows.every((r) => r.state === "sent" || r.state === "delivered" || r.state === "unknown"),
      "host A's sends did not all end after its restart",
      90_000,
    );
    expect(Date.now() - restartedAt).toBeLessThan(120_000);

    // Every send went out once, or is marked unknown (cut off at the kill) and went out at most once.
    const outcomes = await db.selectFrom("sms_out").select(["text", "state"]).where("text", "like", "stream %").execute();
    expect(outcomes).toHaveLength(texts.size);
    for (const o of outcomes) {
      const times = farm.network.submitted.filter((s) => s.text === o.text).length;
      if (o.state === "unknown") expect(times, o.text).toBeLessThanOrEqual(1);
      else expect([o.text, o.state, times]).toEqual([o.text, expect.stringMatching(/^(sent|delivered)$/), 1]);
    }
    // No job ran twice: one job per message, finished.
    const jobs = await db.selectFrom("jobs").select(["payload", "state"]).where("kind", "=", "sms-send").execute();
    for (const id of smsIds) expect(jobs.filter((j) => (j.payload as { smsId: number }).smsId === id).map((j) => j.state)).toEqual(["done"]);

    // Every message that arrived meanwhile is stored once, under its card.
    await until(
      () => db.selectFrom("sms_in").select(["text", "iccid"]).where("text", "like", "inbound while A is down%").execute(),
      (rows) => rows.length >= inbound.length,
      "not every message that arrived while A was down was stored",
      90_000,
    );
    const stored = await db.selectFrom("sms_in").select(["text", "iccid"]).where("text", "like", "inbound while A is down%").execute();
    expect(stored.map((r) => `${r.text}@${r.iccid}`).sort()).toEqual(inbound.map((m) => `${m.text}@${m.card.iccid}`).sort());

    // The hold taken before the kill is still held, and still works.
    expect(await db.selectFrom("holds").select("holder").where("holder", "like", "sr-pool:%").execute()).toHaveLength(1);
    await until(async () => (JSON.parse(await srNavigator("c", POOL_KEYS.a, "getSimStatus", { number: held })) as Json[])[0]?.status, (s) => s === "WAIT_SMS_CALL", "the held number is not ready after the restart", 60_000);
    farm.network.sendSms({ to: heldCard.number, from: "MyBank", text: "Your code is 8844" });
    await until(() => srNavigator("c", POOL_KEYS.a, "getLastSms", { number: held, code: "4" }), (w) => w.includes("8844"), "the code after the restart never arrived", 60_000);

    // Webhooks: every smsReceived once (one delivery per message), in order per card.
    await until(
      async () => hooks.filter((h) => h.body.event === "smsReceived" && String(h.body.msg).startsWith("inbound while A is down")).length,
      (n) => n >= inbound.length,
      "not every smsReceived webhook arrived",
      60_000,
    );
    const deliveries = hooks.map((h) => h.delivery);
    expect(new Set(deliveries).size).toBe(deliveries.length);
    const received = hooks.filter((h) => h.body.event === "smsReceived" && String(h.body.msg).startsWith("inbound while A is down"));
    expect(received.map((h) => h.body.msg).sort()).toEqual(inbound.map((m) => m.text).sort());
    const byCard = new Map<number, number[]>();
    for (const h of hooks) if (typeof h.body.card_id === "number") byCard.set(h.body.card_id, [...(byCard.get(h.body.card_id) ?? []), h.delivery]);
    for (const [card, ids] of byCard) expect(ids, `card ${card}`).toEqual([...ids].sort((x, y) => x - y));
    expect(crashes, tail()).toEqual([]);
  });
});
