import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import type { Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { hashKey } from "../../src/access/keys";
import { MAX_BODY_BYTES } from "../../src/api/http/body";
import type { Route } from "../../src/api/http/router";
import { openApiDocument } from "../../src/api/openapi";
import { simFolderRoutes } from "../../src/api/simfolder/handler";
import { METHODS } from "../../src/api/simfolder/methods";
import { ACTIONS } from "../../src/api/srnav/actions";
import { srNavigatorRoutes, SRNAV_PATH } from "../../src/api/srnav/handler";
import type { Registry } from "../../src/devices/registry";
import { EVENT_TYPES } from "../../src/store/events";
import { recordCalls } from "../../src/jobs/calls-and-ussd";
import { createPool } from "../../src/pools/pools";
import type { Database } from "../../src/store/schema";
import { startTestService, type TestService } from "../support/service";
import { routesServer } from "../support/routes";

// Both facades on one real socket, as main.ts serves them, over a two-modem pool owned by
// alice and an 8-modem SIM bank only the admin sees. Random and hostile parameters go to
// every SimFolder method and every SR-Navigator action; no answer may be a server error, and
// every answer must be one the API documents.
//
// No job worker runs: sends, USSD, AT and dials are queued and stay queued, so the runs never
// wait on the (simulated) hardware. No notifier runs either, so a notification URL set by a
// random settingsSet is never called. telegramSend goes to a stand-in on loopback.

let service: TestService;
let db: Kysely<Database>;
let registry: Registry;
let server: Server;
let telegram: Server;
let base: string;
const KEYS = { admin: "admin-key-prop-0001", alice: "alice-key-prop-0002", bob: "bob-key-prop-00003" };
const POOL_KEYS = { all: "pool-all-prop-0001", desk: "pool-desk-prop-002" };
const BOT_TOKEN = "123456:ABCdefGHIjklMNOpqrSTUvwx";
const SMS_TEXTS = ["Your code is 4856", "Код подтверждения: 730215", "two codes 12 and 123456"];

/** What the handlers print when a request failed on the server's side (not the client's). */
const internalLog: string[] = [];

/** Facts of the running service that the generators draw on, so some requests name real things. */
const real = {
  cardIds: [] as number[],
  aliceCardIds: [] as number[],
  deviceIds: [] as number[],
  smsIds: [] as number[],
  callIds: [] as number[],
  numbers: [] as string[],
  deskNumbers: [] as string[],
  operators: [] as string[],
};

const count = async (table: "sim_cards" | "sms_in", withNumber = false) => {
  let q = db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as("n"));
  if (withNumber) q = q.where("number" as never, "is not", null);
  return Number((await q.executeTakeFirstOrThrow()).n);
};

/**
 * Polls until `done` holds: rows and states come from the simulated hardware in the
 * background, and neither the store nor the API announces them.
 */
