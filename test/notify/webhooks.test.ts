import { createHmac } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Context, Effect, Exit, Layer, Option, Scope, SubscriptionRef } from "effect";
import type { Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashKey } from "../../src/access/keys";
import { CardDirectory, CardDirectoryLive } from "../../src/cards/card-directory";
import { DeviceRegistry } from "../../src/devices/registry-service";
import { EVENT_TYPES } from "../../src/store/events";
import { recordModemEvents } from "../../src/events/recorder";
import { enqueueCardWork, runCardJobs } from "../../src/jobs/card-jobs";
import { CallRecorderLive } from "../../src/jobs/job-workers";
import { enqueueSms, runSmsSender } from "../../src/jobs/sms-sender";
import { runNotifier } from "../../src/notify/webhooks";
import { FarmScheduler } from "../../src/scheduler/scheduler-service";
import type { Database } from "../../src/store/schema";
import { buildLayers, testFarm } from "../support/layers";
import { useMigratedDatabase } from "../support/migrated-database";

// Notifications of every event type to a receiver on loopback, from a simulated pool, with
// the notifier stopped and started again in the middle (a restart of the service). The farm,
// the card directory (its switcher) and the call recorder are the service's layers; the
// notifier, the modem events' recorder and the workers run here with quick timings.
type Json = Record<string, any>;
const store = useMigratedDatabase("simgate_webhooks");
let scope: Scope.CloseableScope;
let db: Kysely<Database>;
let receiver: Server;
const received: { event: string; body: Json; delivery: string; good: boolean }[] = [];
let secret = "";

const startNotifier = async () => {
  const notifierScope = Effect.runSync(Scope.make());
  await Effect.runPromise(Scope.extend(runNotifier(db, { pollMs: 30, firstRetryMs: 50, maxRetryMs: 200 }), notifierScope));
  return () => Effect.runPromise(Scope.close(notifierScope, Exit.void));
};

beforeAll(async () => {
  db = store.db();
  scope = Effect.runSync(Scope.make());
  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const good = req.headers["x-simgate-signature"] === `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
      received.push({ event: String(req.headers["x-simgate-event"]), body: Object.fromEntries(new URLSearchParams(body)), delivery: String(req.headers["x-simgate-delivery"]), good });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const user = await db.insertInto("api_users").values({ name: "carol", key_hash: hashKey("carol-key-00000001") }).returning(["id", "secret"]).executeTakeFirstOrThrow();
  secret = user.secret;
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/events`;
  await db
    .insertInto("settings")
    .values({ key: `notify:${user.id}`, value: JSON.stringify({ url, format: "form", events: Object.fromEntries(EVENT_TYPES.map((e) => [e, true])) }) })
    .execute();
}, 60_000);
afterAll(async () => {
  if (scope) await Effect.runPromise(Scope.close(scope, Exit.void));
  await new Promise((r) => receiver?.close(r));
});

