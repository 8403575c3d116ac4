import { describe, expect, it } from "@effect/vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { Effect, Option, Queue, Ref, SubscriptionRef } from "effect";
import { superviseModem, type SupervisedEvent, type SupervisorOptions } from "../../drivers/modem/supervisor";
import type { ReceivedPart, SmsSink } from "../../drivers/modem/sms-inbox";
import { openSerial } from "../../drivers/transport/serial";
import { Farm } from "../../hil/farm";
import { ServedFarm } from "../../hil/serve";

// Self-healing against the simulator's faults, over real PTYs opened by their stable links.
let served: ServedFarm;
const links = join(mkdtempSync(join(tmpdir(), "simgate-sup-")), "by-id");

beforeAll(async () => {
  const farm = new Farm({
    modems: [{ id: "unplugged" }, { id: "hung" }, { id: "rebooted", personality: "simcom-sim800" }, { id: "sierra", personality: "sierra-mc7710" }, { id: "calling" }, { id: "powered", personality: "sierra-mc7710" }],
  });
  served = await ServedFarm.start(farm, { linkDir: links });
  await farm.settled();
});
afterAll(async () => served?.stop());

const modem = (id: string) => served.farm.modem(id);

const setup = (id: string, extra: Partial<SupervisorOptions> = {}) =>
  Effect.gen(function* () {
    const parts = yield* Ref.make<ReceivedPart[]>([]);
    const sink: SmsSink = { storePart: (part) => Ref.update(parts, (all) => [...all, part]) };
    const supervised = yield* superviseModem({
      open: openSerial(join(links, id)),
      sink,
      backoff: { minMs: 50, maxMs: 200 },
      healthEveryMs: 100,
      ...extra,
    });
    const events = yield* supervised.events;
    return { supervised, events, parts };
  });

const until = (events: Queue.Dequeue<SupervisedEvent>, step: string, seen: string[], timeoutMs = 6000) =>
  Queue.take(events).pipe(
    Effect.tap((e) => Effect.sync(() => e.type === "supervisor" && seen.push(e.step))),
    Effect.repeat({ until: (e) => e.type === "supervisor" && e.step === step }),
    Effect.timeoutFail({ duration: timeoutMs, onTimeout: () => new Error(`no "${step}" step; saw ${seen.join(", ")}`) }),
  );

const texts = (parts: Ref.Ref<ReceivedPart[]>) => Effect.map(Ref.get(parts), (all) => all.map((p) => p.pdu.text));

