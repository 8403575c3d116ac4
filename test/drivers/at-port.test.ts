import { describe, expect, it } from "@effect/vitest";
import { afterAll, beforeAll } from "vitest";
import { Effect, Fiber, Queue, SubscriptionRef } from "effect";
import { encodeSubmit } from "../../protocol/sms/encode";
import { makeAtPort, type AtPortOptions, type PortEvent } from "../../drivers/at/at-port";
import { openSerial } from "../../drivers/transport/serial";
import { openTcp } from "../../drivers/transport/tcp";
import { Farm } from "../../hil/farm";
import { ServedFarm } from "../../hil/serve";
import { eventuallyEffect } from "../support/eventually";

// The AT port against simulated modems on real pseudo-terminals, opened with serialport.
let served: ServedFarm;
const ids = ["basic", "urc", "prompt", "hang", "late", "noise", "prio", "ussd", "gone", "tcp", "nosim", "leftprompt"];

beforeAll(async () => {
  const farm = new Farm({ modems: ids.map((id) => ({ id, ...(id === "nosim" ? { sim: null } : {}) })) });
  served = await ServedFarm.start(farm, { tcpBasePort: 0 });
  await farm.settled();
});
afterAll(async () => served?.stop());

const modem = (id: string) => served.farm.modem(id);
const portFor = (id: string, options?: AtPortOptions) =>
  Effect.flatMap(openSerial(served.pathOf(id)!), (transport) => makeAtPort(transport, options));

/** Takes events until one matches, failing after timeoutMs. */
const nextEvent = (events: Queue.Dequeue<PortEvent>, match: (e: PortEvent) => boolean, timeoutMs = 3000) =>
  Queue.take(events).pipe(
    Effect.repeat({ until: match }),
    Effect.timeoutFail({ duration: timeoutMs, onTimeout: () => new Error("no matching port event") }),
  );