const until = async (check: () => boolean, what: string, timeoutMs = 15_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: got ${received.map((r) => r.event).join(", ")}`);
    await new Promise((r) => setTimeout(r, 30));
  }
};

describe("notifications of every event type", () => {
  it("each of the nine events reaches the receiver with its fields, signed, once, across a notifier restart", async () => {
    // The notifier starts first: its cursor begins before the farm's first event.
    let stop = await startNotifier();
    const layers = testFarm(db, [{ id: "desk", title: "Carol's desk", model: "pool", modems: "simulated", count: 2, owner: "carol" }], { scheduler: { settleMs: 1_000 } });
    const built = await buildLayers(Layer.mergeAll(CardDirectoryLive, CallRecorderLive).pipe(Layer.provideMerge(layers)), scope);
    const registry = Context.get(built, DeviceRegistry);
    await Effect.runPromise(Scope.extend(recordModemEvents(db, registry), scope));
    await Effect.runPromise(Context.get(built, FarmScheduler).scanned);
    const switcher = Context.get(built, CardDirectory).switcher;
    await Effect.runPromise(Scope.extend(runSmsSender(db, registry, { pollMs: 20, retryBaseMs: 50, switcher }), scope));
    await Effect.runPromise(Scope.extend(runCardJobs(db, registry, { pollMs: 20, retryBaseMs: 50, switcher }), scope));
    const farm = registry.farm!;
    const one = farm.modem("desk-m01").sim!;
    const two = farm.modem("desk-m02").sim!;

    await until(() => received.some((r) => r.event === "deviceState") && received.filter((r) => r.event === "simStatus").length >= 2, "no deviceState/simStatus");
    farm.network.sendSms({ to: one.number, from: "Hooks", text: "Your code is 4856" });
    await Effect.runPromise(enqueueSms(db, { iccid: two.iccid, to: "+15559007000", text: "out", statusReport: true }));
    await Effect.runPromise(enqueueCardWork(db, { kind: "ussd", iccid: one.iccid, code: "*100#" }));
    await until(() => received.some((r) => r.event === "smsReceived"), "no smsReceived");

    // A restart of the notifier in the middle of the stream.
    await stop();
    farm.network.callSim({ to: two.number, from: "+15553332222", ringForMs: 10_000, hangupAfterMs: 200 });
    const modemTwo = registry.modems.find((m) => m.target === "sim://desk-m02")!;
    const recorded = async (type: string) => {
      for (let i = 0; i < 300; i++) {
        if (await db.selectFrom("events").select("id").where("type", "=", type).executeTakeFirst()) return;
        await new Promise((r) => setTimeout(r, 30));
      }
      throw new Error(`no ${type} recorded`);
    };
    await recorded("callIncoming");
    const actor = Option.getOrThrow(await Effect.runPromise(SubscriptionRef.get(modemTwo.supervised.actor)));
    await Effect.runPromise(actor.answer.pipe(Effect.ignore));
    await recorded("callEnd");
    await Effect.runPromise(enqueueCardWork(db, { kind: "dial", iccid: one.iccid, number: "+15554440009" }));
    await recorded("callOutgoing");
    stop = await startNotifier();

    const wanted = ["deviceState", "simStatus", "smsReceived", "smsSended", "ussdReceived", "callIncoming", "callBegin", "callEnd", "callOutgoing"];
    await until(() => wanted.every((w) => received.some((r) => r.event === w)), "not every event type arrived", 20_000);
    await stop();
    const first = (event: string) => received.find((r) => r.event === event)!.body;
    expect(first("deviceState")).toMatchObject({ event: "deviceState", device_title: "Carol's desk", state: "online" });
    expect(first("smsReceived")).toMatchObject({ sender: "Hooks", msg: "Your code is 4856", number: one.number, device_title: "Carol's desk" });
    expect(first("smsSended")).toMatchObject({ addressee: "+15559007000", status: "1", number: two.number });
    expect(first("ussdReceived").msg).toMatch(/balance/i);
    for (const call of ["callIncoming", "callBegin", "callEnd"]) expect(first(call)).toMatchObject({ incoming: "+15553332222", number: two.number });
    expect(first("callOutgoing")).toMatchObject({ outgoing: "+15554440009", number: one.number });
    expect(first("simStatus")).toMatchObject({ state: "1" });
    for (const r of received) expect(r.body).toMatchObject({ time: expect.stringMatching(/^\d+$/), device_id: expect.stringMatching(/^\d+$/) });
    expect(received.every((r) => r.good)).toBe(true);
    // Once each: no delivery id twice, and no event twice.
    expect(new Set(received.map((r) => r.delivery)).size).toBe(received.length);
    // Events keep coming while the modems run (a status change after the calls); each is
    // queued once settled and delivered soon after: wait for the outbox to drain.
    let outbox = await db.selectFrom("outbox").select(["id", "event_id", "delivered_at"]).execute();
    for (let i = 0; i < 100 && !outbox.every((o) => o.delivered_at !== null); i++) {
      await new Promise((r) => setTimeout(r, 50));
      outbox = await db.selectFrom("outbox").select(["id", "event_id", "delivered_at"]).execute();
    }
    expect(outbox.every((o) => o.delivered_at !== null)).toBe(true);
    expect(new Set(outbox.map((o) => o.event_id)).size).toBe(outbox.length);
    expect(outbox).toHaveLength(received.length);
  }, 60_000);
});
