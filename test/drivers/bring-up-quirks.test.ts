import { describe, expect, it } from "@effect/vitest";
import { Effect, Fiber, Queue, Stream, SubscriptionRef } from "effect";
import type { PortEvent } from "../../drivers/at/at-port";
import { bringUp, probe, readIdentity, readSim } from "../../drivers/modem/bring-up";
import { makeModemActor, type ModemEvent } from "../../drivers/modem/modem-actor";
import { GENERIC_PROFILE } from "../../drivers/modem/profiles";
import type { SmsSink } from "../../drivers/modem/sms-inbox";
import { encodeSubmit } from "../../protocol/sms/encode";
import { ReplayModem } from "../../hil/modem/replay";
import { eventuallyEffect } from "../support/eventually";
import { portTo, takeUntil, useSimFarm } from "./sim-line";

// Issue 18's defects in bring-up and the AT port, each reproduced with a simulator fault: a
// modem whose replies differ from what simgate's own simulator says by default.
const start = useSimFarm();
const sink: SmsSink = { storePart: () => Effect.void };

describe("defect 1: any final result proves an AT port", () => {
  for (const [what, reply] of [
    ["ERROR", { lines: [], final: "ERROR" }],
    ["+CME ERROR: 100", { lines: [], final: { cme: 100 } }],
  ] as const) {
    it.scopedLive(`a modem answering ${what} to a bare AT is found and brought up`, () =>
      Effect.gen(function* () {
        const farm = yield* Effect.promise(() => start({ modems: [{ id: "a" }] }));
        const modem = farm.modem("a");
        modem.settings.cmee = 1;
        modem.faults.overrideCommand({ command: "AT", reply });
        const port = yield* portTo(modem);
        yield* probe(port, { attempts: 2, timeoutMs: 300 });
        const up = yield* bringUp(port, { attempts: 2, timeoutMs: 300 });
        expect(up.snapshot.identity?.imei).toBe(modem.imei);
        expect(up.snapshot.sim?.iccid).toBe(modem.sim!.iccid);
      }),
    );
  }

  it.scopedLive("silence is still silence", () =>
    Effect.gen(function* () {
      const farm = yield* Effect.promise(() => start({ modems: [{ id: "a" }] }));
      farm.modem("a").faults.hanging = true;
      const port = yield* portTo(farm.modem("a"), { resyncAttempts: 1, resyncTimeoutMs: 50 });
      const failed = yield* probe(port, { attempts: 2, timeoutMs: 50 }).pipe(Effect.flip);
      expect(failed.reason).toMatch(/no answer to AT after 2 tries/);
    }),
  );
});

describe("defect 2: identity is read field by field, with fallbacks", () => {
  it.scopedLive("+CGMM and +CGSN failing: +GMM and +GSN answer; bring-up succeeds", () =>
    Effect.gen(function* () {
      const farm = yield* Effect.promise(() => start({ modems: [{ id: "a" }] }));
      const modem = farm.modem("a");
      modem.faults.overrideCommand({ command: "+CGMM", reply: { lines: [], final: "ERROR" } });
      modem.faults.overrideCommand({ command: "+CGSN", reply: { lines: [], final: { cme: 4 } } });
      const port = yield* portTo(modem);
      const up = yield* bringUp(port);
      expect(up.snapshot.identity).toMatchObject({ manufacturer: "SIMGATE", model: "VIRTUAL-3GPP", revision: "1.0.0", imei: modem.imei });
      expect(up.snapshot.identity?.unreadable ?? []).toEqual([]);
      // The failed commands are reported with the modem's words.
      expect(up.problems.map((p) => p.command)).toEqual(expect.arrayContaining(["AT+CGMM", "AT+CGSN"]));
      expect(up.problems.find((p) => p.command === "AT+CGSN")?.error).toMatch(/CME ERROR: 4/);
    }),
  );

  it.scopedLive("every +CG and +G identity command failing: ATI gives what it has; the rest is named", () =>
    Effect.gen(function* () {
      const farm = yield* Effect.promise(() => start({ modems: [{ id: "a", personality: "huawei-e173" }] }));
      const modem = farm.modem("a");
      for (const command of ["+CGMI", "+GMI", "+CGMM", "+GMM", "+CGSN", "+GSN", "+CGMR", "+GMR"])
        modem.faults.overrideCommand({ command, reply: { lines: [], final: "ERROR" } });
      const port = yield* portTo(modem);
      const up = yield* bringUp(port);
      // The E173's ATI prints "Manufacturer: huawei", "Model: E173", "Revision: ...", "IMEI: ...".
      expect(up.snapshot.identity).toMatchObject({ manufacturer: "huawei", model: "E173", revision: "11.126.16.04.284", imei: modem.imei });
      expect(up.profile.name).toBe("huawei");
    }),
  );

  it.scopedLive("a field nothing answers stays empty and is listed as unreadable", () =>
    Effect.gen(function* () {
      const farm = yield* Effect.promise(() => start({ modems: [{ id: "a", personality: "quectel-ec25" }] }));
      const modem = farm.modem("a");
      for (const command of ["+CGSN", "+GSN", "I", "I3"]) modem.faults.overrideCommand({ command, reply: { lines: [], final: "ERROR" } });
      const port = yield* portTo(modem);
      const identity = yield* readIdentity(port);
      expect(identity).toMatchObject({ manufacturer: "Quectel", model: "EC25", imei: "", unreadable: ["imei"] });
      const up = yield* bringUp(port);
      expect(up.snapshot.sim?.iccid).toBe(modem.sim!.iccid);
      expect(up.problems.some((p) => p.command === "identity" && /imei/.test(p.error))).toBe(true);
    }),
  );
});

