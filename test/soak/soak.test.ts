import { Effect, Exit, Option, Queue, Scope, SubscriptionRef } from "effect";
import { describe, expect, it } from "vitest";
import type { SupervisedEvent } from "../../drivers/modem/supervisor";
import { superviseModem } from "../../drivers/modem/supervisor";
import type { SmsSink } from "../../drivers/modem/sms-inbox";
import { Farm } from "../../hil/farm";
import type { VirtualModem } from "../../hil/modem/modem";
import { PERSONALITIES } from "../../hil/personalities";
import { seededRandom } from "../../hil/timing";
import { openSimulated } from "../../src/devices/simulated-transport";

/**
 * Soak: 64 simulated modems of every vendor personality under supervision, each given random
 * faults one after another, then a quiet spell. Checks (issue 18):
 * - no module reset that the fault did not call for: a reset is allowed only while a hang
 *   outlasts the escalation threshold, or around a power loss or reboot; never for line
 *   noise, a late answer within its timeout, unsolicited codes, CMS/CME errors, a SIM pull or
 *   a registration loss;
 * - no modem left unresponsive once its faults end;
 * - every failure shows as an event on that modem's stream.
 *
 * SIMGATE_SOAK_MS sets the length: `npm run test:soak` runs the 90-second CI profile, and
 * `SIMGATE_SOAK_MS=600000 npx vitest run test/soak` the 10-minute one. Within `npm test` a
 * 30-second profile runs (the same checks on fewer faults per modem). SIMGATE_SOAK_SEED
 * picks another random schedule; a failure prints the seed.
 */
const DURATION_MS = Number(process.env.SIMGATE_SOAK_MS ?? 30_000);
const SEED = Number(process.env.SIMGATE_SOAK_SEED ?? 18);
const MODEMS = 64;
/** After the last fault, how long every modem has to be back. */
const SETTLE_MS = 12_000;

// Port timing for the soak: short, so that hangs escalate within seconds.
const QUERY_MS = 1_500;
const RESYNC = { attempts: 2, timeoutMs: 500 };
const HEALTH_MS = 1_000;
/** The periodic sweep: reads storages, so a storage that answers errors shows as a problem. */
const SWEEP_MS = 2_000;
/** A hang shorter than this must never lead to a reset: one timeout plus its resync, plus a health period. */
const ESCALATION_MS = QUERY_MS + RESYNC.attempts * RESYNC.timeoutMs + HEALTH_MS;

type FaultKind = "garbage" | "late" | "urcs" | "errors" | "send-error" | "sim-pull" | "slow-sim" | "registration-loss" | "short-hang" | "long-hang" | "reboot" | "power-loss";
const KINDS: readonly FaultKind[] = ["garbage", "late", "urcs", "errors", "send-error", "sim-pull", "slow-sim", "registration-loss", "short-hang", "long-hang", "reboot", "power-loss"];
/** Faults that may warrant a module reset. */
const MAY_RESET: ReadonlySet<FaultKind> = new Set(["long-hang", "reboot", "power-loss"]);

interface Fault {
  readonly kind: FaultKind;
  readonly startMs: number;
  readonly lengthMs: number;
}

interface Seen {
  readonly at: number;
  readonly event: SupervisedEvent;
}

const personalities = Object.keys(PERSONALITIES);

/** A schedule of faults per modem, one after another with gaps, all ending before the settle. */
const schedule = (random: () => number): Fault[][] =>
  Array.from({ length: MODEMS }, () => {
    const faults: Fault[] = [];
    let t = 3_000 + random() * 2_000;
    while (true) {
      const kind = KINDS[Math.floor(random() * KINDS.length)]!;
      const lengthMs =
        kind === "long-hang" || kind === "power-loss"
          ? ESCALATION_MS + 2_000 + random() * 3_000
          : kind === "short-hang"
            ? 200 + random() * 400
            : kind === "errors"
              ? SWEEP_MS + 1_500 + random() * 2_000
              : 1_000 + random() * 2_500;
      if (t + lengthMs > DURATION_MS - SETTLE_MS) break;
      faults.push({ kind, startMs: t, lengthMs });
      t += lengthMs + 1_500 + random() * 3_000;
    }
    return faults;
  });

