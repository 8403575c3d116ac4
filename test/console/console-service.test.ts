/**
 * The console through the running service's pieces: modems on real pseudo-terminals (a USB
 * rack) and a simulated SR bank that rotates, SMS and card jobs flowing through the same
 * modems, and clients on the WebSocket. Each line must come back to its own session, never
 * to a job (and no job's reply to a console); a lease must pin the modem and hold its jobs
 * back without failing them; dangerous lines must wait; viewers must only watch.
 */
import type { Server } from "node:http";
import { Effect } from "effect";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { addUser } from "../../src/access/accounts";
import { startSession } from "../../src/access/sessions";
import { startConsole, type ConsoleEndpoint } from "../../src/console/endpoint";
import { enqueueCardWork, runCardJobs } from "../../src/jobs/card-jobs";
import { enqueueSms, runSmsSender } from "../../src/jobs/sms-sender";
import { cardSwitcher } from "../../src/scheduler/card-switcher";
import { encodeSubmit } from "../../protocol/sms/encode";
import { Farm } from "../../hil/farm";
import { buildDeliver } from "../../hil/network/pdu-builder";
import { parseTranscript, ReplayModem } from "../../hil/modem/replay";
import { ServedFarm } from "../../hil/serve";
import { startTestService, type TestService } from "../support/service";
import { routesServer } from "../support/routes";
import { is, openConsole, type TestConsole } from "./console-client";

let served: ServedFarm;
let service: TestService;
let endpoint: ConsoleEndpoint;
let server: Server;
let base: string;
const keys = { admin: "", olga: "", vera: "" };
const auth = (who: keyof typeof keys) => ({ authorization: `Bearer ${keys[who]}` });
const opened: TestConsole[] = [];
const attach = async (who: keyof typeof keys, query: Record<string, string>) => {
  const c = await openConsole(base, query, auth(who));
  opened.push(c);
  return c;
};