describe("defect 3: an error answer to the resync query is an answer", () => {
  it.scopedLive("after a timeout, a modem that answers AT+CMEE? with ERROR is ready again, not unresponsive", () =>
    Effect.gen(function* () {
      const farm = yield* Effect.promise(() => start({ modems: [{ id: "a" }] }));
      const modem = farm.modem("a");
      const port = yield* portTo(modem, { resyncAttempts: 3, resyncTimeoutMs: 400 });
      const events = yield* port.events;
      modem.faults.overrideCommand({ command: "+CMEE?", reply: { lines: [], final: "ERROR" } });
      modem.faults.overrideCommand({ command: "+CSQ", delayMs: 300, times: 1 });
      const timedOut = yield* port.command("AT+CSQ", { timeoutMs: 100 }).pipe(Effect.flip);
      expect(timedOut._tag).toBe("AtTimeout");
      const states: string[] = [];
      yield* takeUntil(events, (e): e is PortEvent => (e.type === "state" && states.push(e.state) > 0 && e.state !== "resyncing"), 3_000, "port state");
      expect(states).toEqual(["resyncing", "ready"]);
      // The late +CSQ reply was not handed to the next command.
      expect((yield* port.command("AT+CGMI")).lines).toEqual(["SIMGATE"]);
      expect(yield* SubscriptionRef.get(port.state)).toBe("ready");
    }),
  );
});

describe("defect 4: an error in place of the SMS prompt ends the wait at once", () => {
  for (const [what, reply, family, code] of [
    ["+CMS ERROR: 330 (no SMSC)", { lines: [], final: { cms: 330 } }, "CMS", 330],
    ["ERROR", { lines: [], final: "ERROR" }, "ERROR", null],
  ] as const) {
    it.scopedLive(`AT+CMGS answered by ${what}: the error with its code, long before the prompt timeout`, () =>
      Effect.gen(function* () {
        const farm = yield* Effect.promise(() => start({ modems: [{ id: "a" }] }));
        const modem = farm.modem("a");
        const port = yield* portTo(modem, { promptTimeoutMs: 10_000 });
        yield* port.command("AT+CMEE=1");
        modem.faults.overrideCommand({ command: "+CMGS=", reply, times: 1 });
        const parts = encodeSubmit({ to: "+15550006666", text: "no prompt" });
        if (!parts.ok) throw parts.error;
        const [part] = parts.value;
        const started = Date.now();
        const error = yield* port.commandWithBody(`AT+CMGS=${part!.tpduLength}`, part!.pdu).pipe(Effect.flip);
        expect(Date.now() - started).toBeLessThan(2_000);
        expect(error._tag).toBe("AtModemError");
        if (error._tag !== "AtModemError") return;
        expect(error.error.family).toBe(family);
        expect(error.error.code).toBe(code);
        // No body was typed into the modem, and the port is usable at once.
        expect(modem.received().some((l) => l.includes("Ctrl-Z") || l.includes("<ESC>"))).toBe(false);
        expect((yield* port.command("AT+CGMI")).lines).toEqual(["SIMGATE"]);
        expect(yield* SubscriptionRef.get(port.state)).toBe("ready");
      }),
    );
  }
});

