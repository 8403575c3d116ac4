import { Effect, Option, SubscriptionRef } from "effect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDeliver, buildStatusReport } from "../../hil/network/pdu-builder";
import type { VirtualModem } from "../../hil/modem/modem";
import { startTestService, type TestService } from "../support/service";
import { until } from "../support/service-process";

// Messages a modem kept where simgate did not look: in its own memory (ME), where a Quectel
// module puts new messages after a power cycle until +CPMS is set again, and on the SIM
// while the modem was hung and its +CMTI went unheard. Quectel modules on the simulated
// network, the store on the PostgreSQL server.
let service: TestService;

beforeAll(async () => {
  service = await startTestService("simgate_me", [{ id: "q", model: "pool", modems: "simulated", count: 3, personality: "quectel-ec25" }]);
  await until(
    () => service.db.selectFrom("modem_cards").select("modem").execute(),
    (rows) => new Set(rows.map((r) => r.modem)).size === 3,
    "the cards on the modems were never recorded",
  );
}, 60_000);
afterAll(async () => service?.close());

const farmModem = (n: number): VirtualModem => service.registry.farm!.modem(`q-m0${n}`);
const actorOf = async (n: number) => {
  const actor = await Effect.runPromise(SubscriptionRef.get(service.registry.modems[n - 1]!.supervised.actor));
  return Option.getOrThrow(actor);
};

/** A received message put into a memory without any notice, as if its +CMTI was missed. */
const plant = (m: VirtualModem, storage: "ME" | "SM", text: string, at = new Date()) => {
  const built = buildDeliver({ smsc: "+15550000000", from: "+15557770000", text, alphabet: "gsm7", at, offsetMinutes: 0 });
  const store = m.smsStorage(storage)!;
  expect(store.add({ stat: 0, pdu: built.pdu, tpduLength: built.tpduLength, kind: "deliver" })).not.toBeNull();
  return store;
};

const storedTexts = async () => (await service.db.selectFrom("sms_in").select(["iccid", "text"]).execute()).map((r) => `${r.iccid} ${r.text}`);

describe("messages in the modem's own memory", () => {
  it("are found by the sweep and stored under the card that was on the modem", async () => {
    const m = farmModem(1);
    const me = plant(m, "ME", "kept in ME after a power cycle");
    await Effect.runPromise((await actorOf(1)).sweep);
    expect(await storedTexts()).toContain(`${m.sim!.iccid} kept in ME after a power cycle`);
    // Deleted only once stored; the SIM's memory is selected again for the rest of simgate.
    expect(me.used).toBe(0);
    expect(m.settings.cpms[0]).toBe("SM");
  });

  it("are stored as unattributed, with the evidence and an event, when two cards were on the modem since", async () => {
    const a = farmModem(2);
    const b = farmModem(3);
    const [cardA, cardB] = [a.sim!, b.sim!];
    expect(cardA.iccid).not.toBe(cardB.iccid);
    // A message lands in modem 2's own memory unnoticed; then, before anything read it, a
    // person swaps the cards of modems 2 and 3. When modem 2's new card is read, its memory
    // is swept: the message may be either card's.
    const me = plant(a, "ME", "whose is this");
    a.setSim(null);
    b.setSim(cardA);
    a.setSim(cardB);
    await until(
      () => service.db.selectFrom("sms_unattributed").select("id").execute(),
      (rows) => rows.length > 0,
      "the message was never kept as unattributed",
    );
    const kept = await service.db.selectFrom("sms_unattributed").selectAll().execute();
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatchObject({ device: "q", modem: 2, storage: "ME", sender: "+15557770000", text: "whose is this" });
    expect([...kept[0]!.candidates].sort()).toEqual([cardA.iccid, cardB.iccid].sort());
    expect(kept[0]!.reason).toMatch(/2 cards were on the modem since/);
    expect((await storedTexts()).filter((t) => t.endsWith("whose is this"))).toEqual([]);
    const events = await service.db.selectFrom("events").select(["type", "payload"]).where("type", "=", "smsUnattributed").execute();
    expect(events).toHaveLength(1);
    expect(events[0]!.payload).toMatchObject({ unattributed_id: Number(kept[0]!.id), modem: 2, msg: "whose is this" });
    // Off the modem once kept; a second sweep stores nothing twice, nor under a card.
    expect(me.used).toBe(0);
    expect(await service.db.selectFrom("modem_cards").select("iccid").where("modem", "=", 2).orderBy("id").execute()).toEqual([{ iccid: cardA.iccid }, { iccid: cardB.iccid }]);
    await Effect.runPromise((await actorOf(2)).sweep);
    expect(await service.db.selectFrom("sms_unattributed").select("id").execute()).toHaveLength(1);
  });

  it("hands status reports found in SR to report matching, not to the message store", async () => {
    const m = farmModem(1);
    const report = buildStatusReport({ smsc: "+15550000000", mr: 77, recipient: "+15557770000", submittedAt: new Date(), dischargedAt: new Date(), offsetMinutes: 0, status: 0 });
    const sr = m.smsStorage("SR")!;
    sr.add({ stat: 0, pdu: report.pdu, tpduLength: report.tpduLength, kind: "status-report" });
    const before = (await storedTexts()).length;
    await Effect.runPromise((await actorOf(1)).sweep);
    expect(sr.used).toBe(0);
    expect((await storedTexts()).length).toBe(before);
    expect(await service.db.selectFrom("sms_unattributed").select("id").where("modem", "=", 1).execute()).toEqual([]);
  });
});

describe("a message whose notice was missed while the modem hung", () => {
  it("is read as soon as the port answers again, not at the next registration change", async () => {
    const m = farmModem(1);
    const actor = await actorOf(1);
    m.faults.hanging = true;
    plant(m, "SM", "arrived during the hang");
    // Something asks the modem; it times out and the port starts resynchronising.
    const asked = Effect.runPromise(Effect.either(actor.raw("AT+CSQ")));
    await until(() => Effect.runPromise(SubscriptionRef.get(actor.port.state)), (s) => s !== "ready", "the port never noticed the hang", 20_000);
    m.faults.hanging = false;
    await asked;
    await until(storedTexts, (texts) => texts.includes(`${m.sim!.iccid} arrived during the hang`), "the message was not read after the hang", 15_000);
  }, 45_000);
});