const until = async <T>(probe: () => Promise<T>, done: (v: T) => boolean, what: string): Promise<T> => {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const v = await probe();
    if (done(v)) return v;
    if (Date.now() > deadline) throw new Error(`${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

beforeAll(async () => {
  service = await startTestService(
    "simgate_facade_props",
    [
      { id: "desk", title: "Alice's desk", model: "pool", modems: "simulated", count: 2, owner: "alice" },
      { id: "box", model: "sr-box-bank", modems: "simulated", rows: 2, rotateEveryMs: 0 },
    ],
    {
      settleMs: 500,
      before: async (db) => {
        for (const [name, key] of Object.entries(KEYS)) await db.insertInto("api_users").values({ name, key_hash: hashKey(key) }).execute();
      },
    },
  );
  ({ db, registry } = service);
  await service.extend(recordCalls(db, registry));
  // Pools hold only cards with a number; the numbers come from the scan and +CNUM.
  const cards = registry.farm!.network.sims.size;
  await until(() => count("sim_cards", true), (n) => n === cards, "cards with numbers");
  await createPool(db, "all", {}, POOL_KEYS.all);
  await createPool(db, "desk", { devices: ["desk"] }, POOL_KEYS.desk);
  const desk = (n: number) => registry.farm!.modem(`desk-m0${n}`).sim!.number;
  for (const [i, text] of SMS_TEXTS.entries()) registry.farm!.network.sendSms({ to: desk((i % 2) + 1), from: i ? "+15551230000" : "MyBank", text });
  registry.farm!.network.callSim({ to: desk(2), from: "+15553332222", ringForMs: 200 });
  await until(() => count("sms_in"), (n) => n === SMS_TEXTS.length, "stored SMS");
  // Over before any test runs: callAnswer then meets no ringing call.
  await until(() => db.selectFrom("calls").select("ended_at").execute(), (rows) => rows.length === 1 && rows[0]!.ended_at !== null, "recorded and ended call");

  real.cardIds = (await db.selectFrom("sim_cards").select("id").execute()).map((r) => r.id);
  const deskCards = await db.selectFrom("sim_cards").innerJoin("devices", "devices.id", "sim_cards.device_id").select(["sim_cards.id", "sim_cards.number"]).where("devices.key", "=", "desk").execute();
  real.aliceCardIds = deskCards.map((c) => c.id);
  real.deskNumbers = deskCards.map((c) => c.number!.replace(/\D/g, ""));
  real.deviceIds = (await db.selectFrom("devices").select("id").execute()).map((r) => r.id);
  real.smsIds = (await db.selectFrom("sms_in").select("id").execute()).map((r) => r.id);
  real.callIds = (await db.selectFrom("calls").select("id").execute()).map((r) => r.id);
  real.numbers = (await db.selectFrom("sim_cards").select("number").execute()).map((r) => r.number!.replace(/\D/g, ""));
  real.operators = [...new Set((await db.selectFrom("sim_cards").select("operator").execute()).map((r) => r.operator ?? "none"))];

  telegram = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      // The Bot API refuses some messages; the facade must pass that on as TELEGRAM_ERROR.
      const refused = body.includes("refuse");
      res.writeHead(refused ? 400 : 200, { "content-type": "application/json" }).end(JSON.stringify(refused ? { ok: false, description: "Bad Request: chat not found" } : { ok: true, result: {} }));
    });
  });
  await new Promise<void>((resolve) => telegram.listen(0, "127.0.0.1", resolve));
  const ctx = { db, registry, scheduler: service.scheduler };
  // A handler that throws is a server error whatever the request was (the route table answers
  // 500): each is recorded here on its way out, so a run with one fails.
  const watched = (routes: readonly Route[]): Route[] =>
    routes.map((route) => ({
      ...route,
      handle: async (req, res, match) => {
        try {
          await route.handle(req, res, match);
        } catch (error) {
          internalLog.push(`handler rejected: ${(error as Error).stack ?? String(error)}`);
          throw error;
        }
      },
    }));
  server = routesServer(
    watched([
      // sendSms answers SENDING when nothing takes the queued message; no worker runs here.
      ...srNavigatorRoutes({ ...ctx, sendWaitMs: 50 }),
      ...simFolderRoutes({ ...ctx, version: "test", telegramApi: `http://127.0.0.1:${(telegram.address() as AddressInfo).port}` }),
    ]),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // The handlers log a failure that is not the client's to stderr before they answer; the
  // SR-Navigator answers such a failure with HTTP 200 ERROR, so the log is how it shows.
  const write = process.stderr.write.bind(process.stderr);
  vi.spyOn(process.stderr, "write").mockImplementation(((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const line = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
    if (/^(simfolder|sr-navigator)\b/.test(line)) internalLog.push(line);
    return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stderr.write);
}, 120_000);

afterAll(async () => {
  vi.restoreAllMocks();
  await new Promise((r) => server?.close(r));
  await new Promise((r) => telegram?.close(r));
  await service?.close();
});

// ---- requests ------------------------------------------------------------------------------

/** A JSON value written out as it is (nesting too deep for JSON.stringify in the test itself). */
class RawJson {
  constructor(readonly json: string) {}
  toString() {
    return this.json;
  }
}

type Value = unknown;
type Transport = "query" | "form" | "multipart" | "json";
type Entries = readonly (readonly [string, Value])[];

/** A value as a form or query field: lists comma-joined, objects as their JSON. */
const asField = (v: Value): string => {
  if (typeof v === "string") return v;
  if (v instanceof RawJson) return v.json;
  if (v === null) return "";
  if (Array.isArray(v)) return v.map(asField).join(",");
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
};

/** A JSON object body with the entries in order (a repeated key is left to the parser). */
const jsonBody = (entries: Entries): string => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v instanceof RawJson ? v.json : (JSON.stringify(v) ?? "null")}`).join(",")}}`;

interface Sent {
  readonly url: string;
  readonly bodyBytes: number;
  readonly status: number;
  readonly type: string;
  readonly text: string;
}

const send = async (url: string, transport: Transport, entries: Entries, queryEntries: Entries = []): Promise<Sent> => {
  const query = new URLSearchParams(queryEntries.map(([k, v]): [string, string] => [k, asField(v)]));
  let init: RequestInit = {};
  let bodyBytes = 0;
  if (transport === "query") for (const [k, v] of entries) query.append(k, asField(v));
  else if (transport === "form") {
    const body = new URLSearchParams(entries.map(([k, v]): [string, string] => [k, asField(v)])).toString();
    bodyBytes = Buffer.byteLength(body);
    init = { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body };
  } else if (transport === "json") {
    const body = jsonBody(entries);
    bodyBytes = Buffer.byteLength(body);
    init = { method: "POST", headers: { "content-type": "application/json" }, body };
  } else {
    const form = new FormData();
    for (const [k, v] of entries) form.append(k, asField(v));
    const request = new Request("http://localhost/", { method: "POST", body: form });
    const body = Buffer.from(await request.arrayBuffer());
    bodyBytes = body.length;
    init = { method: "POST", headers: { "content-type": request.headers.get("content-type")! }, body };
  }
  const target = `${url}${query.size ? `?${query}` : ""}`;
  const res = await fetch(target, init);
  return { url: target, bodyBytes, status: res.status, type: res.headers.get("content-type") ?? "", text: await res.text() };
};

/** Node's HTTP parser refuses a request line over its 16 KiB header limit (README: 431). */
const overHeaderLimit = (sent: Sent) => sent.status === 431 && Buffer.byteLength(sent.url) > 16 * 1024 - 200;
const overBodyLimit = (sent: Sent) => sent.bodyBytes > MAX_BODY_BYTES;