describe("defect 5: a card whose ICCID no command reads", () => {
  const noIccidCommands = ["+CCID", "+ICCID"];

  it.scopedLive("the ICCID comes from the SIM file (AT+CRSM=176,12258,0,0,10, nibbles swapped)", () =>
    Effect.gen(function* () {
      const farm = yield* Effect.promise(() => start({ modems: [{ id: "a" }] }));
      const modem = farm.modem("a");
      for (const command of noIccidCommands) modem.faults.overrideCommand({ command, reply: { lines: [], final: "ERROR" } });
      const port = yield* portTo(modem);
      yield* port.command("AT+CMEE=1");
      const sim = yield* readSim(port, GENERIC_PROFILE);
      expect(sim).toMatchObject({ lock: "READY", iccid: modem.sim!.iccid, iccidSource: "sim-file", imsi: modem.sim!.spec.imsi });
      expect(modem.received()).toContain("AT+CRSM=176,12258,0,0,10");
    }),
  );

  it.scopedLive("nothing reads it: the card is registered under its IMSI, said so, and re-keyed when the ICCID is readable", () =>
    Effect.gen(function* () {
      const farm = yield* Effect.promise(() => start({ modems: [{ id: "a" }] }));
      const modem = farm.modem("a");
      for (const command of [...noIccidCommands, "+CRSM"]) modem.faults.overrideCommand({ command, reply: { lines: [], final: "ERROR" } });
      const port = yield* portTo(modem);
      const actor = yield* makeModemActor(port, { sink, sweepEveryMs: 0 });
      const events = yield* actor.events;
      const s = yield* SubscriptionRef.get(actor.state);
      expect(s.sim).toMatchObject({ lock: "READY", iccid: `imsi:${modem.sim!.spec.imsi}`, iccidSource: "imsi-fallback" });
      expect(yield* actor.simStatus).toBe(1);
      modem.faults.clear();
      yield* actor.refreshSim;
      const after = yield* SubscriptionRef.get(actor.state);
      expect(after.sim?.iccid).toBe(modem.sim!.iccid);
      expect(after.sim?.iccidSource).toBeUndefined();
      const rekey = yield* takeUntil(events, (e): e is Extract<ModemEvent, { type: "card-rekeyed" }> => e.type === "card-rekeyed", 1_000, "card-rekeyed");
      expect(rekey).toMatchObject({ from: `imsi:${modem.sim!.spec.imsi}`, to: modem.sim!.iccid });
    }),
  );
});

describe("defect 7: a slow SIM", () => {
  it.scopedLive("+CPIN? slower than a quick query still reads READY (SIM reads have their own timeout class)", () =>
    Effect.gen(function* () {
      const farm = yield* Effect.promise(() => start({ modems: [{ id: "a" }] }));
      const modem = farm.modem("a");
      modem.faults.overrideCommand({ command: "+CPIN?", delayMs: 600 });
      const port = yield* portTo(modem, { timeouts: { query: 250 } });
      const up = yield* bringUp(port);
      expect(up.snapshot.sim).toMatchObject({ lock: "READY", iccid: modem.sim!.iccid });
    }),
  );

  it.scopedLive("an unsolicited +CPIN: READY makes the SIM ready, even while +CPIN? still says busy", () =>
    Effect.gen(function* () {
      const farm = yield* Effect.promise(() =>
        start({
          modems: [{ id: "a", sim: "8900101000000001111" }],
          sims: [
            { iccid: "8900101000000001111", imsi: "001010000001111", number: "+15550001111", operator: "simnet" },
            { iccid: "8900101000000002222", imsi: "001010000002222", number: "+15550002222", operator: "simnet" },
          ],
        }),
      );
      const modem = farm.modem("a");
      const port = yield* portTo(modem);
      const actor = yield* makeModemActor(port, { sink, sweepEveryMs: 0, simCheckMs: 60_000 });
      const next = farm.network.sims.get("8900101000000002222")!;
      const ready = yield* actor.state.changes.pipe(
        Stream.filter((s) => s.sim?.lock === "READY" && s.sim.iccid === next.iccid),
        Stream.runHead,
        Effect.timeoutFail({ duration: 5_000, onTimeout: () => new Error("the new card never became ready") }),
        Effect.fork,
      );
      // The new card answers +CPIN? with "SIM busy" for a long while, as cards do right after a switch.
      modem.faults.overrideCommand({ command: "+CPIN?", reply: { lines: [], final: { cme: 14 } } });
      modem.setSim(next);
      yield* Fiber.join(ready);
      expect(yield* actor.simStatus).toBe(1);
    }),
  );
});