describe("modem supervisor", () => {
  it.scopedLive("a modem unplugged and back on another tty is reopened; what was sent meanwhile arrives once", () =>
    Effect.gen(function* () {
      const { supervised, events, parts } = yield* setup("unplugged");
      const seen: string[] = [];
      yield* until(events, "connected", seen);
      const sim = modem("unplugged").sim!;
      yield* Effect.promise(() => served.unplug("unplugged"));
      yield* until(events, "lost", seen);
      served.farm.network.sendSms({ to: sim.number, from: "+15550001234", text: "sent while unplugged" });
      yield* until(events, "open-failed", seen);
      expect(Option.isNone(yield* SubscriptionRef.get(supervised.actor))).toBe(true);
      yield* Effect.promise(() => served.replug("unplugged"));
      yield* until(events, "connected", seen);
      while (!(yield* texts(parts)).includes("sent while unplugged")) yield* Effect.sleep(20);
      yield* Effect.sleep(200);
      expect((yield* texts(parts)).filter((t) => t === "sent while unplugged")).toHaveLength(1);
      expect(sim.storage.used).toBe(0);
      expect(seen).toEqual(expect.arrayContaining(["opening", "connected", "lost", "waiting", "open-failed"]));
    }),
    20_000,
  );

  it.scopedLive("a hung modem: unresponsive, reset, reopened until it answers again", () =>
    Effect.gen(function* () {
      const { supervised, events } = yield* setup("hung", {
        port: { timeouts: { query: 200, reset: 200 }, resyncAttempts: 1, resyncTimeoutMs: 200 },
        resetWaitMs: 400,
        probe: { attempts: 2, timeoutMs: 200 },
      });
      const seen: string[] = [];
      yield* until(events, "connected", seen);
      modem("hung").faults.hanging = true;
      yield* until(events, "unresponsive", seen);
      yield* until(events, "reset", seen);
      yield* until(events, "lost", seen);
      yield* until(events, "bring-up-failed", seen);
      modem("hung").faults.hanging = false;
      yield* until(events, "connected", seen);
      const actor = Option.getOrThrow(yield* SubscriptionRef.get(supervised.actor));
      expect((yield* actor.ussd("*100#")).status).toBe("done");
    }),
    20_000,
  );

  const hangSettings = {
    port: { timeouts: { query: 200, reset: 200 }, resyncAttempts: 1, resyncTimeoutMs: 200 },
    resetWaitMs: 400,
    probe: { attempts: 2, timeoutMs: 200 },
  } satisfies Partial<SupervisorOptions>;

  it.scopedLive("a send queued while the modem lost its power meets it set up again: its refusal comes with its code", () =>
    Effect.gen(function* () {
      const { supervised, events } = yield* setup("powered", { ...hangSettings, resetWaitMs: 5_000 });
      const seen: string[] = [];
      yield* until(events, "connected", seen);
      const actor = Option.getOrThrow(yield* SubscriptionRef.get(supervised.actor));
      const powered = modem("powered");
      powered.powerOff();
      yield* until(events, "unresponsive", seen);
      // Back on, the module has its factory settings: +CMEE=0 would turn this into a bare ERROR.
      powered.faults.overrideCommand({ command: "+CMGS=", reply: { lines: [], final: { cms: 330 } } });
      const send = yield* actor.sendSms("+15550009999", "queued while away").pipe(Effect.flip, Effect.fork);
      yield* Effect.sleep(300);
      powered.powerOn();
      const error = yield* send.await.pipe(Effect.flatten, Effect.timeout(10_000));
      expect(error).toMatchObject({ _tag: "AtModemError", error: { code: 330 } });
      expect(powered.settings.cmee).toBe(1);
    }),
    20_000,
  );

  it.scopedLive("a modem is reset with its vendor's own command (Sierra: AT!RESET)", () =>
    Effect.gen(function* () {
      const { events } = yield* setup("sierra", hangSettings);
      const seen: string[] = [];
      yield* until(events, "connected", seen);
      modem("sierra").faults.hanging = true;
      const reset = yield* until(events, "reset", seen);
      expect(reset).toMatchObject({ type: "supervisor", step: "reset", detail: "AT!RESET" });
      modem("sierra").faults.hanging = false;
      // Back after the reset (in this session, or reopened), and set up again.
      yield* Queue.take(events).pipe(
        Effect.repeat({ until: (e) => e.type === "recovery" || (e.type === "supervisor" && e.step === "connected") }),
        Effect.timeout(10_000),
      );
    }),
    20_000,
  );

  it.scopedLive("a modem that goes silent during a call is not reset while it answers again within the grace", () =>
    Effect.gen(function* () {
      const { supervised, events } = yield* setup("calling", { ...hangSettings, callGraceMs: 5_000 });
      const seen: string[] = [];
      yield* until(events, "connected", seen);
      const actor = Option.getOrThrow(yield* SubscriptionRef.get(supervised.actor));
      yield* actor.dial("+15557009999");
      expect(yield* actor.currentCall).not.toBeNull();
      modem("calling").faults.hanging = true;
      yield* until(events, "unresponsive", seen);
      yield* Effect.sleep(500);
      modem("calling").faults.hanging = false;
      // Answers again: recovered without a reset, the call untouched by us.
      yield* Queue.take(events).pipe(Effect.repeat({ until: (e) => e.type === "recovery" }), Effect.timeout(5_000));
      expect(seen).not.toContain("reset");
      expect(modem("calling").received()).not.toContain("AT+CFUN=1,1");
    }),
    20_000,
  );

  it.scopedLive("after a spontaneous reboot the actor sets the modem up again", () =>
    Effect.gen(function* () {
      const { supervised, events, parts } = yield* setup("rebooted");
      yield* until(events, "connected", []);
      const m = modem("rebooted");
      expect([m.settings.cmee, m.settings.cnmi[3], m.settings.echo]).toEqual([1, 1, false]);
      m.reboot();
      // The module forgot everything; the actor notices (RDY, +CPIN: READY) and re-applies it.
      while (!(m.settings.cmee === 1 && m.settings.cnmi[3] === 1 && !m.settings.echo)) yield* Effect.sleep(20);
      served.farm.network.sendSms({ to: m.sim!.number, from: "+15550004321", text: "after the reboot" });
      while (!(yield* texts(parts)).includes("after the reboot")) yield* Effect.sleep(20);
      // The sweep after the restart may store it before the SIM and network are read again:
      // the registration follows within moments.
      const actor = Option.getOrThrow(yield* SubscriptionRef.get(supervised.actor));
      while ((yield* actor.simStatus) !== 1) yield* Effect.sleep(20);
      expect(yield* actor.simStatus).toBe(1);
    }),
    20_000,
  );
});
