/**
 * What the job workers share: the polling loop that claims due jobs up to a concurrency
 * limit and runs each in its own fiber, and putting a job back for later.
 */
import { Cause, Effect, Schedule, type Scope } from "effect";
import type { Kysely } from "kysely";
import { isStoreUnavailable, retryWhileUnavailable, StoreError, tryStore } from "../store/database";
import type { Database } from "../store/schema";

export interface JobLoop<J> {
  readonly pollMs: number;
  readonly concurrency: number;
  /** Claims at most `limit` due jobs (marking them running under a lease). */
  readonly claim: (limit: number) => Effect.Effect<J[], StoreError>;
  readonly run: (job: J) => Effect.Effect<void, unknown>;
  /**
   * Puts a job whose run failed (the database went away under it) back in the queue at
   * once, instead of leaving it to its lease (minutes). Tried while the database is away.
   */
  readonly giveBack?: (job: J, why: string) => Effect.Effect<void, StoreError>;
}

export const runJobLoop = <J>(loop: JobLoop<J>): Effect.Effect<void, never, Scope.Scope> =>
  Effect.gen(function* () {
    let running = 0;
    const runOne = (job: J) =>
      loop.run(job).pipe(
        // A defect or a store failure must not take the worker down. A run cut off by the
        // database going away is given back to the queue as soon as it is back; anything
        // else is said and left to the lease (a bug must not spin).
        Effect.catchAllCause((cause) => {
          const error = Cause.squash(cause);
          const why = error instanceof Error ? error.message : String(error);
          const unavailable = error instanceof StoreError && isStoreUnavailable(error.cause);
          return Effect.zipRight(
            Effect.sync(() => void process.stderr.write(`job run failed (${unavailable && loop.giveBack ? "given back to the queue" : "its lease brings it back"}): ${why}\n`)),
            unavailable && loop.giveBack ? retryWhileUnavailable(loop.giveBack(job, why)).pipe(Effect.ignore) : Effect.void,
          );
        }),
        Effect.ensuring(Effect.sync(() => running--)),
      );
    yield* Effect.gen(function* () {
      const free = loop.concurrency - running;
      if (free <= 0) return;
      const jobs = yield* loop.claim(free).pipe(Effect.orElseSucceed((): J[] => []));
      running += jobs.length;
      // Children of this loop: interrupted with it, and gone from memory when done.
      for (const job of jobs) yield* Effect.fork(runOne(job));
    }).pipe(Effect.repeat(Schedule.spaced(loop.pollMs)), Effect.forkScoped);
  });

/**
 * Counts one attempt on the modem, just before the work is handed to it: waiting for a card
 * or for another's hold is not an attempt, so a message that waited still has its retries.
 */
export const countModemAttempt = (db: Kysely<Database>, id: number): Effect.Effect<number, StoreError> =>
  tryStore("counting an attempt", () =>
    db.updateTable("jobs").set((eb) => ({ attempts: eb("attempts", "+", 1) })).where("id", "=", id).returning("attempts").executeTakeFirstOrThrow(),
  ).pipe(Effect.map((r) => r.attempts));

/** Back to the queue, due again after `delayMs`, with the reason kept. */
export const rescheduleJob = (db: Kysely<Database>, id: number, delayMs: number, reason: string): Effect.Effect<void, StoreError> =>
  tryStore("rescheduling a job", () =>
    db.updateTable("jobs").set({ state: "queued", run_after: new Date(Date.now() + delayMs), locked_until: null, last_error: reason }).where("id", "=", id).execute(),
  ).pipe(Effect.asVoid);
