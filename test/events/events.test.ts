import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Context, Effect, Exit, Layer, Option, Scope, SubscriptionRef } from "effect";
import type { Kysely } from "kysely";
import type { Registry } from "../../src/devices/registry";
import { DeviceRegistry } from "../../src/devices/registry-service";
import { recordModemEvents } from "../../src/events/recorder";
import { enqueueSms, runSmsSender } from "../../src/jobs/sms-sender";
import { runUssd } from "../../src/jobs/calls-and-ussd";
import { CallRecorderLive } from "../../src/jobs/job-workers";
import { FarmScheduler } from "../../src/scheduler/scheduler-service";
import type { Database } from "../../src/store/schema";
import { buildLayers, testFarm } from "../support/layers";
import { useMigratedDatabase } from "../support/migrated-database";

// The event stream as recorded in the store, from a simulated two-modem pool: every type
// with the fields the SimFolder notifications carry. The farm and the call recorder are the
// service's layers; the modem events' recorder alone (not the trouble reports beside it in
// the watchers' layer, which record events of their own) and the sender with quick timings
// are started here.
const store = useMigratedDatabase("simgate_events");
let scope: Scope.CloseableScope;
let db: Kysely<Database>;
let registry: Registry;

beforeAll(async () => {
  db = store.db();
  scope = Effect.runSync(Scope.make());
  const farm = testFarm(db, [{ id: "desk", title: "Front desk", model: "pool", modems: "simulated", count: 2 }], { scheduler: { settleMs: 1_000 } });
  const built = await buildLayers(CallRecorderLive.pipe(Layer.provideMerge(farm)), scope);
  registry = Context.get(built, DeviceRegistry);
  await Effect.runPromise(Scope.extend(recordModemEvents(db, registry), scope));
  await Effect.runPromise(Context.get(built, FarmScheduler).scanned);
  await Effect.runPromise(Scope.extend(runSmsSender(db, registry, { pollMs: 20, retryBaseMs: 50 }), scope));
}, 60_000);
afterAll(async () => {
  if (scope) await Effect.runPromise(Scope.close(scope, Exit.void));
});

type Payload = Record<string, unknown>;
const eventsOf = async (type: string) =>
  (await db.selectFrom("events").select(["id", "type", "iccid", "payload"]).where("type", "=", type).orderBy("id").execute()).map((e) => ({ ...e, payload: e.payload as Payload }));
const until = async <T>(probe: () => Promise<T[]>, count: number, what: string): Promise<T[]> => {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const rows = await probe();
    if (rows.length >= count) return rows;
    if (Date.now() > deadline) throw new Error(`${what}: ${JSON.stringify(rows)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};
const modem = (n: number) => registry.farm!.modem(`desk-m0${n}`);
const card = async (iccid: string) => db.selectFrom("sim_cards").select(["id", "number"]).where("iccid", "=", iccid).executeTakeFirstOrThrow();
const device = async () => db.selectFrom("devices").select(["id", "title"]).where("key", "=", "desk").executeTakeFirstOrThrow();

describe("the event stream", () => {
  it("deviceState online once its first modem is up, and simStatus 1 for each card", async () => {
    const [online] = await until(() => eventsOf("deviceState"), 1, "no deviceState");
    const d = await device();
    expect(online!.payload).toMatchObject({ device_id: d.id, device_title: "Front desk", state: "online" });
    const statuses = await until(async () => (await eventsOf("simStatus")).filter((e) => e.payload.state === 1), 2, "no simStatus 1");
    expect(new Set(statuses.map((e) => e.iccid))).toEqual(new Set([modem(1).sim!.iccid, modem(2).sim!.iccid]));
  });

  it("smsReceived once per whole message, with card, number and text; a 3-part message is one event", async () => {
    const sim = modem(1).sim!;
    const long = "A message in three parts. ".repeat(12).trim();
    registry.farm!.network.sendSms({ to: sim.number, from: "MyBank", text: "Your code is 4856" });
    registry.farm!.network.sendSms({ to: sim.number, from: "+15550001111", text: long });
    const events = await until(() => eventsOf("smsReceived"), 2, "messages not announced");
    const c = await card(sim.iccid);
    expect(events.map((e) => [e.payload.sender, e.payload.msg]).sort()).toEqual([["+15550001111", long], ["MyBank", "Your code is 4856"]].sort());
    for (const e of events) expect(e.payload).toMatchObject({ card_id: c.id, number: c.number, device_title: "Front desk" });
    expect(events.find((e) => e.payload.msg === long)!.payload).toMatchObject({ parts: 3, missing: [] });
    // Every announced message is the stored one.
    const stored = await db.selectFrom("sms_in").select(["id"]).execute();
    expect(events.map((e) => e.payload.sms_id).sort()).toEqual(stored.map((s) => s.id).sort());
  });

  it("smsSended with status 1 when sent, then 2 when the report says delivered", async () => {
    const sim = modem(2).sim!;
    const id = await Effect.runPromise(enqueueSms(db, { iccid: sim.iccid, to: "+15559000001", text: "hello", statusReport: true }));
    const events = await until(() => eventsOf("smsSended"), 2, "no smsSended");
    expect(events.map((e) => [e.payload.sms_id, e.payload.addressee, e.payload.status])).toEqual([
      [id, "+15559000001", 1],
      [id, "+15559000001", 2],
    ]);
  });

  it("ussdReceived with the reply", async () => {
    const sim = modem(1).sim!;
    await Effect.runPromise(runUssd(db, registry, sim.iccid, "*100#"));
    const [event] = await until(() => eventsOf("ussdReceived"), 1, "no ussdReceived");
    expect(event!.iccid).toBe(sim.iccid);
    expect(String(event!.payload.msg)).toMatch(/balance/i);
  });

  it("calls: callIncoming, callBegin, callEnd for an answered call; callOutgoing for a dial", async () => {
    const sim = modem(2).sim!;
    registry.farm!.network.callSim({ to: sim.number, from: "+15553332222", ringForMs: 10_000, hangupAfterMs: 200 });
    await until(() => eventsOf("callIncoming"), 1, "no callIncoming");
    const supervised = registry.modems.find((m) => m.target === "sim://desk-m02")!.supervised;
    const actor = Option.getOrThrow(await Effect.runPromise(SubscriptionRef.get(supervised.actor)));
    await Effect.runPromise(actor.answer);
    await until(() => eventsOf("callEnd"), 1, "no callEnd");
    const phases = await db.selectFrom("events").select(["type", "payload"]).where("type", "like", "call%").orderBy("id").execute();
    expect(phases.map((p) => [p.type, (p.payload as Payload).incoming])).toEqual([
      ["callIncoming", "+15553332222"],
      ["callBegin", "+15553332222"],
      ["callEnd", "+15553332222"],
    ]);
    await Effect.runPromise(actor.dial("+15554440000").pipe(Effect.ignore));
    const [out] = await until(() => eventsOf("callOutgoing"), 1, "no callOutgoing");
    expect(out!.payload).toMatchObject({ outgoing: "+15554440000", card_id: (await card(sim.iccid)).id });
    await Effect.runPromise(actor.hangup.pipe(Effect.ignore));
  });

  it("simStatus 6 when the card is taken out (the modem only says NOT READY; asked, it says absent)", async () => {
    const m = modem(1);
    const iccid = m.sim!.iccid;
    m.setSim(null);
    const [gone] = await until(async () => (await eventsOf("simStatus")).filter((e) => e.payload.state === 6), 1, "no simStatus 6");
    expect(gone!.iccid).toBe(iccid);
  }, 15_000);
});
