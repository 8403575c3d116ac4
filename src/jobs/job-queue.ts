/**
 * What the job workers share: the loop that claims due jobs up to a concurrency limit and
 * runs each in its own fiber (woken by the database, or polling), and putting a job back
 * for later.
 */
import { Cause, Duration, Effect, Option, type Scope } from "effect";
import { sql, type Kysely } from "kysely";
import { isStoreUnavailable, retryWhileUnavailable, StoreError, tryStore } from "../store/database";
import type { Database } from "../store/schema";
import { waitUntilDue, type Waiter } from "../store/wakeups";

export interface JobLoop<J> {
  /** How often due jobs are looked for; with `wake`, the fallback poll. */
  readonly pollMs: number;
  /**
   * Wake-ups: the loop sleeps until a job is queued (a notification), a run of its own ends,
   * or the next job it knows of falls due - whichever comes first, `pollMs` at most.
   */
  readonly wake?: { readonly waiter: Waiter; readonly nextDueInMs: Effect.Effect<Option.Option<number>> };
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

/** The shortest wait after a round that claimed nothing (the old poll's pace). */
const IDLE_FLOOR_MS = 500;

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
            Effect.logWarning(`job run failed (${unavailable && loop.giveBack ? "given back to the queue" : "its lease brings it back"}): ${why}`),
            unavailable && loop.giveBack ? retryWhileUnavailable(loop.giveBack(job, why)).pipe(Effect.ignore) : Effect.void,
          );
        }),
        Effect.ensuring(Effect.zipRight(Effect.sync(() => running--), loop.wake?.waiter.poke ?? Effect.void)),
      );
    /** Claims what it may; "full" when no slot was free, else how many it claimed. */
    const round = Effect.gen(function* () {
      const free = loop.concurrency - running;
      if (free <= 0) return "full" as const;
      const jobs = yield* loop.claim(free).pipe(Effect.orElseSucceed((): J[] => []));
      running += jobs.length;
      // Children of this loop: interrupted with it, and gone from memory when done.
      for (const job of jobs) yield* Effect.fork(runOne(job));
      return jobs.length;
    });
    const idle = (claimed: number | "full") => {
      const wake = loop.wake;
      if (!wake) return Effect.sleep(Duration.millis(loop.pollMs));
      // Every slot taken: a run that ends pokes the loop; due jobs cannot be taken before that.
      if (claimed === "full") return wake.waiter.wait(loop.pollMs);
      // A job that looks due but was not claimed (another host's card, a card busy with
      // another job) must not make the loop spin: then it looks again after IDLE_FLOOR_MS.
      return Effect.flatMap(wake.nextDueInMs, (due) =>
        waitUntilDue(wake.waiter, loop.pollMs, claimed > 0 ? due : Option.map(due, (ms) => Math.max(ms, IDLE_FLOOR_MS))),
      );
    };
    yield* Effect.forever(Effect.flatMap(round, idle)).pipe(Effect.forkScoped);
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
    db.updateTable("jobs").set({ state: "queued", run_after: sql<Date>`now() + ${`${Math.max(0, Math.round(delayMs))} milliseconds`}::interval`, locked_until: null, last_error: reason }).where("id", "=", id).execute(),
  ).pipe(Effect.asVoid);

/**
 * In how many ms the next job of these kinds falls due (a queued job's time, or a lease that
 * runs out), on the database's clock; none when there is nothing to wait for. Not narrowed to
 * this host's cards: a job of another host's only costs an early look.
 */
export const nextJobDueInMs = (db: Kysely<Database>, kinds: { readonly like: string } | { readonly is: string }): Effect.Effect<Option.Option<number>> =>
  tryStore("reading when the next job is due", async () => {
    const kind = "is" in kinds ? sql`kind = ${kinds.is}` : sql`kind like ${kinds.like}`;
    const row = await sql<{ ms: number | null }>`
      select (extract(epoch from least(
        (select min(run_after) from jobs where state = 'queued' and ${kind}),
        (select min(locked_until) from jobs where state = 'running' and ${kind})
      ) - now()) * 1000)::float8 as ms`.execute(db);
    const ms = row.rows[0]?.ms;
    return ms === null || ms === undefined ? Option.none<number>() : Option.some(Math.ceil(Number(ms)));
  }).pipe(Effect.orElseSucceed(() => Option.none<number>()));