// ---- values --------------------------------------------------------------------------------

const HOSTILE = [
  "", " ", ",", ",,", "0", "-1", "-0", "+1", " 7 ", "1,,2", "1.5", "1e9", "1e400", "NaN", "Infinity", "-Infinity", "0x1F", "１２３",
  "2147483647", "2147483648", "9007199254740993", "999999999999", "999999999999999", "99999999999999999999",
  "null", "true", "false", "[]", "{}", "[1,2]", '{"a":1}',
  "' or '1'='1", "1; drop table sim_cards; --", "1 or 1=1", "%00", "\u0000", "a\u0000b", "\ud800", "x\udfffy", "\u202e\u0301", "😀", "Привет",
  "\r\n", "AT\r\nAT+CFUN=0", "AT\u0000", "*100#", "*100#\u0000", "AT+CSQ", "+15550100001",
  "-100000-01-01T00:00:00Z", "-271821-04-20T00:00:00Z", "+275760-09-13T00:00:00.000Z", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2024-02-30", "1970-01-01",
  "99999999999", "253402300800",
  "http://127.0.0.1:9/hook", "http://127.0.0.1:9/\u0000", "https://x.invalid/\ud800",
  BOT_TOKEN, "987654", "-100123", "@channel", "form", "json", "max", "repeat", "ONLINE", "keep", "refuse me",
  "__proto__", "constructor", "toString",
];

/** Characters a database, a JSON writer or a PDU encoder may choke on (NUL most of all). */
const POISON = ["\u0000", "\u0000", "\u0000", "\ud800", "\udfff", "\u2028", "\ufeff", "'", "\\", "%", "\x1a", "\x1b", "\r\n"];

const scalarText = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...HOSTILE) },
  // A plausible value with something hostile inside it, so it passes a first look.
  {
    weight: 5,
    arbitrary: fc
      .tuple(fc.constantFrom(...HOSTILE, "15550100001", "MyBank", "Your code", "AT+CSQ", "*100#", "http://127.0.0.1:9/x"), fc.constantFrom(...POISON), fc.nat(20))
      .map(([t, p, at]) => t.slice(0, at) + p + t.slice(at)),
  },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 40 }) },
  { weight: 1, arbitrary: fc.constantFrom(1001, 1531, 4097, 20_000, 300_000).chain((n) => fc.constantFrom("9", "x", "é", "\u0000", "😀").map((c) => c.repeat(n))) },
);

const number = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, -1, -0, 2 ** 31, 2 ** 53 + 2, 1e21, Number.MAX_VALUE, Number.NaN, Number.POSITIVE_INFINITY));

/** An id as a client may write it: a number, its text, padded. */
const idForms = (ids: readonly number[]) => fc.constantFrom(...ids).chain((id) => fc.constantFrom<Value>(id, String(id), ` ${id} `));

/** Ids of real rows, as numbers and as text. */
const realId = () => idForms([...real.cardIds, ...real.deviceIds, ...real.smsIds, ...real.callIds]);

const realText = () =>
  fc.oneof(
    fc.constantFrom(...real.numbers).chain((n) => fc.constantFrom(n, `+${n}`, ` ${n} `)),
    fc.subarray(real.numbers, { minLength: 1, maxLength: 4 }).map((ns) => ns.join(",")),
    fc.constantFrom(...real.operators),
  );

const hugeList = fc.constantFrom(1000, 1001, 5000).map((n) => Array.from({ length: n }, (_, i) => i + 1));
const deep = fc.constantFrom(50, 5_000, 100_000).map((n) => new RawJson(`${"[".repeat(n)}1${"]".repeat(n)}`));
const oddObject = fc.constantFrom<Value>({}, { toString: 1 }, { toString: null, valueOf: null }, { a: { b: [1] } }, { length: 3 }, { "0": 5 });

/** Anything at all a client might send for a parameter. */
const hostile = (): fc.Arbitrary<Value> =>
  fc.oneof(
    { weight: 10, arbitrary: scalarText },
    { weight: 4, arbitrary: realId() },
    { weight: 3, arbitrary: realText() },
    { weight: 2, arbitrary: number },
    { weight: 1, arbitrary: fc.constantFrom<Value>(true, false, null) },
    { weight: 3, arbitrary: fc.array(fc.oneof(realId(), number, scalarText), { maxLength: 5 }) },
    { weight: 2, arbitrary: fc.constant<Value>([]) },
    { weight: 1, arbitrary: hugeList },
    { weight: 1, arbitrary: fc.array(fc.array(realId(), { maxLength: 3 }), { maxLength: 3 }) },
    { weight: 1, arbitrary: deep },
    { weight: 1, arbitrary: fc.array(oddObject, { minLength: 1, maxLength: 2 }) },
    { weight: 1, arbitrary: oddObject },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  );

type Plausible = (name: string) => fc.Arbitrary<Value>;

const pick = (...values: Value[]) => fc.constantFrom(...values);

