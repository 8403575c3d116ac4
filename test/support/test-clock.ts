/**
 * Helpers for tests on TestClock whose code also waits for real I/O (the database, a
 * simulated modem): the test clock only moves when told, but the I/O finishes in real time,
 * so a test waits for a condition in real time before it moves the clock.
 */
import { Chunk, Clock, Effect, TestClock } from "effect";

/** Checks `condition` every few real milliseconds until it holds; fails naming `what` after `timeoutMs`. */
export const untilReal = <E, R>(condition: Effect.Effect<boolean, E, R>, what: string, timeoutMs = 10_000): Effect.Effect<void, E | Error, R> =>
  Effect.gen(function* () {
    const deadline = Date.now() + timeoutMs;
    while (!(yield* condition)) {
      if (Date.now() > deadline) return yield* Effect.fail(new Error(`timed out waiting for ${what}`));
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 5)));
    }
  });

/** Whether some fiber sleeps on the test clock until later than `ms` from its now (a timeout set, a long wait begun). */
export const sleepingBeyond = (ms: number): Effect.Effect<boolean> =>
  Effect.zipWith(TestClock.sleeps(), Clock.currentTimeMillis, (sleeps, now) => Chunk.some(sleeps, (at) => at > now + ms));
