/**
 * One switch of a device: `position` switched in by the bank with the affected modems'
 * ports held, then the new cards read. Callers hold the device's lock.
 */
import { Effect, Option, SubscriptionRef } from "effect";
import type { BankError, SwitchResult } from "../../drivers/bank/sim-bank-driver";
import type { DirectAt } from "../../drivers/at/at-port";
import { awaitCard } from "./card-reads";
import { conflicts, modemAt, type DeviceRuntime, type SchedulerEnv } from "./device-runtime";
import { Busy } from "./errors";

/**
 * Runs the bank switch with every affected modem's port held (no read half-way across
 * the switch) and each actor told that its card is leaving. Modems that are not up are
 * not waited for: they read their card when they come back.
 */
const quiesced = <A, E>(rt: DeviceRuntime, modems: readonly number[], target: number, inner: (at: DirectAt | undefined) => Effect.Effect<A, E>): Effect.Effect<A, E> =>
  Effect.gen(function* () {
    // The target modem's own port, for banks that switch through the modem (dual-SIM).
    let targetAt: DirectAt | undefined;
    let wrapped: Effect.Effect<A, E> = Effect.suspend(() => inner(targetAt));
    for (const n of [...new Set(modems)].reverse()) {
      const m = rt.device.modems[n - 1];
      const actor = m ? yield* SubscriptionRef.get(m.supervised.actor) : Option.none();
      if (Option.isNone(actor)) continue;
      const state = yield* SubscriptionRef.get(actor.value.state);
      if (state.port !== "ready") {
        yield* actor.value.simChanging;
        continue;
      }
      const next = wrapped;
      wrapped = actor.value.exclusive((at) =>
        Effect.zipRight(
          Effect.sync(() => {
            if (n === target) targetAt = at;
          }),
          Effect.zipRight(actor.value.simChanging, next),
        ),
      );
    }
    return yield* wrapped;
  });

const refresh = (env: SchedulerEnv, rt: DeviceRuntime, n: number) =>
  Effect.gen(function* () {
    const m = rt.device.modems[n - 1];
    const actor = m ? yield* SubscriptionRef.get(m.supervised.actor) : Option.none();
    if (Option.isSome(actor)) yield* actor.value.refreshSim.pipe(Effect.ignore, Effect.forkIn(env.scope));
  });

/** Switches `position` in (under the device lock); the modem that holds it after. */
export const switchIn = (env: SchedulerEnv, rt: DeviceRuntime, position: string, holder: string | null): Effect.Effect<number, Busy | BankError> =>
  Effect.gen(function* () {
    const already = modemAt(rt, position);
    if (already !== null) return already;
    const blocking = conflicts(rt, position, holder);
    if (blocking.length) return yield* Effect.fail(new Busy({ detail: `switching ${rt.device.key} ${position} would move ${blocking.join(", ")}` }));
    const preview = rt.device.driver.preview(position)!;
    const moving = preview.after.map(([n]) => n);
    for (const n of moving) rt.switching.add(n);
    // Checked again with the ports held: a hold taken while this switch waited for them
    // (a job about to send from a card that would move) wins.
    const guarded = (at: DirectAt | undefined): Effect.Effect<SwitchResult, Busy | BankError> => {
      const late = conflicts(rt, position, holder);
      return late.length ? Effect.fail(new Busy({ detail: `switching ${rt.device.key} ${position} would move ${late.join(", ")}` })) : rt.device.driver.select(position, at);
    };
    const result = yield* quiesced(rt, moving, preview.modem, guarded).pipe(
      // The cards did not move, or not surely: the actors read what is there again. A bank
      // that failed after its commands went out (no answer, a line lost, a status that
      // disagrees) may have switched all the same, so where those modems stand is no
      // longer known: believing the old position would call a card online that is not
      // there and let the inventory put the card that came in at the old one's place.
      // The next claim or rotation step switches them for real.
      Effect.tapError((error) =>
        Effect.forEach(
          moving,
          (n) =>
            Effect.zipRight(
              Effect.sync(() => {
                rt.switching.delete(n);
                if (error._tag === "BankError" && error.reason !== "no-such-position") rt.current.delete(n);
              }),
              refresh(env, rt, n),
            ),
          { discard: true },
        ),
      ),
    );
    for (const [n, p] of result.after) {
      rt.current.set(n, p);
      rt.seen.add(p);
    }
    if (result.after.length === 0) rt.current.set(result.modem, position);
    yield* Effect.forEach(result.after, ([n]) => awaitCard(env, rt, n), { concurrency: "unbounded", discard: true });
    return result.modem;
  });