/** Values at and past the edge of what a parameter of this kind takes. */
const edge = (name: string): fc.Arbitrary<Value> => {
  if (name === "from" || name === "to")
    return pick("-100000-01-01T00:00:00Z", "-271821-04-20T00:00:00Z", "+275760-09-13T00:00:00.000Z", "0000-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "99999999999", "999999999999", "253402300800", "2024-02-30", "1970-01-01T00:00:00+25:00", -1, 1.5);
  if (/_id$|^deviceId$/.test(name))
    return pick("2147483647", "2147483648", 2 ** 31, "9007199254740991", "9007199254740993", 2 ** 53 + 2, "999999999999", "999999999999999", "9999999999999999", -1, "0", 0, "1e3", "1,,2", " , ", [0, 2 ** 31], ["1", 1, " 1 "]);
  if (["limit", "offset", "state", "period", "code", "channels"].includes(name))
    return pick("0", "-1", "-0", "1001", "1e3", "99999999999999999999", "999999999", "9999999999", 1.5, -3, 7, "max ", " 4", "9999", "99999");
  if (["number", "recipient", "addressee", "phone_exception", "phoneException"].includes(name))
    return pick("+", ",", "1,2,", "9".repeat(21), "9".repeat(2000), "+1 555 010 0001", "79a", "7918,,", "0".repeat(3));
  if (["msg", "text"].includes(name)) return pick("x".repeat(1530), "x".repeat(1531), "😀".repeat(765), "😀".repeat(766), "x".repeat(4096), "x".repeat(4097), "\u0000");
  // Free text (a sender, a name, a URL): empty, NUL, an unpaired surrogate, too long.
  return pick("", " ", "\u0000", "bank\u0000", "\ud800", "x".repeat(5000));
};

/**
 * Entries for a request. Mostly one parameter is hostile and the others are what a
 * well-meaning client sends, so the hostile value gets past the first checks to the code
 * behind them (a send's text reaches the store only with a real card and addressee); else
 * every value is hostile, names repeat, and names the call does not read turn up.
 */
const entriesFor = (names: readonly string[], plausible: Plausible): fc.Arbitrary<Entries> => {
  const name = names.length ? fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...names) }, { weight: 1, arbitrary: fc.constantFrom("method", "action", "x", "") }) : fc.constantFrom("method", "x");
  const chaos = fc.array(fc.tuple(name, hostile()), { maxLength: 6 });
  if (names.length === 0) return chaos;
  const focused = fc.tuple(fc.constantFrom(...names), fc.subarray([...names])).chain(([focus, others]) =>
    fc.tuple(
      ...others.filter((n) => n !== focus).map((n) => plausible(n).map((v) => [n, v] as const)),
      fc.oneof({ weight: 3, arbitrary: hostile() }, { weight: 2, arbitrary: edge(focus) }).map((v) => [focus, v] as const),
    ),
  );
  return fc.oneof({ weight: 3, arbitrary: focused }, { weight: 1, arbitrary: chaos });
};

const now = () => Math.floor(Date.now() / 1000);

/** What a SimFolder client means to send; `cards` are the ids of the caller's own cards. */
const simFolderPlausible =
  (cards: readonly number[]): Plausible =>
  (name) => {
    switch (name) {
      case "card_id":
        return fc.oneof(idForms(cards), fc.subarray([...cards], { minLength: 1 }));
      case "device_id":
        return idForms(real.deviceIds);
      case "number":
        return fc.oneof(fc.constantFrom(...real.numbers).map((n) => `+${n}`), pick("+15554440001"));
      case "operator":
        return fc.constantFrom(...real.operators);
      case "sms_id":
      case "call_id":
      case "ussd_id":
      case "after_id":
        return fc.oneof(idForms([...real.smsIds, ...real.callIds]), fc.nat(50), fc.array(fc.nat(50), { minLength: 1, maxLength: 3 }));
      case "from":
        return pick(String(now() - 600), "2020-01-01T00:00:00Z", now() - 60);
      case "to":
        return pick(String(now() + 600), "2100-01-01T00:00:00+03:00");
      case "limit":
        return pick("1", 10, "1000");
      case "offset":
        return pick("0", 2);
      case "state":
        return pick("1", -3);
      case "addressee":
        return pick("+15559001234", "15559001234");
      case "msg":
        return pick("hello", "Your code is 1234", "Привет 😀");
      case "code":
      case "balance_ussd":
        return pick("*100#");
      case "number_ussd":
        return pick("*111*0887#");
      case "command":
        return pick("AT+CSQ", "AT+CIMI");
      case "url":
        return pick("http://127.0.0.1:9/hook", "");
      case "format":
        return pick("form", "json");
      case "telegram_token":
        return pick(BOT_TOKEN);
      case "telegram_chat_id":
        return pick("987654");
      case "name":
      case "title":
      case "comment":
        return pick("Front desk", "top-up monthly");
      default:
        // The read marks and the notification flags.
        return pick("1", "0", 1, true);
    }
  };

