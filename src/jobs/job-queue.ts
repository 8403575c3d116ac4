/**
 * What the job workers share: the polling loop that claims due jobs up to a concurrency
 * limit and runs each in its own fiber, and putting a job back for later.
 */
import { Effect, Schedule, type Scope } from "effect";
import type { Kysely } from "kysely";
import { tryStore, type StoreError } from "../store/database";
import type { Database } from "../store/schema";

export interface JobLoop<J> {
  readonly pollMs: number;
  readonly concurrency: number;
  /** Claims at most `limit` due jobs (marking them running under a lease). */
  readonly claim: (limit: number) => Effect.Effect<J[], StoreError>;
  readonly run: (job: J) => Effect.Effect<void, unknown>;
}

export const runJobLoop = <J>(loop: JobLoop<J>): Effect.Effect<void, never, Scope.Scope> =>
  Effect.gen(function* () {
    let running = 0;
    const runOne = (job: J) =>
      loop.run(job).pipe(
        // A defect or a store failure must not take the worker down; the lease brings the job back.
        Effect.catchAllCause(() => Effect.void),
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