/** The refusal of a send-error fault; one object, so it can be taken back alone. */
const sendRefusal = { command: "+CMGS=", times: 1, reply: { lines: [], final: { cms: 330 } } } as const;

/** Starts a fault on a modem; returns what ends it. */
const inject = (farm: Farm, modem: VirtualModem, fault: Fault, random: () => number): (() => void) => {
  const f = modem.faults;
  switch (fault.kind) {
    case "garbage": {
      modem.injectGarbage();
      const again = setInterval(() => modem.injectGarbage(), 400);
      return () => clearInterval(again);
    }
    case "late":
      // Later than usual, within the query timeout.
      f.lateMs = Math.round(QUERY_MS * (0.2 + random() * 0.4));
      return () => (f.lateMs = 0);
    case "urcs": {
      const lines = ["^RSSI: 12", "+QIND: SMS DONE", "+ZUSIMR:2", "#QSS: 1", "+CREG: 1", "^BOOT:12345678,0,0,0,6"];
      const drip = setInterval(() => {
        const line = lines[Math.floor(random() * lines.length)]!;
        if (random() < 0.5) f.injectUrcInResponse(line);
        else modem.urc(line);
      }, 150);
      return () => clearInterval(drip);
    }
    case "errors": {
      // The health check and reads answered with coded errors for a while.
      const csq = { command: "+CSQ", reply: { lines: [], final: { cme: 100 } } } as const;
      const cpms = { command: "+CPMS", reply: { lines: [], final: { cms: 500 } } } as const;
      f.overrideCommand(csq);
      f.overrideCommand(cpms);
      return () => (f.withdrawCommand(csq), f.withdrawCommand(cpms));
    }
    case "send-error":
      // Meets the one send made at the fault's start, whenever that reaches the modem (a hang
      // before it may hold the send past the fault's end): taken back when the send has its answer.
      f.overrideCommand(sendRefusal);
      return () => {};
    case "sim-pull": {
      const sim = modem.sim;
      modem.setSim(null);
      return () => modem.setSim(sim);
    }
    case "slow-sim": {
      // A card switched in that answers +CPIN? slower than a quick query may take (but
      // within a SIM read's own timeout), as cards do right after a switch.
      const slow = { command: "+CPIN?", delayMs: QUERY_MS + 800 } as const;
      f.overrideCommand(slow);
      const sim = modem.sim;
      modem.setSim(null);
      const back = setTimeout(() => modem.setSim(sim), 300);
      return () => (clearTimeout(back), modem.sim !== sim && modem.setSim(sim), f.withdrawCommand(slow));
    }
    case "registration-loss":
      modem.overrideRegistration(0);
      return () => modem.overrideRegistration(null);
    case "short-hang":
    case "long-hang":
      f.hanging = true;
      return () => (f.hanging = false);
    case "reboot":
      modem.reboot();
      return () => {};
    case "power-loss":
      modem.powerOff();
      return () => modem.powerOn();
  }
  void farm;
};

/** What must show on the modem's events between a fault's start and a little after its end. */
const visible = (fault: Fault, modem: VirtualModem, seen: readonly Seen[], t0: number): string | null => {
  // Timers fire a few ms either side of their mark.
  const from = t0 + fault.startMs - 100;
  const to = from + fault.lengthMs + 8_000;
  const during = seen.filter((s) => s.at >= from && s.at <= to).map((s) => s.event);
  const state = during.filter((e): e is Extract<SupervisedEvent, { type: "state" }> => e.type === "state");
  const step = (names: string[]) => during.some((e) => e.type === "supervisor" && names.includes(e.step));
  switch (fault.kind) {
    case "long-hang":
    case "power-loss":
      return step(["unresponsive", "lost", "bring-up-failed"]) || state.some((e) => e.snapshot.port === "unresponsive") ? null : "no unresponsive/lost event";
    case "sim-pull":
    case "slow-sim":
      return state.some((e) => e.snapshot.sim?.lock === "ABSENT" || e.snapshot.sim?.lock === "NOT READY") ? null : "no SIM state event";
    case "registration-loss":
      return state.some((e) => e.snapshot.registration !== "HOME" && e.snapshot.registration !== "ROAMING") ? null : "no registration event";
    case "errors":
      // Coded errors are named with their code where they hit the actor's own work.
      return during.some((e) => e.type === "problem" && /(CMS|CME) ERROR: (500|100)/.test(e.problem.error)) ? null : "no problem event with the modem's code";
    case "reboot":
      // Modules that announce their restart (RDY, ^SYSSTART) must be seen to recover from it.
      return modem.personality.bootLines.some((l) => /^(RDY|\^SYSSTART)/.test(l)) && !during.some((e) => e.type === "recovery") ? "no recovery event after a restart" : null;
    default:
      return null;
  }
};