/** What an SR-Navigator client means to send; `numbers` are its pool's. */
const srNavPlausible =
  (numbers: readonly string[]): Plausible =>
  (name) => {
    switch (name) {
      case "number":
        return fc.oneof(fc.constantFrom(...numbers), fc.subarray([...numbers], { minLength: 1, maxLength: Math.min(3, numbers.length) }).map((ns) => ns.join(",")));
      case "device_id":
      case "deviceId":
        return fc.constantFrom(...real.deviceIds).map(String);
      case "operator":
        return fc.constantFrom(...real.operators);
      case "phone_exception":
      case "phoneException":
        return pick("1555", "7918,7900111");
      case "sender":
        return pick("MyBank", "+1555", "bank");
      case "period":
        return pick("600", "60");
      case "code":
        return pick("4", "6");
      case "sms_id":
      case "call_id":
        return fc.constantFrom(...real.smsIds, ...real.callIds).map(String);
      case "recipient":
        return pick("15559990000", "+15559990000");
      case "text":
        return pick("hello", "Код 1234");
      case "channels":
        return pick("max", "1", "2");
      case "position":
        return pick("ONLINE");
      case "mode":
        return pick("repeat");
      default:
        // keep, new
        return pick("1");
    }
  };

const transport = fc.constantFrom<Transport>("query", "form", "multipart", "json");

// ---- SimFolder -----------------------------------------------------------------------------

const CARDS = ["device_id", "card_id", "number", "operator"];
const WINDOW = ["limit", "offset", "after_id", "from", "to"];

/** The parameters each method reads (src/api/simfolder/methods.ts). */
const SIMFOLDER_PARAMS: Record<string, readonly string[]> = {
  version: [],
  deviceList: ["device_id"],
  deviceState: ["device_id"],
  deviceEdit: ["device_id", "title"],
  cardList: [...CARDS, "state", ...WINDOW],
  cardEdit: ["card_id", "name", "comment", "number"],
  cardSelect: ["card_id"],
  cardDirect: ["card_id"],
  operatorList: CARDS,
  operatorEdit: ["name", "balance_ussd", "number_ussd"],
  smsSend: [...CARDS, "addressee", "msg", "report"],
  smsList: [...CARDS, ...WINDOW, "new", "mark_read"],
  smsDelete: ["sms_id"],
  smsOutgoingList: [...CARDS, ...WINDOW],
  smsOutgoingDelete: ["sms_id"],
  ussdSend: [...CARDS, "code"],
  ussdList: [...CARDS, ...WINDOW],
  ussdDelete: ["ussd_id"],
  atSend: [...CARDS, "command"],
  atList: [...CARDS, ...WINDOW],
  callBegin: ["card_id", "number"],
  callAnswer: CARDS,
  callEnd: CARDS,
  callList: [...CARDS, ...WINDOW],
  callDelete: ["call_id"],
  callOutgoingList: [...CARDS, ...WINDOW],
  callOutgoingDelete: ["call_id"],
  settingsGet: [],
  settingsSet: ["url", "format", ...EVENT_TYPES, "telegram_token", "telegram_chat_id"],
  telegramSend: ["msg"],
};

/** An unknown method ("constructor" too) reads nothing. */
const paramsOf = (method: string): readonly string[] => (Object.hasOwn(SIMFOLDER_PARAMS, method) ? SIMFOLDER_PARAMS[method]! : []);

/** The documented error codes and their HTTP statuses (README, "SimFolder API"). */
const SIMFOLDER_ERRORS: Record<string, number> = {
  BAD_API_KEY: 401,
  FORBIDDEN: 403,
  BAD_METHOD: 404,
  NOT_FOUND: 404,
  BAD_PARAM: 400,
  CARD_NOT_ACTIVE: 409,
  CHANNEL_LIMIT: 409,
  TOO_LARGE: 413,
  // Answers about hardware and outside services, not failures of the service.
  MODEM_ERROR: 502,
  TELEGRAM_ERROR: 502,
  DEVICE_OFFLINE: 503,
  // Not listed: INTERNAL (500), and UNAVAILABLE (503, the database unreachable), since the
  // database is up throughout; either here would be a request the service got wrong.
};

const simFolderRequest = () =>
  fc
    .oneof({ weight: 12, arbitrary: fc.constantFrom(...Object.keys(SIMFOLDER_PARAMS)) }, { weight: 1, arbitrary: fc.constantFrom("nope", "constructor", "__proto__") })
    .chain((method) =>
      fc.oneof({ weight: 8, arbitrary: fc.constantFrom<Value>("alice", "admin", "bob") }, { weight: 1, arbitrary: fc.constantFrom<Value>(undefined, "", "not-a-key-at-all", "x".repeat(500), [KEYS.alice], 12345678) }).chain((who) =>
        fc.record({
          method: fc.constant(method),
          route: fc.constantFrom("path", "param"),
          who: fc.constant(who),
          transport,
          // bob owns nothing: he names alice's cards, which must stay hers.
          entries: entriesFor(paramsOf(method), simFolderPlausible(who === "admin" ? real.cardIds : real.aliceCardIds)),
        }),
      ),
    );

const callSimFolder = async (r: ReturnType<typeof simFolderRequest> extends fc.Arbitrary<infer T> ? T : never) => {
  const key = typeof r.who === "string" && r.who in KEYS ? KEYS[r.who as keyof typeof KEYS] : r.who;
  const auth: Entries = key === undefined ? [] : [["api_key", key]];
  const byParam: Entries = r.route === "param" ? [["method", r.method]] : [];
  const url = `${base}/api/${r.route === "path" ? r.method : ""}`;
  return send(url, r.transport, [...auth, ...byParam, ...r.entries], []);
};