describe("AT port", () => {
  it.scopedLive("answers commands with their information lines, echo on or off", () =>
    Effect.gen(function* () {
      const port = yield* portFor("basic");
      const imei = yield* port.command("AT+CGSN");
      expect(imei.lines).toEqual([modem("basic").imei]);
      expect(imei.final).toEqual({ kind: "ok" });
      yield* port.command("ATE0");
      expect((yield* port.command("AT+CSQ")).lines).toEqual(["+CSQ: 20,99"]);
      expect((yield* port.command("AT+CGMI;+CGMM")).lines).toEqual(["SIMGATE", "VIRTUAL-3GPP"]);
    }),
  );

  it.scopedLive("surfaces modem errors with their code, name and whether a retry can help", () =>
    Effect.gen(function* () {
      const port = yield* portFor("nosim");
      yield* port.command("AT+CMEE=1");
      const error = yield* port.command("AT+CIMI").pipe(Effect.flip);
      expect(error._tag).toBe("AtModemError");
      if (error._tag !== "AtModemError") return;
      expect(error.error).toMatchObject({ family: "CME", code: 10, name: "SIM not inserted", retryable: false, text: "+CME ERROR: 10" });
      expect(error.message).toContain("+CME ERROR: 10");
    }),
  );

  it.scopedLive("a URC inside a reply goes to subscribers, not into the reply", () =>
    Effect.gen(function* () {
      const port = yield* portFor("urc");
      const events = yield* port.events;
      modem("urc").faults.injectUrcInResponse('+CMTI: "SM",4');
      const reply = yield* port.command("AT+CSQ");
      expect(reply.lines).toEqual(["+CSQ: 20,99"]);
      const event = yield* nextEvent(events, (e) => e.type === "urc");
      expect(event).toMatchObject({ type: "urc", urc: { kind: "sms-stored", line: '+CMTI: "SM",4' } });
    }),
  );

  it.scopedLive("sends a PDU through the prompt, also when a URC lands just before it", () =>
    Effect.gen(function* () {
      const port = yield* portFor("prompt");
      yield* port.command("AT+CMEE=1");
      const events = yield* port.events;
      const parts = encodeSubmit({ to: "+15550006666", text: "through the prompt" });
      if (!parts.ok) throw parts.error;
      const [part] = parts.value;
      modem("prompt").faults.injectUrcAtPrompt("RING");
      const sent = yield* port.commandWithBody(`AT+CMGS=${part!.tpduLength}`, part!.pdu);
      expect(sent.lines[0]).toMatch(/^\+CMGS: \d+$/);
      expect(yield* nextEvent(events, (e) => e.type === "urc")).toMatchObject({ urc: { kind: "ring" } });
      expect(served.farm.network.submitted.at(-1)?.text).toBe("through the prompt");
      // A modem error after the body is surfaced with its code.
      modem("prompt").faults.failSend(1, 500);
      const failed = yield* port.commandWithBody(`AT+CMGS=${part!.tpduLength}`, part!.pdu).pipe(Effect.flip);
      expect(failed._tag === "AtModemError" && failed.error.text).toBe("+CMS ERROR: 500");
    }),
  );

  it.scopedLive("a hung modem times out, the port resyncs once it answers, and reports each state", () =>
    Effect.gen(function* () {
      const port = yield* portFor("hang", { resyncAttempts: 2, resyncTimeoutMs: 100, timeouts: { query: 150 } });
      const events = yield* port.events;
      modem("hang").faults.hanging = true;
      const error = yield* port.command("AT+CSQ").pipe(Effect.flip);
      expect(error).toMatchObject({ _tag: "AtTimeout", afterMs: 150, waitingFor: "reply" });
      expect(yield* nextEvent(events, (e) => e.type === "state" && e.state === "unresponsive")).toBeTruthy();
      modem("hang").faults.hanging = false;
      expect((yield* port.command("AT+CSQ")).lines).toEqual(["+CSQ: 20,99"]);
      expect(yield* SubscriptionRef.get(port.state)).toBe("ready");
    }),
  );

  // A host killed between the SMS prompt and the body leaves the modem in text entry: every
  // line the next host writes is taken as the message's text. The resync's ESC ends it.
  it.scopedLive("a modem left in an SMS prompt by a killed host is heard again after the resync", () =>
    Effect.gen(function* () {
      const parts = encodeSubmit({ to: "+15550001111", text: "never finished" });
      if (!parts.ok) throw parts.error;
      const [part] = parts.value;
      const killed = yield* Effect.scoped(Effect.flatMap(openSerial(served.pathOf("leftprompt")!), (transport) =>
        Effect.gen(function* () {
          let heard = "";
          const stop = transport.listen({ data: (chunk) => void (heard += Buffer.from(chunk).toString("latin1")), end: () => undefined });
          transport.send(`AT+CMGS=${part!.tpduLength}\r`);
          yield* eventuallyEffect(() => heard.includes("> "), "the prompt", 3000);
          stop();
        }),
      )).pipe(Effect.either);
      expect(killed._tag).toBe("Right");
      const port = yield* portFor("leftprompt", { resyncAttempts: 2, resyncTimeoutMs: 300, timeouts: { query: 300 } });
      // The first command is swallowed as text; the resync cancels the prompt and finds the modem.
      const first = yield* port.command("AT").pipe(Effect.either);
      expect(first._tag).toBe("Left");
      expect(yield* SubscriptionRef.get(port.state)).toBe("ready");
      expect((yield* port.command("AT+CSQ")).lines).toEqual(["+CSQ: 20,99"]);
      expect(served.farm.network.submitted.filter((s) => s.text === "never finished")).toEqual([]);
    }),
  );

  it.scopedLive("a late reply after a timeout is never handed to the next command", () =>
    Effect.gen(function* () {
      const port = yield* portFor("late", { resyncTimeoutMs: 600, timeouts: { query: 100 } });
      yield* port.command("ATE0");
      const m = modem("late");
      m.faults.lateMs = 250;
      const timedOut = yield* port.command("AT+CGSN").pipe(Effect.flip);
      expect(timedOut._tag).toBe("AtTimeout");
      m.faults.lateMs = 0;
      // The IMEI arrives late; the next command must get its own answer.
      const signal = yield* port.command("AT+CSQ");
      expect(signal.lines).toEqual(["+CSQ: 20,99"]);
      expect((yield* port.command("AT+CGMI")).lines).toEqual(["SIMGATE"]);
    }),
  );

  it.scopedLive("line noise does not break the next command", () =>
    Effect.gen(function* () {
      const port = yield* portFor("noise");
      const events = yield* port.events;
      modem("noise").injectGarbage("\x00\xff#@!garbage\r\n");
      expect((yield* nextEvent(events, (e) => e.type === "stray")) as { text: string }).toMatchObject({ type: "stray" });
      expect((yield* port.command("AT+CSQ")).lines).toEqual(["+CSQ: 20,99"]);
    }),
  );

  it.scopedLive("urgent work overtakes queued bulk work; an exclusive operation runs alone", () =>
    Effect.gen(function* () {
      const port = yield* portFor("prio");
      yield* port.command("ATE0");
      modem("prio").faults.lateMs = 40;
      const order: string[] = [];
      const tagged = (name: string, effect: Effect.Effect<unknown, unknown>) => effect.pipe(Effect.tap(() => Effect.sync(() => order.push(name))));
      const bulk = yield* Effect.forEach([1, 2, 3, 4], (n) => tagged(`bulk${n}`, port.command("AT+CSQ", { priority: "bulk" })), {
        concurrency: "unbounded",
      }).pipe(Effect.fork);
      // Wait until bulk1 is on the wire (the modem has it), not for a guessed time.
      yield* eventuallyEffect(() => modem("prio").received().includes("AT+CSQ"), "bulk1 on the wire");
      const urgent = yield* tagged("urgent", port.command("ATH", { priority: "urgent" })).pipe(Effect.fork);
      const exclusive = yield* tagged(
        "exclusive",
        port.exclusive((at) =>
          Effect.gen(function* () {
            // Inside, commands run directly and nothing queued interleaves.
            const a = yield* at.command("AT+CGMI");
            const b = yield* at.command("AT+CGMM");
            return [...a.lines, ...b.lines];
          }),
        ),
      ).pipe(Effect.fork);
      yield* Fiber.join(bulk);
      yield* Fiber.join(urgent);
      expect(yield* Fiber.join(exclusive)).toEqual(["SIMGATE", "VIRTUAL-3GPP"]);
      modem("prio").faults.lateMs = 0;
      // bulk1 was already in flight; the urgent and exclusive work go next, then the rest.
      expect(order).toEqual(["bulk1", "urgent", "exclusive", "bulk2", "bulk3", "bulk4"]);
    }),
  );

  it.scopedLive("a +CUSD reply after OK reaches the subscriber", () =>
    Effect.gen(function* () {
      const port = yield* portFor("ussd");
      const events = yield* port.events;
      yield* port.command('AT+CUSD=1,"*100#",15');
      const event = yield* nextEvent(events, (e) => e.type === "urc" && e.urc.kind === "ussd");
      expect(event).toMatchObject({ urc: { line: expect.stringMatching(/^\+CUSD: 0,"Balance: /) } });
    }),
  );

  it.scopedLive("the device vanishing fails the command in flight and every later one with AtPortClosed", () =>
    Effect.gen(function* () {
      const port = yield* portFor("gone");
      yield* port.command("AT");
      modem("gone").faults.lateMs = 500;
      const inFlight = yield* port.command("AT+CSQ").pipe(Effect.flip, Effect.fork);
      // Unplug while the command is on the wire (the modem has it, its reply is held back).
      yield* eventuallyEffect(() => modem("gone").received().includes("AT+CSQ"), "AT+CSQ on the wire");
      yield* Effect.promise(() => served.unplug("gone"));
      expect((yield* Fiber.join(inFlight))._tag).toBe("AtPortClosed");
      expect(yield* SubscriptionRef.get(port.state)).toBe("gone");
      expect((yield* port.command("AT").pipe(Effect.flip))._tag).toBe("AtPortClosed");
      yield* Effect.promise(() => served.replug("gone"));
    }),
  );

  it.scopedLive("works the same over a raw TCP port", () =>
    Effect.gen(function* () {
      const transport = yield* openTcp(`tcp://127.0.0.1:${served.tcpPortOf("tcp")}`);
      const port = yield* makeAtPort(transport);
      expect((yield* port.command("AT+CGSN")).lines).toEqual([modem("tcp").imei]);
    }),
  );

  it.scopedLive("a second program cannot open a port that is in use", () =>
    Effect.gen(function* () {
      yield* openSerial(served.pathOf("basic")!);
      const second = yield* Effect.scoped(openSerial(served.pathOf("basic")!)).pipe(Effect.flip);
      expect(second).toMatchObject({ _tag: "TransportError", reason: "open-failed" });
    }),
  );
});



describe("AT port: multi-line +CUSD", () => {
  it.scopedLive("joins a quoted USSD text that spans lines into one unsolicited code", () =>
    Effect.gen(function* () {
      const port = yield* portFor("ussd");
      const events = yield* port.events;
      yield* port.command('AT+CUSD=1,"*123#",15');
      const event = yield* nextEvent(events, (e) => e.type === "urc" && e.urc.kind === "ussd");
      expect(event).toMatchObject({ urc: { line: '+CUSD: 1,"Main menu\n1. Balance\n2. Tariffs\n0. Exit",15' } });
      yield* port.command("AT+CUSD=2");
    }),
  );
});

describe("AT port: codes right behind a final result", () => {
  it.scopedLive("BUSY arriving just after the OK of ATD is a call-ended code, not part of the dial", () =>
    Effect.gen(function* () {
      const port = yield* portFor("basic");
      const events = yield* port.events;
      served.farm.network.setExternalCallBehaviour("+15550007000", { kind: "busy" });
      const reply = yield* port.command("ATD+15550007000;");
      expect(reply.finalText).toBe("OK");
      const ended = yield* nextEvent(events, (e) => e.type === "urc");
      expect(ended).toMatchObject({ urc: { kind: "call-ended", line: "BUSY" } });
    }),
  );
});
