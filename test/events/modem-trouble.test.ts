import { Effect, Option, SubscriptionRef } from "effect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDeliver } from "../../hil/network/pdu-builder";
import { reportModemTrouble } from "../../src/devices/modem-trouble";
import { startTestService, type TestService } from "../support/service";
import { until } from "../support/service-process";

// What a modem does behind the operator's back becomes an event row and a log line.
let service: TestService;
const lines: string[] = [];

beforeAll(async () => {
  service = await startTestService("simgate_trouble", [{ id: "lab", model: "pool", modems: "simulated", count: 1 }]);
  await service.extend(reportModemTrouble(service.db, service.registry, (line) => lines.push(line)));
  await until(() => Effect.runPromise(SubscriptionRef.get(service.registry.modems[0]!.supervised.actor)), Option.isSome, `the modem never came up: ${lines.join("\n")}`);
}, 60_000);
afterAll(async () => service?.close());

const troubles = async () =>
  (await service.db.selectFrom("events").select(["device", "payload"]).where("type", "=", "modemTrouble").orderBy("id").execute()).map((e) => ({
    device: e.device,
    ...(e.payload as { modem: number; kind: string; detail: string }),
  }));

describe("modem trouble", () => {
  it("a message the modem cannot decode is reported once, as an event and a log line, and stays on the SIM", async () => {
    const m = service.registry.farm!.modem("lab-m01");
    const store = m.smsStorage("SM")!;
    // A DELIVER PDU the modem cut off inside the sender's address.
    const whole = buildDeliver({ smsc: "+15550000000", from: "+15557770000", text: "cut short by the modem", alphabet: "gsm7", at: new Date(), offsetMinutes: 0 });
    store.add({ stat: 0, pdu: whole.pdu.slice(0, 24), tpduLength: whole.tpduLength, kind: "deliver" });
    const actor = Option.getOrThrow(await Effect.runPromise(SubscriptionRef.get(service.registry.modems[0]!.supervised.actor)));
    await Effect.runPromise(actor.sweep);
    await Effect.runPromise(actor.sweep);
    const found = await until(troubles, (t) => t.some((e) => e.kind === "sms-unreadable"), "no event for the unreadable message");
    expect(found.filter((e) => e.kind === "sms-unreadable")).toHaveLength(1);
    expect(found.find((e) => e.kind === "sms-unreadable")).toMatchObject({ device: "lab", modem: 1, detail: expect.stringMatching(/^SM 0: /) });
    expect(lines.filter((l) => l.startsWith("modem lab#1: sms-unreadable: SM 0:"))).toHaveLength(1);
    expect(store.used).toBe(1);
  }, 30_000);

  it("a module that stops answering is reported step by step", async () => {
    const m = service.registry.farm!.modem("lab-m01");
    const actor = Option.getOrThrow(await Effect.runPromise(SubscriptionRef.get(service.registry.modems[0]!.supervised.actor)));
    m.faults.hanging = true;
    const asked = Effect.runPromise(Effect.either(actor.raw("AT+CSQ")));
    await until(troubles, (t) => t.some((e) => e.kind === "unresponsive"), "no event when the modem went silent", 30_000);
    m.faults.hanging = false;
    await asked;
    const kinds = (await until(troubles, (t) => t.some((e) => e.kind === "connected" || e.kind === "recovery"), "no event when it came back", 60_000)).map((e) => e.kind);
    expect(kinds).toContain("unresponsive");
    expect(lines.some((l) => l.startsWith("modem lab#1: unresponsive:"))).toBe(true);
  }, 90_000);
});