const checkSimFolder = (method: string, route: string, sent: Sent) => {
  if (overHeaderLimit(sent)) return;
  const where = `${method} -> ${sent.status} ${sent.text.slice(0, 300)}`;
  // /api/<method> routes names of letters only; another path is not the API's to answer.
  if (route === "path" && !/^[A-Za-z]+$/.test(method)) {
    expect(sent.status, where).toBe(404);
    return expect((JSON.parse(sent.text) as { error: string }).error, where).toMatch(/^no route \/api\//);
  }
  expect(sent.type, where).toMatch(/^application\/json/);
  const body = JSON.parse(sent.text) as { status?: unknown; error?: unknown; message?: unknown };
  if (body.status === "ok") return expect(sent.status, where).toBe(200);
  expect(body.status, where).toBe("error");
  expect(Object.keys(SIMFOLDER_ERRORS), where).toContain(body.error);
  expect(sent.status, where).toBe(SIMFOLDER_ERRORS[body.error as string]);
  expect(typeof body.message === "string" && body.message.length > 0, where).toBe(true);
  if (body.error === "TOO_LARGE") expect(overBodyLimit(sent), where).toBe(true);
  if (body.error === "BAD_PARAM" && !/^the JSON body /.test(body.message as string)) {
    // The message names the parameter, one the method reads.
    const named = /^([A-Za-z_]+): ./.exec(body.message as string)?.[1];
    expect(paramsOf(method), where).toContain(named);
  }
};

// ---- SR-Navigator --------------------------------------------------------------------------

const FILTERS = ["device_id", "deviceId", "operator", "phone_exception", "phoneException"];
const READS = ["number", "sender", "period", "code", "new"];

/** The parameters each action reads and the words it may answer with (besides JSON). */
const SRNAV: Record<string, { params: readonly string[]; words: readonly string[]; number?: boolean; smsText?: boolean }> = {
  poolRestart: { params: ["keep"], words: ["DONE"] },
  getAgregators: { params: FILTERS, words: ["WRONG_EXCEPTION_PHONE"] },
  getOperators: { params: FILTERS, words: ["WRONG_EXCEPTION_PHONE"] },
  getPoolStatus: { params: FILTERS, words: ["WRONG_EXCEPTION_PHONE"] },
  getNumbers: { params: [...FILTERS, "position"], words: ["WRONG_EXCEPTION_PHONE", "NO_NUMBERS"] },
  openNumber: { params: [...FILTERS, "number", "mode"], words: ["WRONG_EXCEPTION_PHONE", "BUSY", "NO_NUMBERS"], number: true },
  openNumbers: { params: [...FILTERS, "number", "mode", "channels"], words: ["WRONG_EXCEPTION_PHONE", "NO_CHANNELS", "NO_NUMBERS", "BUSY"] },
  closeNumber: { params: ["number"], words: ["DONE", "EMPTY_NUMBER", "BAD_NUMBER"] },
  getSimStatus: { params: ["number"], words: ["EMPTY_NUMBER", "NOT_FOUND"] },
  // The text of a stored SMS, or the code taken out of it.
  getLastSms: { params: READS, words: ["EMPTY_NUMBER", "NOT_FOUND"], smsText: true },
  getSms: { params: READS, words: ["NO_NUMBER"] },
  deleteSms: { params: ["sms_id"], words: ["DONE", "BAD_ID"] },
  clearSimStorage: { params: [], words: ["DONE", "ERROR"] },
  sendSms: { params: ["number", "recipient", "text"], words: ["NO_NUMBER", "BAD_RECIPIENT", "EMPTY_TEXT", "BAD_TEXT", "NOT_FOUND"] },
  getCall: { params: ["number", "period"], words: ["NO_NUMBER"] },
  grabCall: { params: ["number"], words: ["DONE", "ERROR"] },
  deleteCall: { params: ["call_id"], words: ["Done", "BAD_ID"] },
};

const srNavRequest = () =>
  fc
    .oneof({ weight: 16, arbitrary: fc.constantFrom(...Object.keys(SRNAV)) }, { weight: 1, arbitrary: fc.constantFrom("", "dropTables", "constructor", "__proto__") })
    .chain((action) =>
      fc.oneof({ weight: 8, arbitrary: fc.constantFrom<Value>(POOL_KEYS.all, POOL_KEYS.desk) }, { weight: 1, arbitrary: fc.constantFrom<Value>(undefined, "", "nope", "' or 1=1 --", "x".repeat(300), KEYS.admin) }).chain((key) =>
        fc.record({
          action: fc.constant(action),
          key: fc.constant(key),
          // Sometimes a number is opened first, so that what needs an open number (sendSms's
          // text, grabCall) is reached too.
          open: fc.oneof({ weight: 7, arbitrary: fc.constant(null) }, { weight: 3, arbitrary: fc.constantFrom(...(key === POOL_KEYS.all ? real.numbers : real.deskNumbers)) }),
          transport,
          entries: entriesFor(Object.hasOwn(SRNAV, action) ? SRNAV[action]!.params : [], srNavPlausible(key === POOL_KEYS.all ? real.numbers : real.deskNumbers)),
        }),
      ),
    );

type SrNavRequest = ReturnType<typeof srNavRequest> extends fc.Arbitrary<infer T> ? T : never;

const callSrNav = async (r: SrNavRequest, entries: Entries) => send(`${base}${SRNAV_PATH}`, r.transport, [...(r.key === undefined ? [] : [["pool_key", r.key] as const]), ...entries]);

const checkSrNav = (action: string, sent: Sent) => {
  if (overHeaderLimit(sent)) return;
  const where = `${action} -> ${sent.status} ${sent.text.slice(0, 300)}`;
  if (sent.status === 413) return expect([sent.text, overBodyLimit(sent)], where).toEqual(["TOO_LARGE", true]);
  expect(sent.status, where).toBe(200);
  expect(sent.text.endsWith("\n"), where).toBe(false);
  if (sent.type.startsWith("application/json")) {
    expect(typeof JSON.parse(sent.text), where).toBe("object");
    return;
  }
  expect(sent.type, where).toMatch(/^text\/plain/);
  const spec = Object.hasOwn(SRNAV, action) ? SRNAV[action] : undefined;
  const allowed = ["BAD_KEY", "BAD_ACTION", ...(spec?.words ?? [])];
  if (allowed.includes(sent.text)) return;
  if (spec?.number && real.numbers.includes(sent.text)) return;
  if (spec?.smsText && SMS_TEXTS.some((t) => t === sent.text || (/^\d+$/.test(sent.text) && t.includes(sent.text)))) return;
  expect.fail(`${where}: not a word ${action} answers with`);
};

// ---- the properties ------------------------------------------------------------------------

// Fixed, so a failure repeats; fast-check prints the seed and the path of a failing run.
const SEED = 20261201;
// About 5 ms a run on two cores: both properties and the set-up stay well under a minute.
const RUNS = 1500;

/** Fails a run that made a handler log a failure of its own. */
const noInternalFailure = (before: number, where: string) => expect(internalLog.slice(before), where).toEqual([]);

describe("the tables above cover the facades", () => {
  it("every SimFolder method and every SR-Navigator action is generated", () => {
    expect(Object.keys(SIMFOLDER_PARAMS).sort()).toEqual(Object.keys(METHODS).sort());
    expect(Object.keys(SRNAV).sort()).toEqual(Object.keys(ACTIONS).sort());
  });

  it("the OpenAPI document, derived from the Schemas, lists what these tables say each method and action reads", () => {
    const paths = openApiDocument("test").paths as Record<string, { get?: { parameters: { name: string }[] } }>;
    for (const method of Object.keys(METHODS)) {
      const documented = paths[`/api/${method}`]!.get!.parameters.map((p) => p.name).filter((n) => n !== "api_key");
      expect(documented.sort(), method).toEqual([...paramsOf(method)].sort());
    }
    // The camel-case spellings are the same parameters under another name (documented with them).
    const read = new Set(Object.values(SRNAV).flatMap((a) => a.params.filter((n) => n !== "deviceId" && n !== "phoneException")));
    const documented = paths[SRNAV_PATH]!.get!.parameters.map((p) => p.name).filter((n) => n !== "pool_key" && n !== "action");
    expect(documented.sort()).toEqual([...read].sort());
  });
});

describe("empty id lists", () => {
  const DELETES = [
    ["smsDelete", "sms_id"],
    ["smsOutgoingDelete", "sms_id"],
    ["ussdDelete", "ussd_id"],
    ["callDelete", "call_id"],
    ["callOutgoingDelete", "call_id"],
  ] as const;

  it.each(DELETES)("%s refuses an empty %s list as BAD_PARAM naming it, in JSON, form and query", async (method, name) => {
    for (const how of ["json", "form", "query"] as const) {
      const value = how === "json" ? [] : "";
      const sent = await send(`${base}/api/${method}`, how, [["api_key", KEYS.alice], [name, value]]);
      expect([sent.status, JSON.parse(sent.text)], how).toEqual([400, { status: "error", error: "BAD_PARAM", message: expect.stringMatching(new RegExp(`^${name}: `)) }]);
    }
  });
});

describe("what the properties found, pinned", () => {
  const simFolder = async (method: string, how: Transport, entries: Entries, who: keyof typeof KEYS = "alice") => {
    const before = internalLog.length;
    const sent = await send(`${base}/api/${method}`, how, [["api_key", KEYS[who]], ...entries]);
    noInternalFailure(before, method);
    return [sent.status, JSON.parse(sent.text) as Record<string, unknown>] as const;
  };
  const badParam = (name: string) => [400, { status: "error", error: "BAD_PARAM", message: expect.stringMatching(new RegExp(`^${name}: `)) }];
  const srNav = async (params: Record<string, string>, key = POOL_KEYS.desk) => {
    const before = internalLog.length;
    const sent = await send(`${base}${SRNAV_PATH}`, "query", Object.entries({ pool_key: key, ...params }));
    noInternalFailure(before, params.action ?? "");
    return sent.text;
  };

  it("SimFolder: an id past the integer ids of cards and devices is BAD_PARAM, not a database error", async () => {
    expect(await simFolder("cardEdit", "query", [["card_id", "2147483648"], ["name", "x"]])).toEqual(badParam("card_id"));
    expect(await simFolder("cardList", "json", [["device_id", [1, 15550100001]]])).toEqual(badParam("device_id"));
    expect(await simFolder("smsDelete", "json", [["sms_id", "9007199254740993"]])).toEqual(badParam("sms_id"));
    // after_id pages forward: past every card, nothing follows.
    expect(await simFolder("cardList", "query", [["after_id", "9007199254740991"]])).toEqual([200, { status: "ok", cards: [] }]);
  });

  it("SimFolder: text the store cannot hold (NUL, an unpaired surrogate) is BAD_PARAM naming it", async () => {
    const card = real.aliceCardIds[0]!;
    expect(await simFolder("cardEdit", "form", [["card_id", card], ["name", "desk\u0000"]])).toEqual(badParam("name"));
    expect(await simFolder("deviceEdit", "json", [["device_id", real.deviceIds[0]!], ["title", "desk \ud800"]])).toEqual(badParam("title"));
    expect(await simFolder("cardList", "query", [["operator", "\u0000"]])).toEqual(badParam("operator"));
    expect(await simFolder("smsSend", "json", [["card_id", card], ["addressee", "+15559001234"], ["msg", "code\u00001234"]])).toEqual(badParam("msg"));
    expect(await simFolder("settingsSet", "json", [["url", "http://127.0.0.1:9/\udc00"]])).toEqual(badParam("url"));
  });

  it("SimFolder: lists of objects or of nested lists are BAD_PARAM, however deep", async () => {
    expect(await simFolder("smsDelete", "json", [["sms_id", new RawJson(`${"[".repeat(100_000)}1${"]".repeat(100_000)}`)]])).toEqual(badParam("sms_id"));
    expect(await simFolder("deviceList", "json", [["device_id", [{ toString: null, valueOf: null }]]])).toEqual(badParam("device_id"));
    expect(await simFolder("settingsSet", "json", [["smsReceived", { toString: 1 }]])).toEqual(badParam("smsReceived"));
  });

  it("SimFolder: a time outside the years 1-9999 is BAD_PARAM, for a user with no cards as well", async () => {
    expect(await simFolder("callList", "query", [["from", "-271821-04-20T00:00:00Z"]])).toEqual(badParam("from"));
    expect(await simFolder("atList", "query", [["to", "+275760-09-13T00:00:00.000Z"]], "bob")).toEqual(badParam("to"));
    expect(await simFolder("smsList", "query", [["limit", "5000"]], "bob")).toEqual(badParam("limit"));
  });

  it("SimFolder: a repeated id counts once; MODEM_ERROR says what the modem refused", async () => {
    const card = real.aliceCardIds[0]!;
    expect(await simFolder("cardDirect", "json", [["card_id", [card, String(card)]]])).toEqual([200, { status: "ok", cards: [expect.objectContaining({ card_id: card })] }]);
    expect(await simFolder("callAnswer", "query", [["card_id", card]])).toEqual([502, { status: "error", error: "MODEM_ERROR", message: "no call is ringing" }]);
  });

  it("SR-Navigator: a sender filter with NUL finds nothing; a text with NUL is BAD_TEXT, not ERROR", async () => {
    const number = real.deskNumbers[0]!;
    expect(await srNav({ action: "getLastSms", number, sender: "bank\u0000" })).toBe("NOT_FOUND");
    expect(JSON.parse(await srNav({ action: "getSms", number, sender: "\u0000", period: "600" }))).toEqual([expect.objectContaining({ number, sms_counter: 0, sms: [] })]);
    // sendSms reads the text once the number is open and on the network.
    expect(await srNav({ action: "openNumber", number })).toBe(number);
    await until(() => srNav({ action: "getSimStatus", number }), (b) => b.includes("WAIT_SMS"), "never WAIT_SMS");
    expect(await srNav({ action: "sendSms", number, recipient: "15559990000", text: "code\u00001234" })).toBe("BAD_TEXT");
    expect(await srNav({ action: "closeNumber", number })).toBe("DONE");
  });
});

describe("no server errors, whatever the parameters", () => {
  it("SimFolder: every answer is ok or a documented error with its status", async () => {
    await fc.assert(
      fc.asyncProperty(simFolderRequest(), async (r) => {
        const before = internalLog.length;
        const sent = await callSimFolder(r);
        noInternalFailure(before, r.method);
        checkSimFolder(r.method, r.route, sent);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  }, 120_000);

  it("SR-Navigator: every answer is HTTP 200 with one of the action's words or JSON", async () => {
    await fc.assert(
      fc.asyncProperty(srNavRequest(), async (r) => {
        if (r.open !== null) {
          const before = internalLog.length;
          const opened = await callSrNav(r, [["action", "openNumber"], ["number", r.open]]);
          noInternalFailure(before, "openNumber");
          checkSrNav("openNumber", opened);
        }
        const before = internalLog.length;
        const sent = await callSrNav(r, [["action", r.action], ...r.entries]);
        noInternalFailure(before, r.action);
        checkSrNav(r.action, sent);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  }, 120_000);
});
