import { describe, expect, it } from "@effect/vitest";
import { afterAll, beforeAll } from "vitest";
import { Effect, Fiber, Queue, Ref, SubscriptionRef } from "effect";
import { makeAtPort } from "../../drivers/at/at-port";
import { makeModemActor, type ModemEvent } from "../../drivers/modem/modem-actor";
import { SinkError, type ReceivedPart, type SmsSink } from "../../drivers/modem/sms-inbox";
import { simStatusOf } from "../../drivers/modem/state";
import { openSerial } from "../../drivers/transport/serial";
import { Farm } from "../../hil/farm";
import { ServedFarm } from "../../hil/serve";
import { eventuallyEffect } from "../support/eventually";

// Modem actors against simulated modems on real pseudo-terminals.
let served: ServedFarm;

beforeAll(async () => {
  const farm = new Farm({
    modems: [
      { id: "generic" },
      { id: "huawei", personality: "huawei-e173" },
      { id: "quectel", personality: "quectel-ec25" },
      { id: "sim800", personality: "simcom-sim800" },
      { id: "empty", sim: null },
      { id: "inbox" },
      { id: "flaky-sink" },
      { id: "gap" },
      { id: "sender" },
      { id: "receiver" },
      { id: "regloss" },
      { id: "nonumber", sim: "8900101000000009999" },
      { id: "unannounced" },
      { id: "swapped" },
      { id: "split" },
    ],
    sims: [{ iccid: "8900101000000009999", imsi: "001010000009999", number: "+15550009999", operator: "simnet", numberOnSim: false }],
  });
  served = await ServedFarm.start(farm);
  await farm.settled();
});
afterAll(async () => served?.stop());

const modem = (id: string) => served.farm.modem(id);

/** A sink that keeps parts in memory, optionally refusing the first `failures` parts. */
const memorySink = (failures = 0) =>
  Effect.gen(function* () {
    const parts = yield* Ref.make<ReceivedPart[]>([]);
    let refused = 0;
    const sink: SmsSink = {
      storePart: (part) =>
        refused < failures
          ? Effect.sync(() => refused++).pipe(Effect.zipRight(Effect.fail(new SinkError({ reason: "database unavailable" }))))
          : Ref.update(parts, (all) => [...all, part]),
    };
    return { sink, parts };
  });

const actorFor = (id: string, sink: SmsSink, options: { sweepEveryMs?: number } = {}) =>
  Effect.gen(function* () {
    const port = yield* makeAtPort(yield* openSerial(served.pathOf(id)!));
    return yield* makeModemActor(port, { sink, ...options });
  });

const waitFor = <A extends ModemEvent>(events: Queue.Dequeue<ModemEvent>, match: (e: ModemEvent) => e is A, timeoutMs = 5000) =>
  Queue.take(events).pipe(
    Effect.repeat({ until: match }),
    Effect.map((e) => e as A),
    Effect.timeoutFail({ duration: timeoutMs, onTimeout: () => new Error("event did not come") }),
  );

