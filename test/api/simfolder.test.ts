import { createHmac } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Effect, Exit, type SchemaAST, Scope } from "effect";
import type { Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashKey } from "../../src/access/keys";
import { simFolderRoutes } from "../../src/api/simfolder/handler";
import { routesServer } from "../support/routes";
import { parseConfig } from "../../src/config/config";
import { startRegistry, type Registry } from "../../src/devices/registry";
import { recordModemEvents } from "../../src/events/recorder";
import { runCardJobs } from "../../src/jobs/card-jobs";
import { recordCalls } from "../../src/jobs/calls-and-ussd";
import { runSmsSender } from "../../src/jobs/sms-sender";
import { runNotifier } from "../../src/notify/webhooks";
import { startServiceScheduler, type ServiceScheduler } from "../../src/scheduler/farm-scheduler";
import { cardSwitcher } from "../../src/scheduler/card-switcher";
import { migrate, openStore } from "../../src/store/database";
import type { Database } from "../../src/store/schema";
import { throwawayDatabase } from "../support/postgres";

// The SimFolder API on a real socket over a simulated farm: a two-modem pool owned by alice
// and a 16-modem train only the admin sees; PostgreSQL on the server; notifications to a
// receiver on loopback.
let database: Awaited<ReturnType<typeof throwawayDatabase>>;
let scope: Scope.CloseableScope;
let db: Kysely<Database>;
let registry: Registry;
let scheduler: ServiceScheduler;
let server: Server;
let base: string;
let telegram: Server;
const telegramCalls: { path: string; body: Json }[] = [];
const KEYS = { admin: "admin-key-000000001", alice: "alice-key-000000002", bob: "bob-key-0000000003" };

beforeAll(async () => {
  database = await throwawayDatabase("simgate_simfolder");
  scope = Effect.runSync(Scope.make());
  const config = parseConfig(
    {
      devices: [
        { id: "desk", title: "Alice's desk", model: "pool", modems: "simulated", count: 2, owner: "alice" },
        { id: "train", model: "sr-train", modems: "simulated", rows: 4, rotateEveryMs: 0 },
      ],
      demo: { smsEveryMs: 0, timing: "instant" },
    },
    {},
    "test",
  );
  db = await Effect.runPromise(Scope.extend(openStore({ kind: "postgres", url: database.url }), scope));
  await Effect.runPromise(migrate(db));
  for (const [name, key] of Object.entries(KEYS)) await db.insertInto("api_users").values({ name, key_hash: hashKey(key) }).execute();
  registry = await Effect.runPromise(Scope.extend(startRegistry(config, db), scope));
  await Effect.runPromise(Scope.extend(recordModemEvents(db, registry), scope));
  scheduler = await Effect.runPromise(Scope.extend(startServiceScheduler(db, registry, { settleMs: 1_000 }), scope));
  await Effect.runPromise(scheduler.scanned);
  const switcher = cardSwitcher(db, scheduler);
  await Effect.runPromise(Scope.extend(recordCalls(db, registry), scope));
  await Effect.runPromise(Scope.extend(runSmsSender(db, registry, { pollMs: 20, retryBaseMs: 50, switcher }), scope));
  await Effect.runPromise(Scope.extend(runCardJobs(db, registry, { pollMs: 20, retryBaseMs: 50, switcher }), scope));
  await Effect.runPromise(Scope.extend(runNotifier(db, { pollMs: 50, firstRetryMs: 100, maxRetryMs: 400 }), scope));
  telegram = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      telegramCalls.push({ path: req.url ?? "", body: JSON.parse(body) as Json });
      const refused = (JSON.parse(body) as Json).text === "refuse me";
      res.writeHead(refused ? 400 : 200, { "content-type": "application/json" }).end(JSON.stringify(refused ? { ok: false, description: "Bad Request: chat not found" } : { ok: true, result: {} }));
    });
  });
  await new Promise<void>((resolve) => telegram.listen(0, "127.0.0.1", resolve));
  server = routesServer(simFolderRoutes({ db, registry, scheduler, version: "test", telegramApi: `http://127.0.0.1:${(telegram.address() as AddressInfo).port}` }));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
}, 120_000);
afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await new Promise((r) => telegram?.close(r));
  if (scope) await Effect.runPromise(Scope.close(scope, Exit.void));
  await database?.drop();
});

