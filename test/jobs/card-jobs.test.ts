import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Effect } from "effect";
import type { Kysely } from "kysely";
import type { Registry } from "../../src/devices/registry";
import { enqueueCardWork, runCardJobs } from "../../src/jobs/card-jobs";
import { type ServiceScheduler } from "../../src/scheduler/farm-scheduler";
import { cardSwitcher } from "../../src/scheduler/card-switcher";
import type { Database } from "../../src/store/schema";
import { startTestService, type TestService } from "../support/service";

// USSD, AT and dial jobs on the PostgreSQL server, over a simulated SR-Train (cards in rows
// that are not on the modems get switched in) and a two-modem pool.
let service: TestService;
let db: Kysely<Database>;
let registry: Registry;
let scheduler: ServiceScheduler;

beforeAll(async () => {
  service = await startTestService("simgate_cardjobs", [
    { id: "train", model: "sr-train", modems: "simulated", rows: 4, rotateEveryMs: 0 },
    { id: "desk", model: "pool", modems: "simulated", count: 2 },
  ]);
  ({ db, registry, scheduler } = service);
  await service.extend(runCardJobs(db, registry, { pollMs: 20, retryBaseMs: 50, switcher: cardSwitcher(db, scheduler) }));
}, 60_000);
afterAll(async () => service?.close());

const until = async <T>(probe: () => Promise<T | undefined>, ok: (v: T) => boolean, what: string, timeoutMs = 15_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};
const ussdRow = (id: number) => () => db.selectFrom("ussd").selectAll().where("id", "=", id).executeTakeFirst();
const atRow = (id: number) => () => db.selectFrom("at_log").selectAll().where("id", "=", id).executeTakeFirst();
const train = () => registry.farm!.banks.get("train")!;

describe("card jobs", () => {
  it("a USSD request for a card in no modem switches it in, records the reply and the event", async () => {
    const online = new Set(scheduler.positions("train").values());
    const position = train().layout.positions.find((p) => !online.has(p))!;
    const card = train().cardAt(position)!;
    const id = await Effect.runPromise(enqueueCardWork(db, { kind: "ussd", iccid: card.iccid, code: "*100#" }));
    const row = await until(ussdRow(id), (r) => r.state === "done", "the USSD never ran");
    expect(row.reply).toMatch(/balance/i);
    expect(scheduler.place("train", position)!.modem).not.toBeNull();
    const event = await db.selectFrom("events").select(["iccid", "payload"]).where("type", "=", "ussdReceived").executeTakeFirstOrThrow();
    expect(event).toMatchObject({ iccid: card.iccid, payload: { ussd_id: id, msg: row.reply } });
  });

  it("AT commands on one card run in order; an error is recorded with the modem's words", async () => {
    const card = registry.farm!.modem("desk-m01").sim!;
    const ids = [];
    for (const command of ["AT+CSQ", "AT+BOGUS", "AT+CIMI"]) ids.push(await Effect.runPromise(enqueueCardWork(db, { kind: "at", iccid: card.iccid, command })));
    const rows = await Promise.all(ids.map((id) => until(atRow(id), (r) => r.state !== "queued", `AT job ${id}`)));
    expect(rows.map((r) => r.state)).toEqual(["done", "failed", "done"]);
    expect(rows[0]!.response).toMatch(/^\+CSQ: \d+,\d+\nOK$/);
    expect(rows[1]!.response).toMatch(/ERROR/);
    expect(rows[2]!.response).toBe(`${card.spec.imsi}\nOK`);
    expect(rows[0]!.answered_at!.getTime()).toBeLessThanOrEqual(rows[1]!.answered_at!.getTime());
    expect(rows[1]!.answered_at!.getTime()).toBeLessThanOrEqual(rows[2]!.answered_at!.getTime());
  });

  it("a hung modem's jobs do not hold up another card's", async () => {
    const hung = registry.farm!.modem("desk-m01");
    hung.faults.hanging = true;
    try {
      const stuck = await Effect.runPromise(enqueueCardWork(db, { kind: "at", iccid: hung.sim!.iccid, command: "AT+CSQ" }));
      const other = await Effect.runPromise(enqueueCardWork(db, { kind: "at", iccid: registry.farm!.modem("desk-m02").sim!.iccid, command: "AT+CSQ" }));
      await until(atRow(other), (r) => r.state === "done", "the healthy card's job waited");
      expect((await atRow(stuck)())!.state).not.toBe("done");
    } finally {
      hung.faults.hanging = false;
    }
  });

  it("a dial job rings the number from the card", async () => {
    const card = registry.farm!.modem("desk-m02").sim!;
    await Effect.runPromise(enqueueCardWork(db, { kind: "dial", iccid: card.iccid, number: "+15554440000" }));
    const call = await until(async () => registry.farm!.network.calls.find((c) => c.to === "+15554440000"), () => true, "no call reached the network");
    expect(call.from).toBe(card.number);
  });
});