describe("text in the TE character set in force", () => {
  const operators = [
    {
      id: "at",
      name: "Sim@Net",
      shortName: "SIM@",
      mccmnc: "00101",
      smsc: "+10010000001",
      ussd: { "*100#": { kind: "reply" as const, text: "Your balance: 5$ @ 1" } },
    },
  ];

  it.scopedLive("a modem that refuses +CSCS=\"GSM\" stays in IRA: the operator and USSD texts are read in IRA", () =>
    Effect.gen(function* () {
      const farm = yield* Effect.promise(() => start({ operators, modems: [{ id: "a" }] }));
      const modem = farm.modem("a");
      modem.faults.overrideCommand({ command: "+CSCS=", reply: { lines: [], final: "ERROR" } });
      const port = yield* portTo(modem);
      const actor = yield* makeModemActor(port, { sink, sweepEveryMs: 0 });
      expect((yield* SubscriptionRef.get(actor.state)).operator).toBe("Sim@Net");
      const reply = yield* actor.ussd("*100#");
      expect(reply.text).toBe("Your balance: 5$ @ 1");
    }),
  );

  it.scopedLive("with +CSCS=\"GSM\" in force the same texts are read in the GSM alphabet", () =>
    Effect.gen(function* () {
      const farm = yield* Effect.promise(() => start({ operators, modems: [{ id: "a" }] }));
      const port = yield* portTo(farm.modem("a"));
      const actor = yield* makeModemActor(port, { sink, sweepEveryMs: 0 });
      expect((yield* SubscriptionRef.get(actor.state)).operator).toBe("Sim@Net");
      expect((yield* actor.ussd("*100#")).text).toBe("Your balance: 5$ @ 1");
    }),
  );
});

describe("a restart that prints nothing", () => {
  it.scopedLive("echo coming back after ATE0 is taken as a silent restart: settings again and a sweep, as an event", () =>
    Effect.gen(function* () {
      const farm = yield* Effect.promise(() => start({ modems: [{ id: "a" }] }));
      const modem = farm.modem("a");
      const port = yield* portTo(modem);
      const actor = yield* makeModemActor(port, { sink, sweepEveryMs: 0 });
      const events = yield* actor.events;
      expect(modem.settings.echo).toBe(false);
      // The generic module prints no boot line: nothing says it restarted but its echo.
      modem.reboot();
      yield* actor.raw("AT+CSQ");
      const recovery = yield* takeUntil(events, (e): e is Extract<ModemEvent, { type: "recovery" }> => e.type === "recovery", 3_000, "recovery");
      expect(recovery.detail).toMatch(/restarted without notice/);
      // The sweep passes through SR for status reports; wait until it is back on SM.
      yield* eventuallyEffect(() => !modem.settings.echo && modem.settings.cmee === 1 && modem.settings.cpms[0] === "SM", "the settings made again");
      expect(modem.settings).toMatchObject({ echo: false, cmee: 1, cpms: ["SM", "SM", "SM"] });
    }),
  );
});

