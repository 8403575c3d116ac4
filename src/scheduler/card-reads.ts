/**
 * The cards the modems read: waiting for the new card after a switch, and watching every
 * modem for the inventory (each card read where its position is known, as it changes).
 */
import { Duration, Effect, Option, Stream, SubscriptionRef } from "effect";
import type { ModemSnapshot } from "../../drivers/modem/state";
import type { RegisteredModem } from "../devices/registry";
import type { DeviceRuntime, SchedulerEnv, SchedulerOptions } from "./device-runtime";

const snapshotOf = (m: RegisteredModem): Effect.Effect<ModemSnapshot | null> =>
  Effect.flatMap(SubscriptionRef.get(m.supervised.actor), (actor) => (Option.isSome(actor) ? SubscriptionRef.get(actor.value.state) : Effect.succeed(null)));

/** Every state the modem's current actor goes through, across reconnections. */
const statesOf = (m: RegisteredModem): Stream.Stream<ModemSnapshot> =>
  m.supervised.actor.changes.pipe(Stream.flatMap((actor) => (Option.isSome(actor) ? actor.value.state.changes : Stream.empty), { switch: true }));

/**
 * Waits until modem `n` has read the card now in its slot, and records it. The actor
 * forgot the old card before the switch (simChanging), so any card it reads now is the
 * new one. A modem normally announces the change (+CPIN) and the actor reads the card;
 * one that stays silent (or a switch to the position it already had) is asked to.
 */
export const awaitCard = (env: SchedulerEnv, rt: DeviceRuntime, n: number) =>
  Effect.gen(function* () {
    const m = rt.device.modems[n - 1];
    if (!m) return null;
    const readCard = (s: ModemSnapshot) => s.sim?.lock === "ABSENT" || (s.sim?.lock === "READY" && s.sim.iccid !== null);
    const waitRead = (ms: number) => statesOf(m).pipe(Stream.filter(readCard), Stream.runHead, Effect.timeoutOption(Duration.millis(ms)), Effect.map(Option.flatten));
    let read = yield* waitRead(env.quietMs);
    if (Option.isNone(read)) {
      const actor = yield* SubscriptionRef.get(m.supervised.actor);
      if (Option.isSome(actor)) yield* actor.value.refreshSim.pipe(Effect.ignore);
      read = yield* waitRead(env.cardTimeoutMs);
    }
    rt.switching.delete(n);
    if (Option.isNone(read) || !read.value.sim?.iccid) return null;
    const iccid = read.value.sim.iccid;
    // Registered (operator known) before moving on, when that comes soon.
    yield* statesOf(m).pipe(
      Stream.filter((s) => s.sim?.iccid === iccid && s.operator !== null),
      Stream.runHead,
      Effect.timeoutOption(Duration.millis(env.settleMs)),
    );
    // Recorded here: the inventory watcher skipped this modem while it was switching.
    const now = yield* snapshotOf(m);
    const position = rt.current.get(n);
    if (now?.sim?.iccid === iccid && position !== undefined && env.onCard) yield* env.onCard(rt.device.key, position, now);
    return iccid;
  });

/** The inventory: every card read on a modem of the device whose position is known, as it changes. */
export const watchCards = (env: SchedulerEnv, rt: DeviceRuntime, onCard: NonNullable<SchedulerOptions["onCard"]>) =>
  Effect.forEach(
    rt.device.modems.entries(),
    ([i, m]) =>
      statesOf(m).pipe(
        Stream.filter((s) => s.sim?.lock === "READY" && s.sim.iccid !== null),
        Stream.changesWith((a, b) => a.sim?.iccid === b.sim?.iccid && a.sim?.number === b.sim?.number && a.operator === b.operator && a.sim?.imsi === b.sim?.imsi),
        Stream.runForEach((s) => {
          const position = rt.current.get(i + 1);
          if (position === undefined || rt.switching.has(i + 1)) return Effect.void;
          return onCard(rt.device.key, position, s);
        }),
        Effect.forkIn(env.scope),
      ),
    { discard: true },
  );
