import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Kysely } from "kysely";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { buildDeliver } from "../../hil/network/pdu-builder";
import { srNavigatorRoutes } from "../../src/api/srnav/handler";
import type { Registry } from "../../src/devices/registry";
import { recordCalls } from "../../src/jobs/calls-and-ussd";
import { runSmsSender } from "../../src/jobs/sms-sender";
import { createPool } from "../../src/pools/pools";
import { type ServiceScheduler } from "../../src/scheduler/farm-scheduler";
import { cardSwitcher } from "../../src/scheduler/card-switcher";
import type { Database } from "../../src/store/schema";
import { startTestService, type TestService } from "../support/service";
import { routesServer } from "../support/routes";

// /api/handler.php on a real socket, over a simulated SR-Train (16 modems, 64 SIMs) and a
// two-modem pool, with the store on the PostgreSQL server. Bodies are compared byte for byte.
let service: TestService;
let db: Kysely<Database>;
let registry: Registry;
let scheduler: ServiceScheduler;
let server: Server;
let base: string;
const TRAIN_KEY = "train-pool-key-0001";
const DESK_KEY = "desk-pool-key-0002";

beforeAll(async () => {
  service = await startTestService(
    "simgate_srnav",
    [
      { id: "train", model: "sr-train", modems: "simulated", rows: 8, rotateEveryMs: 0 },
      { id: "desk", model: "pool", modems: "simulated", count: 2 },
    ],
    { settleMs: 2_000 },
  );
  ({ db, registry, scheduler } = service);
  await service.extend(recordCalls(db, registry));
  await service.extend(runSmsSender(db, registry, { pollMs: 20, retryBaseMs: 50, switcher: cardSwitcher(db, scheduler) }));
  // Numbers of the desk's cards come from +CNUM at bring-up; wait for the inventory to have them all.
  for (let i = 0; i < 200; i++) {
    const n = await db.selectFrom("sim_cards").select((eb) => eb.fn.countAll<number>().as("n")).where("number", "is not", null).executeTakeFirstOrThrow();
    if (Number(n.n) === 66) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await createPool(db, "train", { devices: ["train"] }, TRAIN_KEY);
  await createPool(db, "desk", { devices: ["desk"] }, DESK_KEY);
  server = routesServer(srNavigatorRoutes({ db, registry, scheduler, sendWaitMs: 10_000 }));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/handler.php`;
}, 120_000);
afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await service?.close();
});

interface Answer {
  status: number;
  body: string;
  type: string;
}
const get = async (params: Record<string, string>, key = TRAIN_KEY): Promise<Answer> => {
  const res = await fetch(`${base}?${new URLSearchParams({ pool_key: key, ...params })}`);
  return { status: res.status, body: await res.text(), type: res.headers.get("content-type") ?? "" };
};
const post = async (form: Record<string, string>, query: Record<string, string> = {}): Promise<Answer> => {
  const res = await fetch(`${base}?${new URLSearchParams(query)}`, { method: "POST", body: new URLSearchParams(form) });
  return { status: res.status, body: await res.text(), type: res.headers.get("content-type") ?? "" };
};
const body = async (params: Record<string, string>, key = TRAIN_KEY) => (await get(params, key)).body;
const jsonOf = async <T = unknown>(params: Record<string, string>, key = TRAIN_KEY) => JSON.parse(await body(params, key)) as T;

const farm = () => registry.farm!;
const train = () => farm().banks.get("train")!;
const digits = (n: string) => n.replace(/\D/g, "");
const trainId = async () => String((await db.selectFrom("devices").select("id").where("key", "=", "train").executeTakeFirstOrThrow()).id);
const deskNumber = (n: number) => digits(farm().modem(`desk-m0${n}`).sim!.number);

const releaseAll = async () => {
  await body({ action: "poolRestart" });
  await body({ action: "poolRestart" }, DESK_KEY);
};

const until = async <T>(probe: () => Promise<T>, ok: (v: T) => boolean, what: string, timeoutMs = 15_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`${what}: last ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe("transport and keys", () => {
  it("answers BAD_KEY for a missing, wrong or absurd key, as HTTP 200 with no trailing newline", async () => {
    for (const key of ["", "nope-not-a-key", "x".repeat(10_000), "' or 1=1 --"]) {
      const answer = await get({ action: "getPoolStatus" }, key);
      expect(answer).toMatchObject({ status: 200, body: "BAD_KEY" });
    }
    // Past Node's 16 KiB header limit a URL is refused by the HTTP parser itself; a form body may be larger.
    expect(await post({ pool_key: "x".repeat(100_000), action: "getPoolStatus" })).toMatchObject({ status: 200, body: "BAD_KEY" });
    const none = await fetch(`${base}?action=getPoolStatus`);
    expect([none.status, await none.text()]).toEqual([200, "BAD_KEY"]);
  });

  it("answers BAD_ACTION for an unknown, missing or inherited action name", async () => {
    for (const action of ["", "dropTables", "constructor", "__proto__", "toString"]) expect(await body({ action })).toBe("BAD_ACTION");
    expect(await body({})).toBe("BAD_ACTION");
  });

  it("takes POST form fields, which win over the query string", async () => {
    const answer = await post({ pool_key: TRAIN_KEY, action: "getPoolStatus" }, { pool_key: "wrong-key-here", action: "nothing" });
    expect(answer.status).toBe(200);
    expect(answer.type).toMatch(/^application\/json/);
    expect(JSON.parse(answer.body)).toEqual([{ total: 64, used: 0, free: 64, channels: 16 }]);
    const multipart = new FormData();
    multipart.set("pool_key", TRAIN_KEY);
    multipart.set("action", "getOperators");
    const res = await fetch(base, { method: "POST", body: multipart });
    expect((JSON.parse(await res.text()) as unknown[]).length).toBeGreaterThan(0);
  });

  it("refuses a body over the limit without buffering it", async () => {
    const res = await fetch(base, { method: "POST", body: new URLSearchParams({ pool_key: TRAIN_KEY, action: "getSms", number: "1".repeat(400_000) }) });
    expect([res.status, await res.text()]).toEqual([413, "TOO_LARGE"]);
  });
});

describe("listings", () => {
  beforeEach(releaseAll);

  it("getAgregators: the pool's devices with free numbers and channels; other pools' devices never appear", async () => {
    expect(await body({ action: "getAgregators" })).toBe(`[{"id":"${await trainId()}","model":"SR-Train","numbers":64,"channels":16}]`);
    const desk = await jsonOf<{ id: string; model: string }[]>({ action: "getAgregators" }, DESK_KEY);
    expect(desk.map((d) => [d.model, typeof d.id])).toEqual([["Modem-Pool", "string"]]);
    expect(await body({ action: "getAgregators", operator: "no such operator" })).toBe("[]");
  });

  it("getOperators: free numbers per operator, summing to the pool; a device filter of another pool gives nothing", async () => {
    const ops = await jsonOf<{ name: string; numbers: number }[]>({ action: "getOperators" });
    expect(ops.reduce((a, o) => a + o.numbers, 0)).toBe(64);
    const named = ops[0]!.name;
    const cards = train().layout.positions.map((p) => train().cardAt(p)!);
    expect(ops.find((o) => o.name === named)!.numbers).toBe(cards.filter((c) => farm().network.operatorOf(c).name === named).length);
    expect(await body({ action: "getOperators", device_id: "999999" })).toBe("[]");
  });

  it("getPoolStatus: total, used, free and channels as integers, filtered by device and operator", async () => {
    expect(await body({ action: "getPoolStatus" })).toBe('[{"total":64,"used":0,"free":64,"channels":16}]');
    expect(await body({ action: "getPoolStatus", deviceId: "424242" })).toBe('[{"total":0,"used":0,"free":0,"channels":0}]');
  });

  it("getNumbers: every number with its place; position=ONLINE gives the 16 on the modems; exceptions by prefix", async () => {
    type Row = { number: string; place: string; device_id: string; model: string; operator: string; status: string; position: string };
    const all = await jsonOf<Row[]>({ action: "getNumbers" });
    expect(all).toHaveLength(64);
    expect(Object.keys(all[0]!)).toEqual(["number", "place", "device_id", "model", "operator", "status", "position"]);
    for (const row of all) expect(row.number).toBe(digits(train().cardAt(row.place)!.number));
    const online = await jsonOf<Row[]>({ action: "getNumbers", position: "ONLINE" });
    expect(online).toHaveLength(16);
    expect(online.every((r) => r.position === "ONLINE" && r.status === "FREE")).toBe(true);
    const first = all[0]!.number;
    const without = await jsonOf<Row[]>({ action: "getNumbers", phone_exception: `${first},+${all[1]!.number}` });
    expect(without.map((r) => r.number)).not.toContain(first);
    expect(without).toHaveLength(62);
    expect(await body({ action: "getNumbers", phoneException: "79a" })).toBe("WRONG_EXCEPTION_PHONE");
    expect(await body({ action: "getNumbers", device_id: "0" })).toBe("NO_NUMBERS");
  });
});

describe("opening and closing numbers", () => {
  beforeEach(releaseAll);

  it("openNumber gives a card already on a modem; it goes CONNECTING -> WAIT_SMS; a processed number is skipped until mode=repeat or poolRestart", async () => {
    const number = await body({ action: "openNumber" });
    expect(number).toMatch(/^\d+$/);
    const online = (await jsonOf<{ number: string }[]>({ action: "getNumbers", position: "ONLINE" })).map((r) => r.number);
    expect(online).toContain(number);
    await until(() => body({ action: "getSimStatus", number }), (b) => b === `[{"number":"${number}","status":"WAIT_SMS"}]`, "never WAIT_SMS");
    expect((await jsonOf<{ status: string }[]>({ action: "getNumbers" })).filter((r) => r.status === "USED")).toHaveLength(1);
    // Asking for it again by number gives it again; closing it and asking for it is NO_NUMBERS (processed).
    expect(await body({ action: "openNumber", number: `+${number}` })).toBe(number);
    expect(await body({ action: "closeNumber", number })).toBe("DONE");
    expect(await body({ action: "getSimStatus", number })).toBe(`[{"number":"${number}","status":"INACTIVE"}]`);
    expect(await body({ action: "openNumber", number })).toBe("NO_NUMBERS");
    expect(await body({ action: "openNumber", number, mode: "repeat" })).toBe(number);
    expect(await body({ action: "closeNumber", number })).toBe("DONE");
    expect(await body({ action: "poolRestart" })).toBe("DONE");
    expect(await body({ action: "openNumber", number })).toBe(number);
  });

  it("a number in another row is switched in (the row moves) and is BUSY while a card of the current row is open", async () => {
    const here = await body({ action: "openNumber" });
    const online = (await jsonOf<{ number: string }[]>({ action: "getNumbers", position: "ONLINE" })).map((r) => r.number);
    // A card of neither row now on the modems (front or back).
    const far = train().layout.positions.map((p) => train().cardAt(p)!).find((c) => !online.includes(digits(c.number)))!;
    expect(await body({ action: "openNumber", number: digits(far.number) })).toBe("BUSY");
    expect(await body({ action: "closeNumber", number: here })).toBe("DONE");
    expect(await body({ action: "openNumber", number: digits(far.number) })).toBe(digits(far.number));
    await until(() => body({ action: "getSimStatus", number: digits(far.number) }), (b) => b.includes("WAIT_SMS"), "the far card never came online", 30_000);
    expect(farm().modems.get(`train-m0${train().layout.positions.find((p) => train().cardAt(p) === far)!.split("-")[1]}`)!.sim).toBe(far);
  });

  it("openNumbers opens as many as can be online together; channels=N beyond that is NO_CHANNELS", async () => {
    const opened = await jsonOf<{ total: number; numbers: string }>({ action: "openNumbers", channels: "max" });
    expect(opened.total).toBe(16);
    expect(opened.numbers.split(",")).toHaveLength(16);
    expect(await body({ action: "openNumbers", channels: "1" })).toBe("BUSY");
    await releaseAll();
    expect(await body({ action: "openNumbers", channels: "17", mode: "repeat" })).toBe("NO_CHANNELS");
    // Nothing stays open after a refused request.
    expect((await jsonOf<{ used: number }[]>({ action: "getPoolStatus" }))[0]!.used).toBe(0);
    expect(await body({ action: "openNumbers", channels: "lots" })).toBe("NO_CHANNELS");
  });

  it("closeNumber and getSimStatus check their numbers; another pool's number is never found", async () => {
    expect(await body({ action: "closeNumber" })).toBe("EMPTY_NUMBER");
    expect(await body({ action: "closeNumber", number: "12ab" })).toBe("BAD_NUMBER");
    expect(await body({ action: "closeNumber", number: deskNumber(1) })).toBe("BAD_NUMBER");
    expect(await body({ action: "getSimStatus" })).toBe("EMPTY_NUMBER");
    expect(await body({ action: "getSimStatus", number: deskNumber(1) })).toBe("NOT_FOUND");
    expect(await body({ action: "getLastSms", number: deskNumber(1) })).toBe("NOT_FOUND");
    expect(await body({ action: "getSms", number: deskNumber(1) })).toBe("[]");
  });
});

describe("the verification-code flow", () => {
  beforeEach(releaseAll);

  it("openNumber -> a code, a UCS2 message and a 3-part message arrive -> NEW_SMS -> getLastSms&code=4 -> closeNumber", async () => {
    const number = await body({ action: "openNumber" });
    await until(() => body({ action: "getSimStatus", number }), (b) => b.includes("WAIT_SMS"), "never WAIT_SMS");
    expect(await body({ action: "getLastSms", number })).toBe("NOT_FOUND");
    farm().network.sendSms({ to: `+${number}`, from: "ServiceX", text: "Your code is 4856" });
    const code = await until(() => body({ action: "getLastSms", number, code: "4", new: "1" }), (b) => b !== "NOT_FOUND", "the code never came");
    expect(code).toBe("4856");
    // Read now: new=1 finds nothing more.
    expect(await body({ action: "getLastSms", number, new: "1" })).toBe("NOT_FOUND");

    farm().network.sendSms({ to: `+${number}`, from: "+15551230000", text: "Код подтверждения: 730215" });
    const long = `Your login code is 99120. ${"This message is long enough to need three parts. ".repeat(6)}`.trim();
    farm().network.sendSms({ to: `+${number}`, from: "LongCorp", text: long });
    // getSms marks what it returns as read: ask only once both are stored, or a poll that
    // found the first alone would have read it.
    await until(
      () => db.selectFrom("sms_in").select("text").where("text", "in", ["Код подтверждения: 730215", long]).execute(),
      (rows) => rows.length === 2,
      "the two messages were never stored",
    );
    type Sms = { id: string; sender: string; text: string; time: string; timestamp: string; status: string };
    const listing = await until(
      () => jsonOf<{ number: string; status: string; sms_counter: number; sms: Sms[] }[]>({ action: "getSms", number, period: "600" }),
      (l) => l[0]!.sms_counter === 3,
      "the messages never all came",
    );
    expect(listing[0]!.status).toBe("NEW_SMS");
    expect(listing[0]!.sms.map((s) => [s.sender, s.text, s.status]).sort()).toEqual(
      [
        ["+15551230000", "Код подтверждения: 730215", "NEW"],
        ["LongCorp", long, "NEW"],
        ["ServiceX", "Your code is 4856", "READED"],
      ].sort(),
    );
    const one = listing[0]!.sms[0]!;
    expect(one.time).toMatch(/^\d\d:\d\d:\d\d \d\d\.\d\d\.\d{4}$/);
    expect(Number(one.timestamp)).toBeGreaterThan(1_700_000_000);
    // Returned once, read after: the status goes back to WAIT_SMS.
    const again = await jsonOf<{ status: string; sms: Sms[] }[]>({ action: "getSms", number, period: "600" });
    expect(again[0]!.status).toBe("WAIT_SMS");
    expect(again[0]!.sms.every((s) => s.status === "READED")).toBe(true);
    expect(await body({ action: "getLastSms", number, sender: "longc", code: "5" })).toBe("99120");
    expect(await body({ action: "getLastSms", number, code: "6", sender: "+1555123" })).toBe("730215");
    expect(await body({ action: "getSms", number: `${number},${number}`, sender: "nobody" })).toBe(
      `[{"number":"${number}","status":"WAIT_SMS","sms_counter":0,"sms":[]},{"number":"${number}","status":"WAIT_SMS","sms_counter":0,"sms":[]}]`,
    );
    expect(await body({ action: "closeNumber", number })).toBe("DONE");
  });

  it("16 clients in parallel on the 16-channel train: each gets its own number and its own code", async () => {
    const clients = Array.from({ length: 16 }, (_, i) => i);
    const numbers = await Promise.all(clients.map(() => body({ action: "openNumber" })));
    expect(new Set(numbers).size).toBe(16);
    expect(numbers.every((n) => /^\d+$/.test(n))).toBe(true);
    // A 17th client: every channel holds an open card.
    expect(await body({ action: "openNumber" })).toBe("BUSY");
    const held = scheduler.positions("train");
    expect(held.size).toBeLessThanOrEqual(16);
    const codes = await Promise.all(
      clients.map(async (i) => {
        const number = numbers[i]!;
        await until(() => body({ action: "getSimStatus", number }), (b) => b.includes("WAIT_SMS"), `client ${i} never WAIT_SMS`);
        farm().network.sendSms({ to: `+${number}`, from: "Verify", text: `Client ${i}: your code is ${5000 + i}` });
        return until(() => body({ action: "getLastSms", number, code: "4", sender: "verify" }), (b) => b !== "NOT_FOUND", `client ${i} never got a code`);
      }),
    );
    expect(codes).toEqual(clients.map((i) => String(5000 + i)));
    expect(await body({ action: "closeNumber", number: numbers.join(",") })).toBe("DONE");
    expect((await jsonOf<{ used: number }[]>({ action: "getPoolStatus" }))[0]!.used).toBe(0);
  }, 60_000);
});

describe("messages, storage and sending", () => {
  beforeEach(releaseAll);

  it("deleteSms deletes the pool's own message only", async () => {
    const number = await body({ action: "openNumber" });
    farm().network.sendSms({ to: `+${number}`, from: "Deleter", text: "delete me" });
    const listing = await until(() => jsonOf<{ sms: { id: string }[] }[]>({ action: "getSms", number, sender: "Deleter" }), (l) => l[0]!.sms.length === 1, "never came");
    const id = listing[0]!.sms[0]!.id;
    expect(await body({ action: "deleteSms", sms_id: id }, DESK_KEY)).toBe("BAD_ID");
    expect(await body({ action: "deleteSms", sms_id: "1 or 1=1" })).toBe("BAD_ID");
    expect(await body({ action: "deleteSms" })).toBe("BAD_ID");
    expect(await body({ action: "deleteSms", sms_id: id })).toBe("DONE");
    expect(await body({ action: "deleteSms", sms_id: id })).toBe("BAD_ID");
    expect(await body({ action: "getLastSms", number, sender: "Deleter" })).toBe("NOT_FOUND");
  });

  it("clearSimStorage empties the connected SIMs, storing what was on them first", async () => {
    const card = farm().modem("desk-m01").sim!;
    const pdu = buildDeliver({ smsc: "+15550000000", from: "+15550009999", text: "left on the SIM", alphabet: "gsm7", at: new Date(), offsetMinutes: 0 });
    card.storage.add({ stat: 0, pdu: pdu.pdu, tpduLength: pdu.tpduLength, kind: "deliver" });
    expect(card.storage.used).toBe(1);
    expect(await body({ action: "clearSimStorage" }, DESK_KEY)).toBe("DONE");
    expect(card.storage.used).toBe(0);
    const stored = await db.selectFrom("sms_in").select(["text"]).where("iccid", "=", card.iccid).execute();
    expect(stored.map((s) => s.text)).toContain("left on the SIM");
  });

  it("sendSms sends from an open number and says SENT; an unopened number is INACTIVE", async () => {
    expect(await body({ action: "sendSms", text: "x", recipient: "15559990000" })).toBe("NO_NUMBER");
    const number = await body({ action: "openNumber" });
    expect(await body({ action: "sendSms", number, text: "x", recipient: "not a number" })).toBe("BAD_RECIPIENT");
    expect(await body({ action: "sendSms", number, recipient: "15559990000" })).toBe("EMPTY_TEXT");
    const other = (await jsonOf<{ number: string; status: string }[]>({ action: "getNumbers" })).find((r) => r.status === "FREE")!.number;
    expect(await body({ action: "sendSms", number: other, text: "hello", recipient: "15559990000" })).toBe(`{"number":"${other}","status":"INACTIVE"}`);
    await until(() => body({ action: "getSimStatus", number }), (b) => b.includes("WAIT_SMS"), "never WAIT_SMS");
    expect(await body({ action: "sendSms", number, text: "Hello from the pool", recipient: "+15559990000" })).toBe(`{"number":"${number}","status":"SENT"}`);
    expect(farm().network.submitted.at(-1)).toMatchObject({ to: "+15559990000", text: "Hello from the pool" });
    expect(digits(farm().network.submitted.at(-1)!.from)).toBe(number);
  });
});

describe("calls", () => {
  beforeEach(releaseAll);

  it("an incoming call shows as RING_<number>, is listed by getCall, and deleteCall removes it; grabCall needs an open number", async () => {
    const number = deskNumber(2);
    expect(await body({ action: "grabCall", number }, DESK_KEY)).toBe("ERROR");
    expect(await body({ action: "openNumber", number }, DESK_KEY)).toBe(number);
    expect(await body({ action: "grabCall", number }, DESK_KEY)).toBe("DONE");
    await until(() => body({ action: "getSimStatus", number }, DESK_KEY), (b) => b.includes("WAIT_SMS_CALL"), "never WAIT_SMS_CALL");
    farm().network.callSim({ to: `+${number}`, from: "+15553332222", ringForMs: 5_000 });
    await until(() => body({ action: "getSimStatus", number }, DESK_KEY), (b) => b === `[{"number":"${number}","status":"RING_15553332222"}]`, "never rang");
    type Listing = { number: string; status: string; call_counter: number; call: { id: string; incoming_number: string; status: string }[] }[];
    const listing = await jsonOf<Listing>({ action: "getCall", number }, DESK_KEY);
    expect(listing[0]!.call_counter).toBe(1);
    expect(listing[0]!.call[0]).toMatchObject({ incoming_number: "15553332222", status: "NEW" });
    expect((await jsonOf<Listing>({ action: "getCall", number }, DESK_KEY))[0]!.call[0]!.status).toBe("READED");
    const id = listing[0]!.call[0]!.id;
    expect(await body({ action: "deleteCall", call_id: id })).toBe("BAD_ID");
    expect(await body({ action: "deleteCall", call_id: "x" }, DESK_KEY)).toBe("BAD_ID");
    expect(await body({ action: "deleteCall", call_id: id }, DESK_KEY)).toBe("Done");
    expect((await jsonOf<Listing>({ action: "getCall", number }, DESK_KEY))[0]!.call_counter).toBe(0);
    expect(await body({ action: "getCall" }, DESK_KEY)).toBe("NO_NUMBER");
  });
});

describe("hostile input", () => {
  beforeEach(releaseAll);

  it("SQL fragments, huge values and wrong types get the documented word, never a 500 or another pool's data", async () => {
    const evil = ["' or '1'='1", "1; drop table sim_cards; --", "%00", "\u0000", "9".repeat(5000), "[]", "{}", "-1", "1e9"];
    const deskNumbers = [deskNumber(1), deskNumber(2)];
    for (const value of evil) {
      for (const action of ["getNumbers", "openNumber", "getSimStatus", "getLastSms", "getSms", "closeNumber", "getCall", "deleteSms", "openNumbers", "getPoolStatus"]) {
        const answer = await post({ pool_key: TRAIN_KEY, action, number: value, device_id: value, operator: value, sms_id: value, period: value, code: value, channels: value, sender: value });
        expect(answer.status).toBe(200);
        for (const n of deskNumbers) expect(answer.body).not.toContain(n);
      }
    }
    expect(Number((await db.selectFrom("sim_cards").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow()).n)).toBe(66);
    expect(await body({ action: "getNumbers", phone_exception: "' or 1=1" })).toBe("WRONG_EXCEPTION_PHONE");
    expect(await body({ action: "openNumber", number: "' or 1=1" })).toBe("NO_NUMBERS");
  }, 60_000);

  it("a parameter an action cannot take is answered with that action's word, the first one checked first", async () => {
    const words: [Record<string, string>, string][] = [
      [{ action: "sendSms" }, "NO_NUMBER"],
      [{ action: "sendSms", number: " , " }, "NO_NUMBER"],
      [{ action: "sendSms", number: "15550001111", recipient: "12" }, "BAD_RECIPIENT"],
      [{ action: "sendSms", number: "15550001111", recipient: "+1 555 999 0000" }, "EMPTY_TEXT"],
      [{ action: "sendSms", number: "15550001111", recipient: "+1 555 999 0000", text: "x".repeat(1531) }, "BAD_TEXT"],
      [{ action: "getSimStatus" }, "EMPTY_NUMBER"],
      [{ action: "getLastSms", number: "" }, "EMPTY_NUMBER"],
      [{ action: "getSms" }, "NO_NUMBER"],
      [{ action: "getCall", period: "soon" }, "NO_NUMBER"],
      [{ action: "grabCall" }, "ERROR"],
      [{ action: "closeNumber", number: "12" }, "BAD_NUMBER"],
      [{ action: "deleteSms" }, "BAD_ID"],
      [{ action: "deleteCall", call_id: "1.5" }, "BAD_ID"],
      [{ action: "openNumbers", channels: "all" }, "NO_CHANNELS"],
      [{ action: "openNumbers", phoneException: "+", channels: "all" }, "WRONG_EXCEPTION_PHONE"],
      [{ action: "getAgregators", phone_exception: "7,,x" }, "WRONG_EXCEPTION_PHONE"],
    ];
    for (const [params, word] of words) expect(await get(params), JSON.stringify(params)).toMatchObject({ status: 200, body: word, type: expect.stringMatching(/^text\/plain/) });
    // The snake-case name wins over its camel-case spelling, which is then not read at all.
    expect(JSON.parse(await body({ action: "getPoolStatus", phone_exception: "1999", phoneException: "+" }))).toEqual([expect.objectContaining({ total: 64 })]);
    // Lenient as the reference panel: a period or code that is not a number is as if not given.
    expect(await body({ action: "getLastSms", number: "15550001111", period: "soon", code: "six" })).toBe("NOT_FOUND");
  });
});