describe("tolerance: a stray final result after an error", () => {
  it.scopedLive("an OK behind +CMS ERROR (seen on modems that print both) is not the next command's answer", () =>
    Effect.gen(function* () {
      const modem = new ReplayModem({
        name: "error-then-ok",
        description: "an error followed by a stray OK",
        source: "constructed",
        entries: [
          { command: "AT+CMGD=1", reply: "\r\n+CMS ERROR: 321\r\n" },
          // The stray OK comes in a read of its own, a moment later.
          { urc: "\r\nOK\r\n", delayMs: 5 },
          { command: "AT+CGMI", reply: "\r\nSIMGATE\r\n\r\nOK\r\n", delayMs: 20 },
        ],
      });
      yield* Effect.addFinalizer(() => Effect.sync(() => modem.stop()));
      const port = yield* portTo(modem);
      const error = yield* port.command("AT+CMGD=1").pipe(Effect.flip);
      expect(error._tag === "AtModemError" && error.error.code).toBe(321);
      expect((yield* port.command("AT+CGMI")).lines).toEqual(["SIMGATE"]);
    }),
  );
});

describe("echo of a PDU typed after the prompt", () => {
  it.scopedLive("is no restart, even with echo off: only an echoed command line is", () =>
    Effect.gen(function* () {
      // A module that echoes the PDU after the prompt although ATE0 is in force.
      let buffer = "";
      let hosts: ((b: Buffer) => void)[] = [];
      const say = (text: string) => setTimeout(() => hosts.forEach((h) => h(Buffer.from(text, "latin1"))), 1);
      const device = {
        attachHost: (sink: (b: Buffer) => void) => ((hosts = [...hosts, sink]), () => (hosts = hosts.filter((h) => h !== sink))),
        input: (chunk: Uint8Array | string) => {
          buffer += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("latin1");
          if (buffer.endsWith("\x1a")) {
            say(`${buffer.slice(0, -1)}\r\n+CMGS: 5\r\n\r\nOK\r\n`);
            buffer = "";
          } else if (buffer.endsWith("\r")) {
            const line = buffer.trim();
            buffer = "";
            say(/^AT\+CMGS=/i.test(line) ? "\r\n> " : "\r\nOK\r\n");
          }
        },
      };
      const port = yield* portTo(device);
      const events = yield* port.events;
      yield* port.command("ATE0");
      const parts = encodeSubmit({ to: "+15550006666", text: "echoed body" });
      if (!parts.ok) throw parts.error;
      const sent = yield* port.commandWithBody(`AT+CMGS=${parts.value[0]!.tpduLength}`, parts.value[0]!.pdu);
      expect(sent.lines).toEqual(["+CMGS: 5"]);
      const seen: PortEvent[] = [];
      while (!(yield* Queue.isEmpty(events))) seen.push(yield* Queue.take(events));
      expect(seen.filter((e) => e.type === "settings-lost")).toEqual([]);
    }),
  );
});

describe("a stale OK where the SMS prompt should be", () => {
  it.scopedLive("is no answer to +CMGS: nothing is typed, and it fails as no prompt, so the message counts as not sent", () =>
    Effect.gen(function* () {
      // A module still answering an earlier command: its late OK lands on the AT+CMGS.
      let hosts: ((b: Buffer) => void)[] = [];
      const typed: string[] = [];
      const say = (text: string) => setTimeout(() => hosts.forEach((h) => h(Buffer.from(text, "latin1"))), 1);
      let buffer = "";
      const device = {
        attachHost: (sink: (b: Buffer) => void) => ((hosts = [...hosts, sink]), () => (hosts = hosts.filter((h) => h !== sink))),
        input: (chunk: Uint8Array | string) => {
          const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("latin1");
          typed.push(text);
          buffer += text;
          if (!buffer.endsWith("\r")) return;
          const line = buffer.trim();
          buffer = "";
          // The port's resync query after the failed send is answered as a module would.
          say(/^AT\+CMEE\?/i.test(line) ? "\r\n+CMEE: 1\r\n\r\nOK\r\n" : "\r\nOK\r\n");
        },
      };
      const port = yield* portTo(device);
      yield* port.command("ATE0");
      const encoded = encodeSubmit({ to: "+15550006667", text: "must not count as sent" });
      if (!encoded.ok) throw new Error(encoded.error.message);
      const [part] = encoded.value;
      const error = yield* port.commandWithBody(`AT+CMGS=${part!.tpduLength}`, part!.pdu).pipe(Effect.flip);
      expect(error).toMatchObject({ _tag: "AtTimeout", waitingFor: "prompt" });
      expect(typed.join("")).not.toContain(part!.pdu);
    }),
    20_000,
  );
});