describe(`soak: ${MODEMS} modems of mixed vendors with random faults for ${Math.round(DURATION_MS / 1000)} s`, () => {
  it(
    "no unwarranted reset, nobody left unresponsive, every failure an event",
    async () => {
      const random = seededRandom(SEED);
      const farm = new Farm({
        seed: SEED,
        modems: Array.from({ length: MODEMS }, (_, i) => ({ id: `m${String(i + 1).padStart(2, "0")}`, personality: personalities[i % personalities.length]! })),
        logLimit: 0,
      });
      farm.start();
      await farm.settled(10_000);
      const modems = [...farm.modems.values()];
      const plan = schedule(random);
      const seen: Seen[][] = modems.map(() => []);
      const sendErrors: string[] = [];
      const sink: SmsSink = { storePart: () => Effect.void };
      const scope = Effect.runSync(Scope.make());
      try {
        const supervised = await Effect.runPromise(
          Scope.extend(
            Effect.forEach(modems, (modem, i) =>
              Effect.gen(function* () {
                const s = yield* superviseModem({
                  open: openSimulated(modem, modem.id),
                  sink,
                  port: { timeouts: { query: QUERY_MS, sim: QUERY_MS + 2_500 }, resyncAttempts: RESYNC.attempts, resyncTimeoutMs: RESYNC.timeoutMs, promptTimeoutMs: 3_000 },
                  healthEveryMs: HEALTH_MS,
                  resetWaitMs: 3_000,
                  backoff: { minMs: 200, maxMs: 2_000 },
                  probe: { attempts: 2, timeoutMs: 500 },
                  sweepEveryMs: SWEEP_MS,
                  simCheckMs: 500,
                });
                const events = yield* s.events;
                yield* Effect.forever(Effect.flatMap(Queue.take(events), (event) => Effect.sync(() => seen[i]!.push({ at: Date.now(), event })))).pipe(Effect.forkScoped);
                return s;
              }),
            ),
            scope,
          ),
        );
        const t0 = Date.now();
        // Faults, each at its time; a send while the +CMGS fault is on must fail with its code.
        const timers: NodeJS.Timeout[] = [];
        plan.forEach((faults, i) =>
          faults.forEach((fault) =>
            timers.push(
              setTimeout(() => {
                const end = inject(farm, modems[i]!, fault, random);
                if (fault.kind === "send-error")
                  void Effect.runPromise(
                    Effect.gen(function* () {
                      const actor = yield* SubscriptionRef.get(supervised[i]!.actor);
                      if (Option.isNone(actor)) return;
                      const outcome = yield* actor.value.sendSms("+15550009999", "soak").pipe(
                        Effect.either,
                        Effect.timeoutOption(10_000),
                        Effect.ensuring(Effect.sync(() => modems[i]!.faults.withdrawCommand(sendRefusal))),
                      );
                      if (Option.isNone(outcome)) sendErrors.push(`${modems[i]!.id}: no answer in 10 s`);
                      else if (outcome.value._tag === "Right") sendErrors.push(`${modems[i]!.id}: sent although the modem refuses +CMGS`);
                      else if (outcome.value.left._tag !== "AtModemError" || outcome.value.left.error.code !== 330) sendErrors.push(`${modems[i]!.id}: ${outcome.value.left.message}`);
                    }),
                  );
                timers.push(setTimeout(end, fault.lengthMs));
              }, fault.startMs),
            ),
          ),
        );
        await new Promise((resolve) => setTimeout(resolve, DURATION_MS));
        timers.forEach(clearTimeout);

        // Every modem answers, through the same actor the service would use.
        const silent: string[] = [];
        await Promise.all(
          supervised.map((s, i) =>
            Effect.runPromise(
              Effect.gen(function* () {
                const actor = yield* SubscriptionRef.get(s.actor);
                if (Option.isNone(actor)) return yield* Effect.fail("no actor");
                yield* actor.value.raw("AT");
                // And it knows its card again, whatever happened to it meanwhile.
                const sim = (yield* SubscriptionRef.get(actor.value.state)).sim;
                if (sim?.lock !== "READY" || sim.iccid !== modems[i]!.sim?.iccid) return yield* Effect.fail(`SIM ${sim?.lock ?? "unknown"} ${sim?.iccid ?? ""}`);
              }).pipe(
                Effect.timeoutFail({ duration: 5_000, onTimeout: () => "no answer in 5 s" }),
                Effect.catchAll((why) => Effect.sync(() => silent.push(`${modems[i]!.id} (${modems[i]!.personality.name}): ${String(why)}`))),
              ),
            ),
          ),
        );

        const unwarranted: string[] = [];
        const invisible: string[] = [];
        seen.forEach((events, i) => {
          for (const { at, event } of events) {
            if (event.type !== "supervisor" || event.step !== "reset") continue;
            const t = at - t0;
            const cause = plan[i]!.find((f) => MAY_RESET.has(f.kind) && t >= f.startMs && t <= f.startMs + f.lengthMs + ESCALATION_MS + 3_000);
            if (!cause) {
              const near = plan[i]!.filter((f) => Math.abs(f.startMs - t) < 10_000).map((f) => `${f.kind}@${Math.round(f.startMs)}+${Math.round(f.lengthMs)}`);
              unwarranted.push(`${modems[i]!.id} (${modems[i]!.personality.name}) reset at ${Math.round(t)} ms; faults near: ${near.join(", ") || "none"}`);
            }
          }
          for (const fault of plan[i]!) {
            const missing = visible(fault, modems[i]!, events, t0);
            if (missing) {
              invisible.push(`${modems[i]!.id} (${modems[i]!.personality.name}) ${fault.kind}@${Math.round(fault.startMs)}: ${missing}`);
              if (process.env.SIMGATE_SOAK_DEBUG) console.log(modems[i]!.id, JSON.stringify(plan[i]!.map((f) => [f.kind, Math.round(f.startMs), Math.round(f.lengthMs)])), JSON.stringify(events.map((e) => [e.at - t0, e.event.type, e.event.type === "state" ? `${e.event.snapshot.port}/${e.event.snapshot.sim?.lock}/${e.event.snapshot.registration}` : e.event.type === "supervisor" ? e.event.step : e.event.type === "problem" ? e.event.problem.command + " " + e.event.problem.error : e.event.type === "recovery" ? e.event.detail : ""])));
            }
          }
        });
        if (process.env.SIMGATE_SOAK_DEBUG)
          for (const line of sendErrors) {
            const i = modems.findIndex((m) => line.startsWith(`${m.id}:`));
            console.log(modems[i]!.id, JSON.stringify(plan[i]!.map((f) => [f.kind, Math.round(f.startMs), Math.round(f.lengthMs)])), JSON.stringify(seen[i]!.map((e) => [e.at - t0, e.event.type, e.event.type === "state" ? `${e.event.snapshot.port}/${e.event.snapshot.sim?.lock}/${e.event.snapshot.registration}` : e.event.type === "supervisor" ? e.event.step : e.event.type === "problem" ? e.event.problem.command + " " + e.event.problem.error : e.event.type === "recovery" ? e.event.detail : ""])));
          }
        const injected = plan.flat().length;
        const resets = seen.flat().filter((s) => s.event.type === "supervisor" && s.event.step === "reset").length;
        expect({ seed: SEED, injected: injected > MODEMS, unwarranted, silent, invisible, sendErrors }, `seed ${SEED}: ${injected} faults, ${resets} resets`).toEqual({
          seed: SEED,
          injected: true,
          unwarranted: [],
          silent: [],
          invisible: [],
          sendErrors: [],
        });
      } finally {
        await Effect.runPromise(Scope.close(scope, Exit.void));
        farm.stop();
      }
    },
    DURATION_MS + 120_000,
  );
});