type Json = Record<string, any>;
const call = async (method: string, params: Record<string, unknown> = {}, who: keyof typeof KEYS = "alice", how: "get" | "form" | "json" = "get") => {
  const all = { api_key: KEYS[who], ...params };
  const res =
    how === "get"
      ? await fetch(`${base}/${method}?${new URLSearchParams(Object.entries(all).map(([k, v]): [string, string] => [k, String(v)]))}`)
      : how === "form"
        ? await fetch(`${base}/${method}`, { method: "POST", body: new URLSearchParams(Object.entries(all).map(([k, v]): [string, string] => [k, String(v)])) })
        : await fetch(`${base}/${method}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(all) });
  return { status: res.status, body: (await res.json()) as Json };
};
const ok = async (method: string, params: Record<string, unknown> = {}, who: keyof typeof KEYS = "alice") => {
  const r = await call(method, params, who);
  if (r.status !== 200) throw new Error(`${method}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
};
const until = async <T>(probe: () => Promise<T>, done: (v: T) => boolean, what: string, timeoutMs = 15_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (done(v)) return v;
    if (Date.now() > deadline) throw new Error(`${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 30));
  }
};
const desk = (n: number) => registry.farm!.modem(`desk-m0${n}`);
const aliceCards = async () => (await ok("cardList")).cards as Json[];
const cardOf = async (n: number) => (await aliceCards()).find((c) => c.iccid === desk(n).sim!.iccid)!;

describe("requests", () => {
  it("version needs no key; every other method needs a valid one", async () => {
    const version = await fetch(`${base}/version`);
    expect(await version.json()).toMatchObject({ status: "ok", version: "test", api: "simfolder" });
    expect(await call("cardList", {}, "alice")).toMatchObject({ status: 200 });
    const res = await fetch(`${base}/cardList?api_key=wrong-key-xxxx`);
    expect([res.status, await res.json()]).toEqual([401, { status: "error", error: "BAD_API_KEY", message: "api_key is missing or not valid" }]);
    const none = await fetch(`${base}/deviceList`);
    expect(none.status).toBe(401);
  });

  it("the method comes from the path or method=; unknown ones are BAD_METHOD", async () => {
    const byParam = await fetch(`${base}/?method=deviceList&api_key=${KEYS.alice}`);
    expect(((await byParam.json()) as Json).devices).toHaveLength(1);
    const unknown = await fetch(`${base}/dropEverything?api_key=${KEYS.alice}`);
    expect([unknown.status, ((await unknown.json()) as Json).error]).toEqual([404, "BAD_METHOD"]);
    const inherited = await fetch(`${base}/?method=constructor&api_key=${KEYS.alice}`);
    expect(inherited.status).toBe(404);
  });

  it("takes form, multipart and JSON bodies; a broken JSON body is BAD_PARAM", async () => {
    expect((await call("deviceList", {}, "alice", "form")).body.devices).toHaveLength(1);
    // A browser's FormData: the key and the method in the multipart body only.
    const form = new FormData();
    form.set("api_key", KEYS.alice);
    form.set("method", "deviceList");
    const multipart = await fetch(`${base}/`, { method: "POST", body: form });
    expect([multipart.status, ((await multipart.json()) as Json).devices]).toEqual([200, expect.any(Array)]);
    expect((await call("cardList", { card_id: [(await cardOf(1)).card_id] }, "alice", "json")).body.cards).toHaveLength(1);
    const broken = await fetch(`${base}/cardList`, { method: "POST", headers: { "content-type": "application/json" }, body: "{nope" });
    expect([broken.status, ((await broken.json()) as Json).error]).toEqual([400, "BAD_PARAM"]);
  });
});

describe("devices and cards", () => {
  it("a user sees only their own devices and cards; the admin sees all", async () => {
    expect((await ok("deviceList")).devices.map((d: Json) => d.device_title)).toEqual(["Alice's desk"]);
    expect((await ok("deviceList", {}, "admin")).devices).toHaveLength(2);
    expect((await ok("deviceList", {}, "bob")).devices).toEqual([]);
    expect((await ok("cardList", {}, "bob")).cards).toEqual([]);
    const cards = await aliceCards();
    expect(cards.map((c) => c.iccid).sort()).toEqual([desk(1).sim!.iccid, desk(2).sim!.iccid].sort());
    expect(cards[0]).toMatchObject({ state: 1, operator: expect.any(String), number: expect.stringMatching(/^\+\d+$/) });
    // Another user's card is not found, whatever filter names it.
    const trainCard = (await ok("cardList", { limit: 1 }, "admin")).cards.find((c: Json) => c.device_id !== cards[0]!.device_id)
      ?? (await ok("cardList", { limit: 100 }, "admin")).cards.find((c: Json) => c.device_id !== cards[0]!.device_id);
    expect((await call("cardEdit", { card_id: trainCard.card_id, name: "mine now" })).status).toBe(404);
  });

  it("deviceState gives every modem's live state", async () => {
    const modems = (await ok("deviceState")).modems as Json[];
    expect(modems.map((m) => [m.modem, m.state, m.sim_state])).toEqual([
      [1, "online", 1],
      [2, "online", 1],
    ]);
    expect(modems[0]!.card_id).toBe((await cardOf(1)).card_id);
  });

  it("cardList pages with limit and after_id, and filters by number", async () => {
    const [first, second] = (await aliceCards()).sort((a, b) => a.card_id - b.card_id);
    expect((await ok("cardList", { limit: 1 })).cards.map((c: Json) => c.card_id)).toEqual([first!.card_id]);
    expect((await ok("cardList", { after_id: first!.card_id })).cards.map((c: Json) => c.card_id)).toEqual([second!.card_id]);
    expect((await ok("cardList", { number: second!.number })).cards.map((c: Json) => c.card_id)).toEqual([second!.card_id]);
    expect((await call("cardList", { limit: 5000 })).status).toBe(400);
  });

  it("cardEdit changes name and comment; bad input changes nothing", async () => {
    const card = await cardOf(1);
    const edited = await ok("cardEdit", { card_id: card.card_id, name: "Front desk SIM", comment: "top-up monthly" });
    expect(edited.card).toMatchObject({ card_id: card.card_id, name: "Front desk SIM", comment: "top-up monthly" });
    const bad = await call("cardEdit", { card_id: card.card_id, name: "x", number: "not-a-number" });
    expect([bad.status, bad.body.error, bad.body.message]).toEqual([400, "BAD_PARAM", "number: must be a phone number"]);
    expect((await cardOf(1)).name).toBe("Front desk SIM");
  });

  it("a parameter its Schema cannot decode is BAD_PARAM naming it and saying what was expected, in a query, a form or JSON", async () => {
    const card = await cardOf(1);
    const refused = async (method: string, params: Record<string, unknown>, how: "get" | "form" | "json" = "get", who: keyof typeof KEYS = "alice") => {
      const r = await call(method, params, who, how);
      return [r.status, r.body.error, r.body.message];
    };
    const badParam = (message: string) => [400, "BAD_PARAM", message];
    expect(await refused("cardList", { state: "7" })).toEqual(badParam("state: must be between -3 and 6"));
    expect(await refused("smsList", { limit: "ten" }, "form")).toEqual(badParam("limit: must be a whole number"));
    expect(await refused("atList", { from: "yesterday" })).toEqual(badParam("from: must be unix seconds or an ISO-8601 time"));
    expect(await refused("deviceList", { device_id: [1, { id: 2 }] }, "json")).toEqual(badParam("device_id: must be ids (a list of numbers)"));
    expect(await refused("deviceList", { device_id: "1,x" })).toEqual(badParam('device_id: "x" is not an id (0 to 2147483647)'));
    expect(await refused("deviceEdit", { title: "desk" }, "json")).toEqual(badParam("device_id: is required"));
    expect(await refused("deviceEdit", { device_id: 1, title: { text: "desk" } }, "json")).toEqual(badParam("title: must be text"));
    expect(await refused("callBegin", { number: "+15559001234" })).toEqual(badParam("card_id: is required (or the SIM's number)"));
    expect(await refused("smsSend", { card_id: card.card_id, addressee: "+15559001234" }, "json")).toEqual(badParam("msg: is required"));
    expect(await refused("smsSend", { card_id: card.card_id, addressee: "+15559001234", msg: "x".repeat(1531) }, "json")).toEqual(badParam("msg: is longer than 1530 characters"));
    expect(await refused("ussdSend", { card_id: card.card_id, code: "balance" })).toEqual(badParam("code: must be a USSD code or a session answer (digits, *, #, +)"));
    expect(await refused("atSend", { card_id: card.card_id, command: "ATI\r\nAT+CFUN=0" }, "json")).toEqual(badParam("command: must be one AT command line (AT..., no line breaks)"));
    expect(await refused("cardSelect", { card_id: [] }, "json")).toEqual(badParam("card_id: lists no cards"));
    expect(await refused("settingsSet", { format: "xml" })).toEqual(badParam('format: must be "form" or "json"'));
    expect(await refused("settingsSet", { smsReceived: "yes" })).toEqual(badParam("smsReceived: must be 1 or 0"));
    expect(await refused("settingsSet", { telegram_token: "nope" })).toEqual(badParam("telegram_token: must be a bot token (123456:ABC...)"));
    expect(await refused("operatorEdit", { name: "Op", balance_ussd: "abc" }, "get", "admin")).toEqual(badParam("balance_ussd: must be a USSD code (digits, * and #)"));
    // Who may edit operators is answered before what they asked for.
    expect(await refused("operatorEdit", { name: "Op", balance_ussd: "abc" })).toEqual([403, "FORBIDDEN", "operators are shared: only the admin user edits them"]);
    // Values the API has always taken still decode: numbers as text, a JSON array of ids, an id's text in one.
    expect((await ok("cardList", { card_id: `${card.card_id}`, offset: "0", limit: "5" })).cards.map((c: Json) => c.card_id)).toEqual([card.card_id]);
    const json = await call("deviceList", { device_id: [String(card.device_id), card.device_id] }, "alice", "json");
    expect([json.status, json.body.devices.map((d: Json) => d.device_id)]).toEqual([200, [card.device_id]]);
  });

  it("cardSelect brings train cards online; a card that would move a selected one is CHANNEL_LIMIT", async () => {
    const cards = (await ok("cardList", { limit: 1000 }, "admin")).cards as Json[];
    const train = cards.filter((c) => /^\d-\d$/.test(c.place ?? ""));
    const offline = train.find((c) => c.modem === null)!;
    const selected = await ok("cardSelect", { card_id: offline.card_id }, "admin");
    expect(selected.cards[0]).toMatchObject({ card_id: offline.card_id, place: offline.place });
    await until(async () => (await ok("cardList", { card_id: offline.card_id }, "admin")).cards[0].state, (s) => s === 1, "never online");
    const online = new Set(scheduler.positions("train").values());
    const blocked = train.find((c) => !online.has(c.place))!;
    const refused = await call("cardSelect", { card_id: blocked.card_id }, "admin");
    expect([refused.status, refused.body.error, refused.body.card_id]).toEqual([409, "CHANNEL_LIMIT", blocked.card_id]);
  });
});

describe("SMS, USSD, AT and calls on the modem path", () => {
  it("smsSend really sends; smsOutgoingList shows it sent; a bad addressee writes nothing", async () => {
    const card = await cardOf(2);
    const before = (await ok("smsOutgoingList")).sms.length;
    const bad = await call("smsSend", { card_id: card.card_id, addressee: "hello", msg: "x" });
    expect([bad.status, bad.body.message]).toEqual([400, "addressee: must be a phone number"]);
    expect((await ok("smsOutgoingList")).sms).toHaveLength(before);
    const long = "A long message that goes out in three parts. ".repeat(8).trim();
    const { sms_id } = await ok("smsSend", { card_id: card.card_id, addressee: "+15559001234", msg: long });
    const sent = await until(async () => (await ok("smsOutgoingList")).sms.find((s: Json) => s.sms_id === sms_id), (s) => s?.status === 1, "not sent");
    expect(sent).toMatchObject({ addressee: "+15559001234", msg: long, card_id: card.card_id });
    expect(registry.farm!.network.submitted.filter((s) => s.to === "+15559001234").map((s) => s.from)).toContain(desk(2).sim!.number);
    expect((await ok("smsOutgoingDelete", { sms_id })).deleted).toBe(1);
  });

  it("smsList lists received messages with filters; smsDelete removes only the user's own", async () => {
    registry.farm!.network.sendSms({ to: desk(1).sim!.number, from: "MyBank", text: "Your code is 4856" });
    const listed = await until(async () => (await ok("smsList", { new: 1 })).sms as Json[], (l) => l.some((s) => s.msg === "Your code is 4856"), "not received");
    const sms = listed.find((s) => s.msg === "Your code is 4856")!;
    expect(sms).toMatchObject({ sender: "MyBank", card_id: (await cardOf(1)).card_id, new: true, parts: 1 });
    expect((await ok("smsDelete", { sms_id: sms.sms_id }, "bob")).deleted).toBe(0);
    expect((await ok("smsDelete", { sms_id: sms.sms_id })).deleted).toBe(1);
    expect((await call("smsDelete", { sms_id: "1;drop" })).status).toBe(400);
  });

  it("ussdSend runs the code on the card's modem and ussdList has the reply", async () => {
    const card = await cardOf(1);
    const { ussd_id } = await ok("ussdSend", { card_id: card.card_id, code: "*100#" });
    const row = await until(async () => (await ok("ussdList")).ussd.find((u: Json) => u.ussd_id === ussd_id), (u) => u?.state === "done", "no reply");
    expect(row.msg).toMatch(/balance/i);
    expect((await call("ussdSend", { card_id: card.card_id, code: "*100#; AT+CFUN=0" })).status).toBe(400);
    expect((await ok("ussdDelete", { ussd_id }, "bob")).deleted).toBe(0);
    expect((await ok("ussdDelete", { ussd_id })).deleted).toBe(1);
    expect((await ok("ussdList")).ussd.some((u: Json) => u.ussd_id === ussd_id)).toBe(false);
  });

  it("atSend goes through the modem's queue; atList has the response", async () => {
    const card = await cardOf(2);
    const { at_id } = await ok("atSend", { card_id: card.card_id, command: "AT+CSQ" });
    const row = await until(async () => (await ok("atList")).at.find((a: Json) => a.at_id === at_id), (a) => a?.state === "done", "no response");
    expect(row.response).toMatch(/^\+CSQ: \d+,\d+\nOK$/);
    // The list window: after_id pages forward, from/to bound by time.
    const { at_id: second } = await ok("atSend", { card_id: card.card_id, command: "AT+CIMI" });
    expect((await ok("atList", { after_id: at_id })).at.map((a: Json) => a.at_id)).toEqual([second]);
    expect((await ok("atList", { to: "2020-01-01T00:00:00Z" })).at).toEqual([]);
    expect((await ok("atList", { from: Math.floor(Date.now() / 1000) - 600 })).at.map((a: Json) => a.at_id)).toEqual([second, at_id]);
    expect((await call("atList", { from: "yesterday-ish" })).status).toBe(400);
    expect((await call("atSend", { card_id: card.card_id, command: "AT\r\nAT+CFUN=0" })).status).toBe(400);
  });

  it("callBegin dials from the card; an incoming call is listed and can be answered and ended", async () => {
    const card = await cardOf(1);
    await ok("callBegin", { card_id: card.card_id, number: "+15554440001" });
    await until(async () => registry.farm!.network.calls.find((c) => c.to === "+15554440001"), (c) => c !== undefined, "no call");
    await until(async () => (await ok("callOutgoingList")).calls as Json[], (l) => l.some((c) => c.outgoing === "+15554440001"), "not recorded");
    await ok("callEnd", { card_id: card.card_id });
    const outgoing = ((await ok("callOutgoingList")).calls as Json[]).find((c) => c.outgoing === "+15554440001")!;
    // An outgoing call is not deleted as an incoming one, nor by another user.
    expect((await ok("callDelete", { call_id: outgoing.call_id })).deleted).toBe(0);
    expect((await ok("callOutgoingDelete", { call_id: outgoing.call_id }, "bob")).deleted).toBe(0);
    expect((await ok("callOutgoingDelete", { call_id: outgoing.call_id })).deleted).toBe(1);
    registry.farm!.network.callSim({ to: desk(2).sim!.number, from: "+15553332222", ringForMs: 10_000, hangupAfterMs: 5_000 });
    await until(async () => (await ok("callList")).calls as Json[], (l) => l.some((c) => c.incoming === "+15553332222"), "incoming not recorded");
    const card2 = await cardOf(2);
    expect(await ok("callAnswer", { card_id: card2.card_id })).toMatchObject({ done: true });
    await ok("callEnd", { card_id: card2.card_id });
    const ended = (await until(async () => ((await ok("callList")).calls as Json[]).find((c) => c.incoming === "+15553332222"), (c) => c !== undefined && c.ended !== null, "never ended"))!;
    expect(ended.answered).not.toBeNull();
    expect((await ok("callDelete", { call_id: ended.call_id })).deleted).toBe(1);
  });
});

describe("the rest of the methods", () => {
  it("deviceEdit retitles a device of one's own only", async () => {
    const [device] = (await ok("deviceList")).devices as Json[];
    expect((await ok("deviceEdit", { device_id: device!.device_id, title: "Reception" })).device).toEqual({ device_id: device!.device_id, device_title: "Reception" });
    expect((await ok("deviceList")).devices[0].device_title).toBe("Reception");
    expect((await call("deviceEdit", { device_id: device!.device_id, title: "Mine" }, "bob")).status).toBe(404);
  });

  it("operatorEdit is the admin's; operatorList shows the codes", async () => {
    const name = (await cardOf(1)).operator as string;
    expect((await call("operatorEdit", { name, balance_ussd: "*100#" })).status).toBe(403);
    expect((await call("operatorEdit", { name, balance_ussd: "*100#; AT" }, "admin")).status).toBe(400);
    const edited = await ok("operatorEdit", { name, balance_ussd: "*100#", number_ussd: "*111*0887#" }, "admin");
    expect(edited.operator).toMatchObject({ name, balance_ussd: "*100#", number_ussd: "*111*0887#" });
    expect(((await ok("operatorList")).operators as Json[]).find((o) => o.name === name)).toMatchObject({ balance_ussd: "*100#", cards: expect.any(Number) });
  });

  it("cardDirect takes the user's own cards only", async () => {
    const card = await cardOf(1);
    expect((await ok("cardDirect", { card_id: card.card_id })).cards).toEqual([{ card_id: card.card_id, place: card.place, rotation: true }]);
    expect((await call("cardDirect", { card_id: card.card_id }, "bob")).status).toBe(404);
  });

  it("telegramSend posts to the Bot API of the user's bot; a refusal is TELEGRAM_ERROR with Telegram's words", async () => {
    expect((await call("telegramSend", { msg: "hello" })).body.message).toMatch(/settingsSet telegram_token/);
    expect((await call("settingsSet", { telegram_token: "not a token" })).status).toBe(400);
    const set = await ok("settingsSet", { telegram_token: "123456:ABCdefGHIjklMNOpqrSTUvwx", telegram_chat_id: "987654" });
    expect(set.settings.telegram).toEqual({ chatId: "987654", token: "1234..." });
    expect(await ok("telegramSend", { msg: "Your code is 4856" })).toMatchObject({ sent: true });
    expect(telegramCalls.at(-1)).toEqual({ path: "/bot123456:ABCdefGHIjklMNOpqrSTUvwx/sendMessage", body: { chat_id: "987654", text: "Your code is 4856" } });
    const refused = await call("telegramSend", { msg: "refuse me" });
    expect([refused.status, refused.body.error, refused.body.message]).toEqual([502, "TELEGRAM_ERROR", "Telegram refused the message: Bad Request: chat not found"]);
  });

  it("the OpenAPI document describes every method the router has", async () => {
    const { DOCUMENTED_METHODS, openApiDocument } = await import("../../src/api/openapi");
    const { METHODS } = await import("../../src/api/simfolder/methods");
    expect([...DOCUMENTED_METHODS].sort()).toEqual(Object.keys(METHODS).sort());
    const doc = openApiDocument("test");
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/api/handler.php", "/console/ws", "/console/batch"]));
    expect((doc.paths as Record<string, Json>)["/api/smsSend"]!.get.parameters.map((p: Json) => p.name)).toEqual(expect.arrayContaining(["api_key", "card_id", "addressee", "msg"]));
  });

  it("each method's OpenAPI parameters are its Schema's fields, required as the Schema requires them", async () => {
    const { openApiDocument } = await import("../../src/api/openapi");
    const { METHODS } = await import("../../src/api/simfolder/methods");
    const paths = openApiDocument("test").paths as Record<string, Json>;
    for (const [name, method] of Object.entries(METHODS)) {
      const entry = paths[`/api/${name}`]?.get;
      expect(entry, name).toBeDefined();
      // The Struct's own fields, read from the Schema itself rather than from its JSON Schema.
      let ast = method.params.ast;
      while (ast._tag === "Refinement") ast = ast.from;
      expect(ast._tag, name).toBe("TypeLiteral");
      const fields = (ast as SchemaAST.TypeLiteral).propertySignatures.map((p) => ({ name: String(p.name), required: !p.isOptional }));
      const documented = (entry.parameters as Json[]).map((p) => ({ name: p.name, required: p.required }));
      expect(documented, name).toEqual([...(name === "version" ? [] : [{ name: "api_key", required: true }]), ...fields]);
    }
    // What the document says of a few, as a client reads it.
    const smsSend = Object.fromEntries((paths["/api/smsSend"]!.get.parameters as Json[]).map((p) => [p.name, p]));
    expect(smsSend.msg).toMatchObject({ required: true, description: "text, up to 1530 characters", schema: { type: "string", maxLength: 1530 } });
    expect(smsSend.card_id).toMatchObject({ required: false, description: "the card (or number: the SIM's own number)" });
    expect(smsSend.report).toMatchObject({ required: false });
    const deleted = (paths["/api/smsDelete"]!.get.parameters as Json[]).find((p) => p.name === "sms_id");
    expect(deleted).toMatchObject({ required: true, schema: { anyOf: [expect.objectContaining({ type: "string" }), expect.objectContaining({ type: "array" })] } });
  });
});

describe("notifications", () => {
  it("settingsSet checks its input; settingsGet shows what is on and the signing secret", async () => {
    const bad = await call("settingsSet", { url: "ftp://x" });
    expect([bad.status, bad.body.message]).toEqual([400, "url: must be an http:// or https:// URL"]);
    const set = await ok("settingsSet", { smsReceived: 1, format: "json" }, "bob");
    expect(set.settings).toMatchObject({ url: null, format: "json", events: { smsReceived: true, callEnd: false } });
    expect(set.settings.secret).toMatch(/^[0-9a-f]{32}$/);
    expect((await ok("settingsGet", {}, "bob")).settings).toEqual(set.settings);
    // Each user has their own settings and secret.
    const alice = (await ok("settingsGet")).settings;
    expect([alice.events.smsReceived, alice.secret === set.settings.secret]).toEqual([false, false]);
  });

  it("every event goes out signed and once, in order, through a receiver that was down for a while", async () => {
    const received: { event: string; body: Json; signature: string; delivery: string }[] = [];
    let up = false;
    const receiver = createServer((req: IncomingMessage, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        if (!up) return void res.writeHead(503).end();
        received.push({ event: String(req.headers["x-simgate-event"]), body: JSON.parse(body) as Json, signature: String(req.headers["x-simgate-signature"]), delivery: String(req.headers["x-simgate-delivery"]) });
        // Checked against the raw body, as a receiver would.
        const { secret } = settings;
        if (req.headers["x-simgate-signature"] !== `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`) received.at(-1)!.event = "BAD SIGNATURE";
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const settings = (await ok("settingsSet", { url, format: "json", smsReceived: 1, smsSended: 1, ussdReceived: 1, simStatus: 1 })).settings as Json;
    try {
      const card = await cardOf(1);
      for (let i = 1; i <= 5; i++) registry.farm!.network.sendSms({ to: desk(1).sim!.number, from: "Notifier", text: `message ${i}` });
      await ok("ussdSend", { card_id: card.card_id, code: "*100#" });
      await until(async () => Number((await db.selectFrom("outbox").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow()).n), (n) => n >= 6, "not queued");
      // Down: attempts fail and are retried; nothing is delivered.
      await until(async () => (await db.selectFrom("outbox").select("attempts").where("attempts", ">", 1).execute()).length, (n) => n > 0, "never retried");
      expect(received).toHaveLength(0);
      up = true;
      await until(async () => received.length, (n) => n >= 6, "not delivered after the receiver came back");
      await new Promise((r) => setTimeout(r, 300));
      const sms = received.filter((r) => r.event === "smsReceived");
      expect(sms.map((r) => r.body.msg)).toEqual(["message 1", "message 2", "message 3", "message 4", "message 5"]);
      expect(sms[0]!.body).toMatchObject({ event: "smsReceived", sender: "Notifier", card_id: card.card_id, number: card.number, device_title: "Alice's desk", time: expect.any(Number) });
      expect(received.find((r) => r.event === "ussdReceived")!.body.msg).toMatch(/balance/i);
      expect(received.some((r) => r.event === "BAD SIGNATURE")).toBe(false);
      expect(new Set(received.map((r) => r.delivery)).size).toBe(received.length);
      // The admin turned nothing on; bob has no URL and sees none of alice's devices.
      const owners = await db.selectFrom("outbox").innerJoin("api_users", "api_users.id", "outbox.user_id").select("api_users.name").distinct().execute();
      expect(owners.map((o) => o.name)).toEqual(["alice"]);
    } finally {
      await new Promise((r) => receiver.close(r));
      await ok("settingsSet", { url: "" });
    }
  }, 60_000);
});
