/**
 * The rotation of a device with nothing held: every modem that no hold pins moves on to a
 * position it has not shown lately, so that every card is on a modem now and then. It
 * starts with a scan (no dwell, until every position has been seen once), which a rescan
 * runs again.
 */
import { Clock, Duration, Effect, Option, Stream } from "effect";
import { modemAt, type DeviceRuntime, type SchedulerEnv } from "./device-runtime";
import { NoSuchPosition } from "./errors";
import { switchIn } from "./switching";

export interface Rotation {
  readonly everyMs: number;
  readonly nextAt: number | null;
  readonly next: readonly string[];
  readonly rescanning: boolean;
}

/** The positions one rotation step would switch in now (nothing is changed). */
const picksOf = (rt: DeviceRuntime, scanning: boolean): string[] => {
  const positions = rt.device.driver.positions;
  const pinned = new Set([...rt.holds.values()].filter((h) => h.state !== "failed").map((h) => h.modem));
  const claimed = new Set<number>();
  const picks: string[] = [];
  const order = positions.map((_, i) => positions[(rt.cursor + i) % positions.length]!);
  for (const p of scanning ? order.filter((p) => !rt.seen.has(p)) : order.filter((p) => rt.direct === null || rt.direct.has(p))) {
    if (modemAt(rt, p) !== null) continue;
    const preview = rt.device.driver.preview(p);
    if (!preview) continue;
    const moves = preview.after.length ? preview.after.map(([n]) => n) : [preview.modem];
    if (moves.some((n) => pinned.has(n) || claimed.has(n))) continue;
    moves.forEach((n) => claimed.add(n));
    picks.push(p);
  }
  return picks;
};

/** One rotation step: every modem that no hold pins moves to a position it has not shown lately. */
const rotateStep = (env: SchedulerEnv, rt: DeviceRuntime, scanning: boolean) =>
  rt.lock.withPermits(1)(
    Effect.gen(function* () {
      const positions = rt.device.driver.positions;
      const picks = picksOf(rt, scanning);
      if (picks.length) rt.cursor = (positions.indexOf(picks.at(-1)!) + 1) % positions.length;
      // Switch every pick first (the controller is serial), then wait for the cards together.
      const done = yield* Effect.forEach(
        picks,
        (p) =>
          switchIn(env, rt, p, null).pipe(
            Effect.as(1),
            Effect.catchAll((e) => Effect.as(env.onProblem?.(rt.device.key, `rotation to ${p}: ${e.message}`) ?? Effect.void, 0)),
          ),
        { concurrency: "unbounded" },
      );
      return { picked: picks.length, switched: done.reduce((a, b) => a + b, 0) };
    }),
  );

/** Switches through every position not yet seen. */
const scanSteps = (env: SchedulerEnv, rt: DeviceRuntime) =>
  Effect.gen(function* () {
    let failedRounds = 0;
    while (rt.seen.size < rt.device.driver.positions.length) {
      const step = yield* rotateStep(env, rt, true);
      if (step.picked === 0) break;
      if (step.switched > 0) failedRounds = 0;
      // A bank that refuses everything: a few tries with a pause, then the rotation carries on.
      else if (++failedRounds >= 3) break;
      else yield* Effect.sleep(Duration.millis(1_000 * failedRounds));
    }
  });

/**
 * Starts a device's start-up scan and, after it, its idle rotation, in the background.
 * Returns what resolves once the scan is over (at once for a bank whose every position is
 * already on a modem where the configuration says).
 */
export const startRotation = (env: SchedulerEnv, rt: DeviceRuntime): Effect.Effect<Effect.Effect<void>> =>
  Effect.gen(function* () {
    if (rt.device.driver.positions.length <= rt.device.modems.length && rt.device.initial) return Effect.void;
    const scan = Effect.gen(function* () {
      // Modems first: a switch before they answer is wasted (and a dual-SIM bank needs them).
      yield* Effect.forEach(rt.device.modems, (m) => m.supervised.actor.changes.pipe(Stream.filter(Option.isSome), Stream.runHead, Effect.timeoutOption(Duration.millis(env.cardTimeoutMs))), {
        concurrency: "unbounded",
        discard: true,
      });
      yield* scanSteps(env, rt);
    });
    const done = yield* Effect.makeLatch(false);
    yield* Effect.gen(function* () {
      yield* scan;
      yield* done.open;
      if (rt.device.rotateEveryMs <= 0) return;
      const due = Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.sync(() => (rt.nextRotationAt = now + rt.device.rotateEveryMs)));
      yield* Effect.forever(Effect.zipRight(due, Effect.zipRight(Effect.sleep(Duration.millis(rt.device.rotateEveryMs)), rotateStep(env, rt, false))));
    }).pipe(Effect.forkIn(env.scope));
    return done.await;
  });

/** The idle rotation of a device as it stands (for a page to show). */
export const rotationOf = (env: SchedulerEnv, key: string): Rotation | null => {
  const rt = env.runtime(key);
  if (!rt) return null;
  return { everyMs: Math.max(0, rt.device.rotateEveryMs), nextAt: rt.device.rotateEveryMs > 0 ? rt.nextRotationAt : null, next: rt.device.rotateEveryMs > 0 ? picksOf(rt, false) : [], rescanning: rt.rescanning };
};

/** Limits a device's rotation to these positions (null: all of them again). */
export const rotateOnly = (env: SchedulerEnv, key: string, positions: readonly string[] | null): void => {
  const rt = env.runtime(key);
  if (rt) rt.direct = positions === null ? null : new Set(positions);
};

/** Reads every position of a device again, in the background; false when a rescan is already running. */
export const rescan = (env: SchedulerEnv, key: string) =>
  Effect.gen(function* () {
    const rt = env.runtime(key);
    if (!rt) return yield* Effect.fail(new NoSuchPosition({ device: key, position: "(any)" }));
    if (rt.rescanning) return false;
    rt.rescanning = true;
    // The cards on the modems now are being read as they stand; every other position is read again.
    rt.seen.clear();
    for (const p of rt.current.values()) rt.seen.add(p);
    yield* scanSteps(env, rt).pipe(Effect.ensuring(Effect.sync(() => (rt.rescanning = false))), Effect.forkIn(env.scope));
    return true;
  });