beforeAll(async () => {
  const farm = new Farm({ modems: [{ id: "usb0" }, { id: "usb1" }], seed: 11, timing: "instant" });
  served = await ServedFarm.start(farm);
  await farm.settled();
  service = await startTestService(
    "simgate_console",
    [
      { id: "rack", title: "USB rack", model: "pool", modems: [served.pathOf("usb0"), served.pathOf("usb1")] },
      { id: "box", title: "SR box", model: "sr-box-2-bank", rows: 3, modems: "simulated", rotateEveryMs: 1000 },
    ],
    { settleMs: 300, quietMs: 300 },
  );
  const { db, registry, scheduler } = service;
  const switcher = cardSwitcher(db, scheduler);
  await service.extend(runSmsSender(db, registry, { pollMs: 50, switcher }));
  await service.extend(runCardJobs(db, registry, { pollMs: 50, switcher }));
  endpoint = await service.extend(startConsole({ db, registry, scheduler, host: "test-host", hostTtlMs: 30_000 }));
  server = routesServer(endpoint.routes);
  endpoint.attach(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  keys.admin = (await addUser(db, "admin", "admin", "head of the farm 1", "test")).key;
  keys.olga = (await addUser(db, "olga", "operator", "operator secret 22", "test")).key;
  keys.vera = (await addUser(db, "vera", "viewer", "viewer secret 333", "test")).key;
  // The operator works the rack; the viewer may look at the box.
  await db.updateTable("devices").set({ owner: "olga" }).where("key", "=", "rack").execute();
  await db.updateTable("devices").set({ owner: "vera" }).where("key", "=", "box").execute();
}, 60_000);

afterAll(async () => {
  for (const c of opened) await c.close().catch(() => undefined);
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  await service?.close();
  await served?.stop();
});

const simOf = (id: "usb0" | "usb1") => served.farm.modem(id).sim!;
let lineNo = 0;
const nextId = (prefix: string) => `${prefix}-${++lineNo}`;

describe("console sessions through the service", () => {
  it("greets with the modem, the user's role, buttons and history; a reply carries its notes and time", async () => {
    const c = await attach("olga", { device: "rack", modem: "1" });
    const hello = await c.next(is("hello"));
    expect(hello.modem).toMatchObject({ device: "rack", modem: 1, iccid: simOf("usb0").iccid, host: "test-host" });
    expect(hello.user).toEqual({ name: "olga", role: "operator" });
    expect(hello.mayType).toBe(true);
    expect(hello.buttons).toContain("AT+CSQ");
    const id = nextId("csq");
    c.send({ type: "line", id, text: "AT+CSQ" });
    const reply = await c.next(is("reply", (m) => m.id === id));
    expect(reply.ok).toBe(true);
    expect(reply.lines[0]).toMatch(/^\+CSQ: \d+,\d+$/);
    expect(reply.notes[0]!.join(" ")).toMatch(/dBm|not known/);
    expect(reply.final).toBe("OK");
    expect(reply.ms).toBeGreaterThanOrEqual(0);
    await c.close();
    // The line is in the audit and comes back as history next time.
    const again = await attach("olga", { device: "rack", modem: "1" });
    expect((await again.next(is("hello"))).history.at(-1)).toBe("AT+CSQ");
    await again.close();
  });

  it("finds the modem by its card's number, and says why when nothing matches", async () => {
    const c = await attach("olga", { card: simOf("usb1").number });
    expect((await c.next(is("hello"))).modem).toMatchObject({ device: "rack", modem: 2 });
    await c.close();
    const none = await attach("olga", { card: "+19999999999" });
    expect((await none.next(is("bye"))).reason).toMatch(/no modem holds a card/);
    expect((await none.closed).code).toBe(4004);
    // A device the operator does not own is not reachable to her.
    const foreign = await attach("olga", { device: "box", modem: "1" });
    expect((await foreign.next(is("bye"))).reason).toMatch(/no device box that olga may reach/);
  });

  it("every reply reaches its own session while SMS jobs go through the same modem; an injected SMS shows live in both", async () => {
    const a = await attach("admin", { device: "rack", modem: "1" });
    const b = await attach("olga", { device: "rack", modem: "1" });
    await a.next(is("hello"));
    await b.next(is("hello"));
    const iccid = simOf("usb0").iccid;
    const smsIds = await Promise.all(Array.from({ length: 6 }, (_, i) => Effect.runPromise(enqueueSms(service.db, { iccid, to: `+1555000${1000 + i}`, text: `console interleave ${i}` }))));
    const aIds: string[] = [];
    const bIds: string[] = [];
    for (let i = 0; i < 8; i++) {
      const ida = nextId("a");
      const idb = nextId("b");
      aIds.push(ida);
      bIds.push(idb);
      a.send({ type: "line", id: ida, text: i % 2 ? "AT+CSQ" : "AT+CGSN" });
      b.send({ type: "line", id: idb, text: "AT+CIMI" });
    }
    const aReplies = await Promise.all(aIds.map((id) => a.next(is("reply", (m) => m.id === id), { timeoutMs: 20_000 })));
    const bReplies = await Promise.all(bIds.map((id) => b.next(is("reply", (m) => m.id === id), { timeoutMs: 20_000 })));
    aReplies.forEach((r, i) => {
      expect(r.ok).toBe(true);
      if (i % 2) expect(r.lines).toEqual([expect.stringMatching(/^\+CSQ: /)]);
      else expect(r.lines).toEqual([served.farm.modem("usb0").imei]);
    });
    for (const r of bReplies) expect(r.lines).toEqual([simOf("usb0").spec.imsi]);
    // No session saw the other's replies.
    expect(a.messages.filter((m) => m.type === "reply").every((m) => m.type === "reply" && !bIds.includes(m.id))).toBe(true);
    expect(b.messages.filter((m) => m.type === "reply").every((m) => m.type === "reply" && !aIds.includes(m.id))).toBe(true);
    // Every SMS went out, once, with its own text: no console reply was taken for a send's.
    await expect
      .poll(async () => (await service.db.selectFrom("sms_out").select("state").where("id", "in", smsIds).execute()).map((r) => r.state).sort(), { timeout: 30_000 })
      .toEqual(Array(6).fill("sent"));
    const submitted = served.farm.network.submitted.filter((s) => s.text.startsWith("console interleave"));
    expect(submitted.map((s) => s.text).sort()).toEqual(Array.from({ length: 6 }, (_, i) => `console interleave ${i}`));
    // An SMS to the card: its +CMTI arrives in both sessions as an unsolicited code.
    const fromA = a.messages.length;
    const fromB = b.messages.length;
    served.farm.network.sendSms({ to: simOf("usb0").number, from: "+15550002222", text: "Code 7731" });
    const urcA = await a.next(is("urc", (m) => m.line.startsWith("+CMTI:")), { from: fromA, timeoutMs: 15_000 });
    await b.next(is("urc", (m) => m.line.startsWith("+CMTI:")), { from: fromB, timeoutMs: 15_000 });
    expect(urcA.notes.join(" ")).toMatch(/index/);
    // And the inbox stored it all the same.
    await expect.poll(async () => (await service.db.selectFrom("sms_in").select("text").where("iccid", "=", iccid).execute()).map((r) => r.text), { timeout: 15_000 }).toContain("Code 7731");
    await a.close();
    await b.close();
  });

  it("a line that can lose the modem waits for a confirmation; a setting the service relies on is set again after", async () => {
    const c = await attach("admin", { device: "rack", modem: "2" });
    await c.next(is("hello"));
    const id = nextId("cfun");
    c.send({ type: "line", id, text: "AT+CFUN=0" });
    const ask = await c.next(is("confirm", (m) => m.id === id));
    expect(ask.reason).toMatch(/radio|network/i);
    // Not run: no reply comes, and the modem still answers on the network.
    const id2 = nextId("creg");
    c.send({ type: "line", id: id2, text: "AT+CREG?" });
    const creg = await c.next(is("reply", (m) => m.id === id2));
    expect(creg.lines[0]).toMatch(/^\+CREG: \d,[15]/);
    expect(c.messages.some((m) => m.type === "reply" && m.id === id)).toBe(false);
    // Confirmed, it runs; the radio is put back on at once.
    c.send({ type: "line", id, text: "AT+CFUN=0", confirm: true });
    expect((await c.next(is("reply", (m) => m.id === id))).final).toBe("OK");
    const id3 = nextId("cfun1");
    c.send({ type: "line", id: id3, text: "AT+CFUN=1" });
    expect((await c.next(is("reply", (m) => m.id === id3))).final).toBe("OK");
    // Echo on: allowed with a warning, then the service's own settings come back.
    const id4 = nextId("ate1");
    c.send({ type: "line", id: id4, text: "ATE1" });
    expect((await c.next(is("warning", (m) => m.id === id4))).text).toMatch(/echo/i);
    await c.next(is("info", (m) => m.id === id4 && /set again/.test(m.text)), { timeoutMs: 15_000 });
    const id5 = nextId("csq");
    c.send({ type: "line", id: id5, text: "AT+CSQ" });
    expect((await c.next(is("reply", (m) => m.id === id5))).lines).toEqual([expect.stringMatching(/^\+CSQ: /)]);
    const audit = await service.db.selectFrom("console_lines").select(["command", "outcome", "user_name"]).where("device", "=", "rack").where("modem", "=", 2).orderBy("id").execute();
    expect(audit.filter((r) => r.command === "AT+CFUN=0").map((r) => r.outcome)).toEqual(["unconfirmed", "ok"]);
    expect(audit.every((r) => r.user_name === "admin")).toBe(true);
    await c.close();
  });

  it("a +CMGD of a message the inbox has not stored yet waits for a confirmation; ATV0 is refused with the reason", async () => {
    const c = await attach("admin", { device: "rack", modem: "2" });
    await c.next(is("hello"));
    // A message on the SIM that no +CMTI announced: the inbox has not seen it. Its sweeps
    // (a list of the storage, after a card read and every 30 s) are refused meanwhile: one
    // landing between the message and the delete would store it first, and the delete would
    // rightly need no confirmation.
    const noSweep = { command: "+CMGL=", reply: { lines: [], final: "ERROR" } } as const;
    served.farm.modem("usb1").faults.overrideCommand(noSweep);
    onTestFinished(() => served.farm.modem("usb1").faults.withdrawCommand(noSweep));
    const sim = simOf("usb1");
    const built = buildDeliver({ smsc: "+15550000000", from: "+15550006666", text: "not stored yet", alphabet: "gsm7", at: new Date(), offsetMinutes: 0 });
    const slot = sim.storage.add({ stat: 0, pdu: built.pdu, tpduLength: built.tpduLength, kind: "deliver" })!;
    const id = nextId("cmgd");
    c.send({ type: "line", id, text: `AT+CMGD=${slot.index}` });
    expect((await c.next(is("confirm", (m) => m.id === id), { timeoutMs: 15_000 })).reason).toMatch(new RegExp(`index ${slot.index} \\(from \\+15550006666\\).*loses it`));
    expect(sim.storage.get(slot.index)).toBeDefined();
    c.send({ type: "line", id, text: `AT+CMGD=${slot.index}`, confirm: true });
    expect((await c.next(is("reply", (m) => m.id === id))).final).toBe("OK");
    expect(sim.storage.get(slot.index)).toBeUndefined();
    const v0 = nextId("v0");
    c.send({ type: "line", id: v0, text: "ATE0V0" });
    expect((await c.next(is("refused", (m) => m.id === v0))).reason).toMatch(/numeric or off/);
    await c.close();
  });

  it("a viewer watches: the session opens, every typed line is refused and audited", async () => {
    const c = await attach("vera", { device: "box", modem: "1" });
    const hello = await c.next(is("hello"));
    expect(hello.mayType).toBe(false);
    const id = nextId("viewer");
    c.send({ type: "line", id, text: "AT+CSQ" });
    expect((await c.next(is("refused", (m) => m.id === id))).reason).toMatch(/viewer/);
    c.send({ type: "lease", minutes: 5 });
    await c.next(is("refused", (m) => /viewers cannot lease/.test(m.reason)));
    const row = await service.db.selectFrom("console_lines").select(["outcome", "command"]).where("user_name", "=", "vera").executeTakeFirstOrThrow();
    expect(row).toEqual({ outcome: "refused", command: "AT+CSQ" });
    await c.close();
  });

  it("a +CMGS typed in the console is sent and recorded as an outgoing SMS of the card", async () => {
    const c = await attach("admin", { device: "rack", modem: "2" });
    await c.next(is("hello"));
    const encoded = encodeSubmit({ to: "+15550004444", text: "typed by hand" });
    if (!encoded.ok) throw new Error(encoded.error.reason);
    const part = encoded.value[0]!;
    const id = nextId("cmgs");
    c.send({ type: "line", id, text: `AT+CMGS=${part.tpduLength}` });
    expect((await c.next(is("refused", (m) => m.id === id))).reason).toMatch(/body/);
    c.send({ type: "line", id, text: `AT+CMGS=${part.tpduLength}`, body: part.pdu });
    const reply = await c.next(is("reply", (m) => m.id === id), { timeoutMs: 20_000 });
    expect(reply.lines[0]).toMatch(/^\+CMGS: \d+/);
    expect((await c.next(is("info", (m) => m.id === id))).text).toMatch(/recorded as outgoing SMS \d+/);
    const row = await service.db.selectFrom("sms_out").select(["iccid", "addressee", "text", "state"]).where("text", "=", "typed by hand").executeTakeFirstOrThrow();
    expect(row).toEqual({ iccid: simOf("usb1").iccid, addressee: "+15550004444", text: "typed by hand", state: "sent" });
    expect(served.farm.network.submitted.some((s) => s.text === "typed by hand" && s.to === "+15550004444")).toBe(true);
    await c.close();
  });

  it("the transcript comes back in the replay personality's shape", async () => {
    const c = await attach("olga", { device: "rack", modem: "1" });
    await c.next(is("hello"));
    const id = nextId("cgmi");
    c.send({ type: "line", id, text: "AT+CGMI" });
    const reply = await c.next(is("reply", (m) => m.id === id));
    c.send({ type: "transcript" });
    const { transcript } = await c.next(is("transcript"));
    expect(transcript.source).toMatch(/simgate console/);
    expect(transcript.entries).toContainEqual(expect.objectContaining({ command: "AT+CGMI", reply: `\r\n${reply.lines[0]}\r\n\r\nOK\r\n` }));
    // The replay personality takes it as it is, and answers as the modem did.
    const replayed = new ReplayModem(parseTranscript(JSON.parse(JSON.stringify(transcript)), "exported"));
    try {
      let heard = "";
      replayed.attachHost((bytes) => (heard += bytes.toString("latin1")));
      replayed.input(Buffer.from("AT+CGMI\r"));
      await expect.poll(() => heard, { timeout: 5_000 }).toContain(`\r\n${reply.lines[0]}\r\n\r\nOK\r\n`);
    } finally {
      replayed.stop();
    }
    await c.close();
  });
});

describe("the exclusive lease", () => {
  it("stops the rotation of the modem's SIMs while it stands, and ends when its session does", async () => {
    const { scheduler } = service;
    const positionOf = () => scheduler.positions("box").get(1);
    // The rotation runs: modem 1 moves within a few steps.
    const first = positionOf();
    await expect.poll(positionOf, { timeout: 8_000, interval: 100 }).not.toBe(first);
    const c = await attach("admin", { device: "box", modem: "1" });
    await c.next(is("hello"));
    const watcher = await attach("vera", { device: "box", modem: "1" });
    await watcher.next(is("hello"));
    c.send({ type: "lease", minutes: 5 });
    const lease = await c.next(is("lease", (m) => m.lease !== null));
    expect(lease.lease).toMatchObject({ device: "box", modem: 1, holder: "admin", mine: true });
    // Whoever watches sees it, as someone else's.
    expect((await watcher.next(is("lease", (m) => m.lease !== null))).lease).toMatchObject({ holder: "admin", mine: false });
    // The follower holds the modem's card: give it a moment, then it must stay for several rotation steps.
    await expect.poll(() => scheduler.place("box", positionOf()!)?.hold?.holder, { timeout: 12_000 }).toBe("console:box/1");
    // The session's own news and the follower's are one change: said once.
    expect(c.messages.filter((m) => m.type === "lease" && m.lease !== null)).toHaveLength(1);
    const pinned = positionOf();
    const seen = new Set<string | undefined>();
    for (let i = 0; i < 35; i++) {
      seen.add(positionOf());
      await new Promise((r) => setTimeout(r, 100));
    }
    expect([...seen]).toEqual([pinned]);
    await c.close();
    await expect.poll(async () => (await service.db.selectFrom("console_leases").selectAll().execute()).length, { timeout: 5_000 }).toBe(0);
    expect((await watcher.next(is("lease", (m) => m.lease === null))).lease).toBeNull();
    await expect.poll(positionOf, { timeout: 15_000, interval: 100 }).not.toBe(pinned);
    await watcher.close();
  });

  it("holds the card's jobs back without failing them or spending attempts, and lets them run when it ends", async () => {
    const c = await attach("olga", { device: "rack", modem: "1" });
    await c.next(is("hello"));
    c.send({ type: "lease", minutes: 2 });
    await c.next(is("lease", (m) => m.lease?.mine === true));
    const iccid = simOf("usb0").iccid;
    const atId = await Effect.runPromise(enqueueCardWork(service.db, { kind: "at", iccid, command: "AT+CGMR" }));
    const job = () =>
      service.db.selectFrom("jobs").select(["state", "attempts", "last_error"]).where("kind", "=", "card-at").where(sql<boolean>`(payload->>'record')::int = ${atId}`).executeTakeFirstOrThrow();
    await expect.poll(async () => (await job()).last_error ?? "", { timeout: 5_000 }).toMatch(/olga's console lease on rack\/1/);
    await new Promise((r) => setTimeout(r, 2_500));
    expect(await job()).toMatchObject({ state: "queued", attempts: 0 });
    // The lease holder herself may type meanwhile; another operator may not.
    const other = await attach("admin", { device: "rack", modem: "1" });
    await other.next(is("hello"));
    const id = nextId("blocked");
    other.send({ type: "line", id, text: "AT+CSQ" });
    expect((await other.next(is("refused", (m) => m.id === id))).reason).toMatch(/leased to olga/);
    c.send({ type: "release" });
    await c.next(is("lease", (m) => m.lease === null));
    await expect.poll(async () => (await job()).state, { timeout: 10_000 }).toBe("done");
    expect((await service.db.selectFrom("at_log").select("state").where("id", "=", atId).executeTakeFirstOrThrow()).state).toBe("done");
    await other.close();
    await c.close();
  });

  it("an admin breaks another's lease; a lease runs out by itself", async () => {
    const c = await attach("olga", { device: "rack", modem: "2" });
    await c.next(is("hello"));
    c.send({ type: "lease", minutes: 10 });
    await c.next(is("lease", (m) => m.lease?.mine === true));
    const admin = await attach("admin", { device: "rack", modem: "2" });
    await admin.next(is("hello"));
    admin.send({ type: "lease", minutes: 500 });
    expect((await admin.next(is("refused"))).reason).toMatch(/1 to 120 minutes/);
    admin.send({ type: "break" });
    await c.next(is("lease", (m) => m.lease === null));
    // Run out: the row's time is up on the database's clock, the follower ends it.
    c.send({ type: "lease", minutes: 1 });
    await c.next(is("lease", (m) => m.lease?.mine === true), { from: c.messages.length });
    await service.db.updateTable("console_leases").set({ expires_at: sql<Date>`now() + interval '300 milliseconds'` }).execute();
    await expect.poll(async () => (await service.db.selectFrom("console_leases").selectAll().execute()).length, { timeout: 8_000 }).toBe(0);
    // Each lease taken and ended is in the event feed (the panel's pages refresh from it).
    const events = await service.db.selectFrom("events").select(["device", "payload"]).where("type", "=", "consoleLease").where("device", "=", "rack").orderBy("id").execute();
    expect(events.map((e) => e.payload as { modem: number; holder: string; state: string }).filter((p) => p.modem === 2)).toEqual(
      expect.arrayContaining([expect.objectContaining({ holder: "olga", state: "taken" }), expect.objectContaining({ holder: "olga", state: "ended" })]),
    );
    await admin.close();
    await c.close();
  });
});

describe("sign-in and many at once", () => {
  it("refuses a socket without a key, and a panel cookie from another origin", async () => {
    await expect(openConsole(base, { device: "rack", modem: "1" }, {})).rejects.toThrow(/HTTP 401/);
    const admin = await service.db.selectFrom("api_users").select("id").where("name", "=", "admin").executeTakeFirstOrThrow();
    const { token } = await startSession(service.db, admin.id, null);
    const host = new URL(base).host;
    await expect(openConsole(base, { device: "rack", modem: "1" }, { cookie: `simgate_session=${token}`, origin: "http://evil.example" })).rejects.toThrow(/HTTP 403/);
    const ok = await openConsole(base, { device: "rack", modem: "1" }, { cookie: `simgate_session=${token}`, origin: `http://${host}` });
    opened.push(ok);
    expect((await ok.next(is("hello"))).user.name).toBe("admin");
    await ok.close();
  });

  it("one line to every modem gives a table of replies; viewers and dangerous lines are refused", async () => {
    const post = (who: keyof typeof keys, body: unknown) =>
      fetch(`${base}/console/batch`, { method: "POST", headers: { ...auth(who), "content-type": "application/json" }, body: JSON.stringify(body) });
    const res = await post("admin", { command: "AT+CSQ", modems: "all" });
    expect(res.status).toBe(200);
    const table = (await res.json()) as { results: { device: string; modem: number; ok: boolean; lines: string[] }[] };
    expect(table.results.map((r) => `${r.device}/${r.modem}`).sort()).toEqual(["box/1", "box/2", "rack/1", "rack/2"]);
    for (const r of table.results) expect(r).toMatchObject({ ok: true, lines: [expect.stringMatching(/^\+CSQ: /)] });
    // The operator reaches only her rack.
    const mine = (await (await post("olga", { command: "AT+CGMI", modems: ["rack/1", "box/1"] })).json()) as { results: { device: string; ok: boolean; error: string | null }[] };
    expect(mine.results.find((r) => r.device === "rack")!.ok).toBe(true);
    expect(mine.results.find((r) => r.device === "box")!.error).toMatch(/may reach/);
    expect((await post("vera", { command: "AT+CSQ", modems: "all" })).status).toBe(403);
    const cfun = await post("admin", { command: "AT+CFUN=0", modems: "all" });
    expect(cfun.status).toBe(400);
    expect(((await cfun.json()) as { error: string }).error).toBe("NOT_IN_A_BATCH");
  });

  it("the batch takes a JSON body only: past 64 KiB it is 413, broken JSON or a list is 400, another method 405 with Allow", async () => {
    const send = (body: string, method = "POST") => fetch(`${base}/console/batch`, { method, headers: { ...auth("admin"), "content-type": "application/json" }, ...(method === "POST" ? { body } : {}) });
    const big = await send(JSON.stringify({ command: "AT+CSQ", modems: Array.from({ length: 7000 }, (_, i) => `rack/${i}`) }));
    expect([big.status, await big.json()]).toEqual([413, { error: "TOO_LARGE", message: "request body over 65536 bytes" }]);
    const broken = await send("{command:");
    expect([broken.status, ((await broken.json()) as { message: string }).message]).toEqual([400, expect.stringMatching(/^the body must be JSON: /)]);
    const list = await send('["AT+CSQ"]');
    expect([list.status, await list.json()]).toEqual([400, { error: "BAD_REQUEST", message: "the body must be JSON: an array, not an object" }]);
    const get = await send("", "GET");
    expect([get.status, get.headers.get("allow"), ((await get.json()) as { error: string }).error]).toEqual([405, "POST", "METHOD"]);
  });
});