/** Resolves once a part with this text reached the sink. */
const eventuallyEffectPromise = async (parts: Ref.Ref<ReceivedPart[]>, text: string) => {
  const deadline = Date.now() + 5_000;
  while (!(await Effect.runPromise(Ref.get(parts))).some((p) => p.pdu.text === text)) {
    if (Date.now() > deadline) throw new Error(`"${text}" never reached the sink`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

type PartEvent = Extract<ModemEvent, { type: "sms-part" }>;

/** The next `count` parts from `sender` the actor handed to the sink, in the order it did. */
const partsHandedOver = (events: Queue.Dequeue<ModemEvent>, sender: string, count: number) =>
  Effect.gen(function* () {
    const seen: PartEvent[] = [];
    while (seen.length < count) seen.push(yield* waitFor(events, (e): e is PartEvent => e.type === "sms-part" && e.part.pdu.number === sender));
    return seen.map((e) => e.part);
  });

describe("modem actor: bring-up", () => {
  for (const [id, profile, manufacturer] of [
    ["generic", "generic", "SIMGATE"],
    ["huawei", "huawei", "huawei"],
    ["quectel", "quectel", "Quectel"],
    ["sim800", "simcom", "SIMCOM_Ltd"],
  ] as const) {
    it.scopedLive(`${id}: identity, profile, SIM, registration, operator and signal`, () =>
      Effect.gen(function* () {
        const { sink } = yield* memorySink();
        const actor = yield* actorFor(id, sink);
        const s = yield* SubscriptionRef.get(actor.state);
        const m = modem(id);
        expect(s.identity).toMatchObject({ manufacturer, imei: m.imei });
        expect(s.profile).toBe(profile);
        expect(s.sim).toEqual({ lock: "READY", iccid: m.sim!.iccid, imsi: m.sim!.spec.imsi, number: m.sim!.number });
        expect(s.registration).toBe("HOME");
        expect(s.operator).toBe(m.network.operatorOf(m.sim!).name);
        expect(s.signal?.rssi).toBe(20);
        expect(yield* actor.simStatus).toBe(1);
      }),
    );
  }

  it.scopedLive("a SIM without its number learns it from the operator's USSD code", () =>
    Effect.gen(function* () {
      const { sink } = yield* memorySink();
      const port = yield* makeAtPort(yield* openSerial(served.pathOf("nonumber")!));
      const actor = yield* makeModemActor(port, { sink, ownNumberCodes: { "00101": "*111*0887#" } });
      expect((yield* SubscriptionRef.get(actor.state)).sim?.number).toBe("+15550009999");
      expect(modem("nonumber").received()).toContain('AT+CUSD=1,"*111*0887#",15');
      // Raw commands give the whole reply.
      expect((yield* actor.raw("AT+CNUM")).lines).toEqual([]);
    }),
  );

  it.scopedLive("a modem without a SIM comes up with simStatus 6 (absent)", () =>
    Effect.gen(function* () {
      const { sink } = yield* memorySink();
      const actor = yield* actorFor("empty", sink);
      expect((yield* SubscriptionRef.get(actor.state)).sim?.lock).toBe("ABSENT");
      expect(yield* actor.simStatus).toBe(6);
    }),
  );
});

describe("modem actor: incoming SMS", () => {
  // Joining the parts is the store's: test/store/sink-e2e.test.ts runs the same through it.
  it.scopedLive("sweeps what arrived before start, takes new ones on +CMTI, hands each part of a long one over once, and empties the SIM", () =>
    Effect.gen(function* () {
      const m = modem("inbox");
      const network = served.farm.network;
      network.sendSms({ to: m.sim!.number, from: "+15550001111", text: "waiting before start" });
      network.sendSms({ to: m.sim!.number, from: "MyBank", text: "Код 4412" });
      yield* eventuallyEffect(() => m.sim!.storage.used === 2, "two stored messages");
      const { sink, parts } = yield* memorySink();
      const actor = yield* actorFor("inbox", sink);
      const events = yield* actor.events;
      expect((yield* Ref.get(parts)).map((p) => p.pdu.text).sort()).toEqual(["waiting before start", "Код 4412"].sort());
      expect(m.sim!.storage.used).toBe(0);
      const long = `${"Five parts of one long message, joined once. ".repeat(16)}END`;
      network.sendSms({ to: m.sim!.number, from: "+15550002222", text: long });
      const handed = yield* partsHandedOver(events, "+15550002222", 5);
      expect(handed.map((p) => p.pdu.concat?.seq).sort()).toEqual([1, 2, 3, 4, 5]);
      expect(handed.every((p) => p.pdu.concat?.total === 5 && p.pdu.concat.ref === handed[0]!.pdu.concat!.ref)).toBe(true);
      expect((yield* Ref.get(parts)).filter((p) => p.pdu.number === "+15550002222")).toHaveLength(5);
      expect(m.sim!.storage.used).toBe(0);
    }),
  );

  it.scopedLive("a message that came with no +CMTI is found by the periodic sweep", () =>
    Effect.gen(function* () {
      const m = modem("unannounced");
      const { sink, parts } = yield* memorySink();
      yield* actorFor("unannounced", sink, { sweepEveryMs: 200 });
      // Stored on the SIM with no notice at all, as when the URC was lost on the line.
      const network = served.farm.network;
      const cnmi = m.settings.cnmi[1];
      m.settings.cnmi[1] = 0;
      network.sendSms({ to: m.sim!.number, from: "+15550003333", text: "no notice came" });
      yield* eventuallyEffect(() => m.sim!.storage.used === 1, "the message on the SIM");
      m.settings.cnmi[1] = cnmi;
      yield* Effect.promise(() => eventuallyEffectPromise(parts, "no notice came"));
      // Deleted only after the sink has it: the delete follows the store by a command.
      yield* eventuallyEffect(() => m.sim!.storage.used === 0, "the message deleted from the SIM once stored");
    }),
  );

  it.scopedLive("a card swapped without a word: its messages are not put down to the card that left", () =>
    Effect.gen(function* () {
      const m = modem("swapped");
      const network = served.farm.network;
      const left = m.sim!;
      const { sink, parts } = yield* memorySink();
      const actor = yield* actorFor("swapped", sink);
      expect((yield* SubscriptionRef.get(actor.state)).sim?.iccid).toBe(left.iccid);
      const stranger = network.addSim({ iccid: "8900199000000000025", imsi: "001019900000002", number: "+15559900002", operator: left.spec.operator });
      m.faults.silentSimChange = true;
      m.setSim(stranger);
      network.sendSms({ to: stranger.number, from: "+15550004444", text: "for the card that came in" });
      yield* Effect.promise(() => eventuallyEffectPromise(parts, "for the card that came in"));
      const stored = (yield* Ref.get(parts)).filter((p) => p.pdu.text === "for the card that came in");
      expect(stored.map((p) => p.iccid)).toEqual([stranger.iccid]);
      expect((yield* SubscriptionRef.get(actor.state)).sim?.iccid).toBe(stranger.iccid);
      m.faults.silentSimChange = false;
    }),
  );

  it.scopedLive("a card switched between two parts of a long message: the rest is not sent from the card that came in", () =>
    Effect.gen(function* () {
      const m = modem("split");
      const network = served.farm.network;
      const left = m.sim!;
      const { sink } = yield* memorySink();
      const actor = yield* actorFor("split", sink);
      const stranger = network.addSim({ iccid: "8900199000000000033", imsi: "001019900000003", number: "+15559900003", operator: left.spec.operator });
      // The moment the network takes the first part, the card is switched, without a word
      // from the modem (as on bank boards whose SIM-detect pin is not wired).
      const submit = network.submit.bind(network);
      let parts = 0;
      network.submit = (sim, pdu, mr) => {
        submit(sim, pdu, mr);
        if (sim === left && ++parts === 1) {
          m.faults.silentSimChange = true;
          m.setSim(stranger);
        }
      };
      try {
        const text = "A long message that needs three parts. ".repeat(9).trim();
        const error = yield* actor.sendSms("+15550007777", text, { card: left.iccid }).pipe(Effect.flip);
        expect(error).toMatchObject({ _tag: "CardChanged", expected: left.iccid, found: stranger.iccid });
        // Part 1 went from the card it was for; nothing went from the stranger.
        expect(network.incompleteSubmits().filter((w) => w.sender.startsWith(`${left.iccid}>`)).map((w) => w.missing)).toEqual([[2, 3]]);
        expect(network.incompleteSubmits().filter((w) => w.sender.startsWith(`${stranger.iccid}>`))).toEqual([]);
        expect(network.submitted.filter((s) => s.fromIccid === stranger.iccid)).toEqual([]);
      } finally {
        network.submit = submit;
        m.faults.silentSimChange = false;
      }
    }),
  );

  it.scopedLive("a message the sink cannot store stays on the SIM and is taken by the next sweep", () =>
    Effect.gen(function* () {
      const m = modem("flaky-sink");
      const { sink, parts } = yield* memorySink(1);
      const actor = yield* actorFor("flaky-sink", sink);
      const events = yield* actor.events;
      served.farm.network.sendSms({ to: m.sim!.number, from: "+15550003333", text: "must not be lost" });
      const kept = yield* waitFor(events, (e): e is Extract<ModemEvent, { type: "sms-kept" }> => e.type === "sms-kept");
      expect(kept.reason).toBe("database unavailable");
      expect(m.sim!.storage.used).toBe(1);
      expect(yield* Ref.get(parts)).toEqual([]);
      yield* actor.sweep;
      expect((yield* Ref.get(parts)).map((p) => p.pdu.text)).toEqual(["must not be lost"]);
      expect(m.sim!.storage.used).toBe(0);
    }),
  );

  // What they make (one message in order; the gap marked by the store's release; a late part
  // filling it) is proven through the store in test/store/sink-e2e.test.ts.
  it.scopedLive("parts that arrive out of order, one never: each is handed over as it comes, none held back for the rest", () =>
    Effect.gen(function* () {
      const m = modem("gap");
      const { sink, parts } = yield* memorySink();
      const actor = yield* actorFor("gap", sink);
      const events = yield* actor.events;
      const text = `${"0123456789".repeat(15)}${"abcdefghij".repeat(15)}${"ABCDEFGHIJ".repeat(15)}`;
      served.farm.network.sendSms({ to: m.sim!.number, from: "+15550004444", text, onlyParts: [3, 1] });
      const handed = yield* partsHandedOver(events, "+15550004444", 2);
      expect(handed.map((p) => [p.pdu.concat?.seq, p.pdu.concat?.total])).toEqual([
        [3, 3],
        [1, 3],
      ]);
      expect(handed[1]!.pdu.text).toBe(text.slice(0, 153));
      expect((yield* Ref.get(parts)).filter((p) => p.pdu.number === "+15550004444")).toHaveLength(2);
      expect(m.sim!.storage.used).toBe(0);
    }),
  );
});

describe("modem actor: outgoing SMS", () => {
  const reportEvent = (e: ModemEvent): e is Extract<ModemEvent, { type: "status-report" }> => e.type === "status-report";

  it.scopedLive("sends every part of a long UCS2 message, and hands on each part's status report with its card", () =>
    Effect.gen(function* () {
      const { sink } = yield* memorySink();
      const actor = yield* actorFor("sender", sink);
      const events = yield* actor.events;
      const text = `${"Длинное сообщение в UCS2. ".repeat(10)}Конец`;
      const sms = yield* actor.sendSms("+15550009999", text, { statusReport: true });
      expect(sms.parts.map((p) => p.seq)).toEqual([1, 2, 3, 4]);
      expect(served.farm.network.submitted.at(-1)).toMatchObject({ to: "+15550009999", text, parts: 4 });
      const reports = [];
      for (let i = 0; i < 4; i++) reports.push((yield* waitFor(events, reportEvent)).report);
      expect(reports.map((r) => r.mr).sort()).toEqual(sms.parts.map((p) => p.mr).sort());
      expect(reports.every((r) => r.status === 0 && r.recipient === "+15550009999" && r.iccid === modem("sender").sim!.iccid)).toBe(true);
    }),
  );

  it.scopedLive("keeps the references across the wrap-around (255 then 0)", () =>
    Effect.gen(function* () {
      const { sink } = yield* memorySink();
      const actor = yield* actorFor("sender", sink);
      const events = yield* actor.events;
      modem("sender").nextMr = 255;
      const sms = yield* actor.sendSms("+15550009998", `${"wrap ".repeat(40)}end`, { statusReport: true });
      expect(sms.parts.map((p) => p.mr)).toEqual([255, 0]);
      const first = yield* waitFor(events, reportEvent);
      const second = yield* waitFor(events, reportEvent);
      expect([first.report.mr, second.report.mr].sort((a, b) => a - b)).toEqual([0, 255]);
    }),
  );

  it.scopedLive("a SIM switch runs alone, ahead of work already waiting (urgent beats interactive)", () =>
    Effect.gen(function* () {
      const { sink } = yield* memorySink();
      const actor = yield* actorFor("receiver", sink);
      const m = modem("receiver");
      const order: string[] = [];
      // Hold the port with a slow command, queue a raw command behind it, then ask for a switch.
      m.faults.lateMs = 60;
      const slow = yield* actor.raw("AT+CGMI").pipe(Effect.fork);
      while (!m.received().includes("AT+CGMI")) yield* Effect.sleep(2);
      const queued = yield* actor.raw("AT+CSQ").pipe(Effect.tap(() => Effect.sync(() => order.push("queued"))), Effect.fork);
      yield* actor.exclusive((at) =>
        Effect.gen(function* () {
          order.push("switch start");
          yield* at.command("AT+CFUN=4");
          yield* at.command("AT+CFUN=1");
          order.push("switch end");
        }),
      );
      yield* Fiber.join(slow);
      yield* Fiber.join(queued);
      m.faults.lateMs = 0;
      expect(order).toEqual(["switch start", "switch end", "queued"]);
    }),
  );

  it.scopedLive("a send the modem refuses surfaces +CMS ERROR: 500 as retryable", () =>
    Effect.gen(function* () {
      const { sink } = yield* memorySink();
      const actor = yield* actorFor("receiver", sink);
      modem("receiver").faults.failSend(1, 500);
      const error = yield* actor.sendSms("+15550009999", "refused").pipe(Effect.flip);
      expect(error._tag).toBe("AtModemError");
      if (error._tag === "AtModemError") expect(error.error).toMatchObject({ text: "+CMS ERROR: 500", retryable: true });
      expect((yield* actor.sendSms("+15550009999", "then accepted")).parts).toHaveLength(1);
    }),
  );
});

describe("modem actor: registration and SIM changes", () => {
  it.scopedLive("follows registration loss and return, and a SIM pulled and put back; messages sent meanwhile arrive", () =>
    Effect.gen(function* () {
      const m = modem("regloss");
      const { sink, parts } = yield* memorySink();
      const actor = yield* actorFor("regloss", sink);
      const until = (want: number) =>
        Effect.gen(function* () {
          while (simStatusOf(yield* SubscriptionRef.get(actor.state)) !== want) yield* Effect.sleep(10);
        // A wait, not a measure of speed: generous, for a machine busy with other suites.
        }).pipe(Effect.timeoutFail({ duration: 10_000, onTimeout: () => new Error(`simStatus never became ${want}`) }));
      m.overrideRegistration(2);
      yield* until(2);
      m.overrideRegistration(5);
      yield* until(5);
      m.overrideRegistration(null);
      yield* until(1);
      const sim = m.sim!;
      m.setSim(null);
      yield* until(-1);
      // The SMSC keeps this while the card is out, and delivers when it is back.
      served.farm.network.sendSms({ to: sim.number, from: "+15550005555", text: "sent while the SIM was out" });
      m.setSim(sim);
      yield* until(1);
      expect((yield* SubscriptionRef.get(actor.state)).sim?.iccid).toBe(sim.iccid);
      while (!(yield* Ref.get(parts)).some((p) => p.pdu.text === "sent while the SIM was out")) yield* Effect.sleep(10);
      // Deleted from the SIM right after the sink stored it.
      while (sim.storage.used > 0) yield* Effect.sleep(10);
    }).pipe(Effect.timeout(30_000)),
    60_000,
  );
});

describe("modem actor: USSD", () => {
  for (const id of ["generic", "huawei", "quectel", "sim800"]) {
    it.scopedLive(`${id}: balance, a two-step menu session, and the error release`, () =>
      Effect.gen(function* () {
        const { sink } = yield* memorySink();
        const port = yield* makeAtPort(yield* openSerial(served.pathOf(id)!));
        const actor = yield* makeModemActor(port, { sink, ussd: { releaseGraceMs: 100 } });
        const m = modem(id);
        const balance = yield* actor.ussd("*100#");
        expect(balance).toMatchObject({ status: "done", sessionOpen: false });
        expect(balance.text).toBe(`Balance: ${m.sim!.balance.toFixed(2)} ${m.network.operatorOf(m.sim!).currency}`);
        const menu = yield* actor.ussd("*123#");
        expect(menu).toMatchObject({ status: "more", sessionOpen: true });
        expect(menu.text.split("\n")[0]).toBe("Main menu");
        const tariffs = yield* actor.ussd("2");
        expect(tariffs.text.split("\n")[0]).toBe("Tariffs");
        const leaf = yield* actor.ussd("2");
        expect(leaf).toMatchObject({ status: "done", text: "Unlimited: 10.00 per day" });
        const released = yield* actor.ussd("*999#");
        expect(released).toMatchObject({ status: "terminated", text: "Service temporarily unavailable. Please try later." });
        const unsupported = yield* actor.ussd("*555#").pipe(Effect.flip);
        expect(unsupported).toMatchObject({ _tag: "UssdError", reason: "unsupported" });
      }),
    );
  }

  it.scopedLive("a reply that never comes fails after the timeout and the session is cancelled", () =>
    Effect.gen(function* () {
      const { sink } = yield* memorySink();
      const port = yield* makeAtPort(yield* openSerial(served.pathOf("receiver")!));
      const actor = yield* makeModemActor(port, { sink, ussd: { replyTimeoutMs: 200 } });
      served.farm.network.setUssdService("simnet", "*777#", { kind: "reply", text: "late" });
      served.farm.network.setUssdService("lumen", "*777#", { kind: "reply", text: "late" });
      served.farm.network.setUssdService("orbit", "*777#", { kind: "reply", text: "late" });
      modem("receiver").faults.lateMs = 0;
      // The network is slow: the reply comes after the caller gave up.
      const slow = served.farm.network.delays;
      const original = slow.of.bind(slow);
      slow.of = (kind) => (kind === "ussdMs" ? 600 : original(kind));
      const error = yield* actor.ussd("*777#").pipe(Effect.flip, Effect.ensuring(Effect.sync(() => (slow.of = original))));
      expect(error).toMatchObject({ _tag: "UssdError", reason: "no-reply" });
      expect(modem("receiver").received().at(-1)).toBe("AT+CUSD=2");
    }),
  );
});

describe("modem actor: calls", () => {
  const callEvent = (state: string) => (e: ModemEvent): e is Extract<ModemEvent, { type: "call" }> => e.type === "call" && e.call.state === state;

  it.scopedLive("incoming: rings with the caller's number, is answered, and ends when the far end hangs up", () =>
    Effect.gen(function* () {
      const { sink } = yield* memorySink();
      const port = yield* makeAtPort(yield* openSerial(served.pathOf("quectel")!));
      const actor = yield* makeModemActor(port, { sink, callPollMs: 50 });
      const events = yield* actor.events;
      served.farm.network.callSim({ to: modem("quectel").sim!.number, from: "+15550008888", hangupAfterMs: 150 });
      const ringing = yield* waitFor(events, (e): e is Extract<ModemEvent, { type: "call" }> => e.type === "call" && e.call.number !== null);
      expect(ringing.call).toMatchObject({ direction: "incoming", state: "ringing", number: "+15550008888" });
      yield* actor.answer;
      const ended = yield* waitFor(events, callEvent("ended"));
      expect(ended.call).toMatchObject({ endReason: "no-carrier", number: "+15550008888" });
      expect(ended.call.answeredAt).not.toBeNull();
      expect(ended.call.endedAt!.getTime()).toBeGreaterThanOrEqual(ended.call.answeredAt!.getTime());
    }),
  );

  it.scopedLive("outgoing: dialling, answered (from +CLCC), hung up; a busy number ends BUSY", () =>
    Effect.gen(function* () {
      const { sink } = yield* memorySink();
      const port = yield* makeAtPort(yield* openSerial(served.pathOf("sim800")!));
      const actor = yield* makeModemActor(port, { sink, callPollMs: 30 });
      const events = yield* actor.events;
      served.farm.network.setExternalCallBehaviour("+15551112222", { kind: "answer", answerAfterMs: 50 });
      const call = yield* actor.dial("+15551112222");
      expect(call.state).toBe("dialing");
      yield* waitFor(events, callEvent("active"));
      yield* actor.hangup;
      expect((yield* waitFor(events, callEvent("ended"))).call.endReason).toBe("hangup");
      served.farm.network.setExternalCallBehaviour("+15553334444", { kind: "busy" });
      yield* actor.dial("+15553334444");
      expect((yield* waitFor(events, callEvent("ended"))).call.endReason).toBe("busy");
      expect((yield* actor.dial("not a number").pipe(Effect.flip))._tag).toBe("CallError");
    }),
  );
});
