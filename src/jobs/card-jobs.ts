/**
 * Work on a card other than sending SMS, as durable jobs: a USSD request, an AT command, a
 * call to dial, clearing its storage. Accepting one writes its record (a ussd or at_log row) and its job in one
 * transaction. The worker runs at most one job per card at a time (one failing card never
 * holds up the others, and a card's work keeps its order), highest priority first, then
 * oldest; it holds the card through the scheduler (switching it in when it is on no modem),
 * runs the work on the card's modem, and records the answer or the modem's error. Retryable
 * modem errors are tried again with backoff; a card that stays unreachable fails the job
 * after `cardWaitMs`.
 */
import { Clock, Effect, Option, type Scope } from "effect";
import { sql, type Kysely, type Transaction } from "kysely";
import type { AtError } from "../../drivers/at/errors";
import type { UssdError, UssdReply } from "../../drivers/modem/ussd";
import type { CallError } from "../../drivers/modem/calls";
import type { Registry } from "../devices/registry";
import { recordEvent } from "../store/events";
import { waitForLease, type CardSwitcher } from "../scheduler/card-switcher";
import { StoreError, tryStore } from "../store/database";
import type { Database } from "../store/schema";
import type { Wakeups } from "../store/wakeups";
import { awaitHolder } from "../devices/card-holder";
import { cardIsMine } from "../hosts/host";
import { countModemAttempt, rescheduleJob, runJobLoop, nextJobDueInMs } from "./job-queue";
import { cardWaitOverNow, mayRetry, retryDelayMs } from "./job-timing";

export type CardWork =
  | { readonly kind: "ussd"; readonly iccid: string; readonly code: string }
  | { readonly kind: "at"; readonly iccid: string; readonly command: string }
  | { readonly kind: "dial"; readonly iccid: string; readonly number: string }
  /** Clear the SIM's storage: every message on it stored, then deleted (the modem's sweep). */
  | { readonly kind: "clear"; readonly iccid: string };

/** Higher runs first: a technician's AT command before a balance check. */
const PRIORITY: Record<CardWork["kind"], number> = { at: 3, dial: 2, ussd: 1, clear: 1 };
const KINDS = ["card-ussd", "card-at", "card-dial", "card-clear"];

const store = tryStore;

/** Accepts work; returns the id of its record (ussd or at_log row; the job's id for a dial or a clear). */
export const enqueueCardWork = (db: Kysely<Database>, work: CardWork): Effect.Effect<number, StoreError> =>
  store("accepting card work", () =>
    db.transaction().execute(async (trx) => {
      let record: number | null = null;
      if (work.kind === "ussd") record = (await trx.insertInto("ussd").values({ iccid: work.iccid, request: work.code, state: "queued" }).returning("id").executeTakeFirstOrThrow()).id;
      if (work.kind === "at") record = (await trx.insertInto("at_log").values({ iccid: work.iccid, command: work.command, response: "", state: "queued" }).returning("id").executeTakeFirstOrThrow()).id;
      const job = await trx
        .insertInto("jobs")
        .values({ kind: `card-${work.kind}`, payload: JSON.stringify({ ...work, record, priority: PRIORITY[work.kind] }), run_after: sql<Date>`now()`, locked_until: null, last_error: null })
        .returning("id")
        .executeTakeFirstOrThrow();
      return record ?? job.id;
    }),
  );

export interface CardJobOptions {
  readonly switcher?: CardSwitcher;
  /** How often due jobs are looked for (default 500 ms; 5 s with `wakeups`, as the fallback). */
  readonly pollMs?: number;
  /** Wake-ups from the database: a queued job is taken at once, not at the next poll. */
  readonly wakeups?: Wakeups;
  readonly concurrency?: number;
  readonly maxAttempts?: number;
  readonly retryBaseMs?: number;
  readonly cardWaitMs?: number;
  readonly leaseMs?: number;
  /** How long a claimed job waits in memory for its card to reach a modem (default 30 s). */
  readonly cardAwaitMs?: number;
  /** This host: only jobs for cards on devices it drives (or on none) are claimed, in its name. */
  readonly host?: string;
}

export interface Claimed {
  readonly id: number;
  readonly attempts: number;
  readonly work: CardWork & { readonly record: number | null };
  readonly createdAt: Date;
}

/**
 * Claims up to `limit` due card jobs under a lease, at most one per card, and none for a card
 * that has a job running. Rows another worker is claiming are skipped (SKIP LOCKED), and
 * the card is taken with a transaction-scoped advisory lock before its running jobs are
 * checked: two workers never claim one job, nor two jobs of one card.
 */
export const claimCardJobs = (db: Kysely<Database>, limit: number, leaseMs: number, host: string | null = null): Effect.Effect<Claimed[], StoreError> =>
  store("claiming card jobs", () =>
    db.transaction().execute(async (trx) => {
      const due = sql`kind = any(${KINDS}) and ((state = 'queued' and run_after <= now()) or (state = 'running' and locked_until < now()))
        ${host ? sql`and ${cardIsMine(sql`(jobs.payload->>'iccid')`, host)}` : sql``}`;
      // Unlocked first: locking every candidate would hide from other workers the jobs this
      // one will not take.
      const candidates = await sql<{ id: number; iccid: string }>`
        select id, payload->>'iccid' as iccid from jobs where ${due}
        order by (payload->>'priority')::int desc, run_after, id
        limit ${limit * 4}`.execute(trx);
      const chosen: number[] = [];
      const cards = new Set<string>();
      for (const c of candidates.rows) {
        if (chosen.length >= limit) break;
        if (cards.has(c.iccid)) continue;
        cards.add(c.iccid);
        const locked = await sql<{ ok: boolean }>`select pg_try_advisory_xact_lock(7130002, hashtext(${c.iccid})) as ok`.execute(trx);
        if (!locked.rows[0]?.ok) continue;
        // Under the card's lock, and in a statement of its own, so a claim that committed
        // just before is seen: the job still due and no other job of the card running.
        const row = await sql`select id from jobs where id = ${c.id} and ${due} for update skip locked`.execute(trx);
        if (row.rows.length === 0) continue;
        const busy = await sql`
          select 1 from jobs where kind = any(${KINDS}) and state = 'running' and locked_until >= now()
            and payload->>'iccid' = ${c.iccid} and id <> ${c.id} limit 1`.execute(trx);
        if (busy.rows.length === 0) chosen.push(Number(c.id));
      }
      if (chosen.length === 0) return [];
      const rows = await sql<{ id: number; attempts: number; payload: Claimed["work"]; created_at: Date }>`
        update jobs set state = 'running', locked_until = now() + ${`${leaseMs} milliseconds`}::interval, claimed_by = ${host}
        where id = any(${chosen})
        returning id, attempts, payload, created_at`.execute(trx);
      return rows.rows.map((r): Claimed => ({ id: Number(r.id), attempts: r.attempts, work: r.payload, createdAt: new Date(r.created_at) }));
    }),
  );

export const runCardJobs = (db: Kysely<Database>, registry: Registry, options: CardJobOptions = {}): Effect.Effect<void, never, Scope.Scope> =>
  Effect.gen(function* () {
    const pollMs = options.pollMs ?? (options.wakeups ? 5_000 : 500);
    const concurrency = options.concurrency ?? 16;
    const maxAttempts = options.maxAttempts ?? 5;
    const retryBaseMs = options.retryBaseMs ?? 5_000;
    const cardWaitMs = options.cardWaitMs ?? 600_000;
    const leaseMs = options.leaseMs ?? 300_000;

    const claim = (limit: number) => claimCardJobs(db, limit, leaseMs, options.host ?? null);

    const holderName = (job: Claimed) => `card-job:${job.id}`;

    // The record, its event and the job's end commit together.
    const finish = (job: Claimed, record: (trx: Transaction<Database>) => Promise<void>) =>
      store("finishing a card job", () =>
        db.transaction().execute(async (trx) => {
          await record(trx);
          await trx.updateTable("jobs").set({ state: "done", locked_until: null }).where("id", "=", job.id).execute();
        }),
      ).pipe(Effect.zipLeft(options.switcher ? options.switcher.release(job.work.iccid, holderName(job)) : Effect.void));

    const retry = (job: Claimed, delayMs: number, reason: string) => rescheduleJob(db, job.id, delayMs, reason);

    /** The record's failure, in its own table. */
    const failRecord = (job: Claimed, error: string) => async (trx: Transaction<Database>) => {
      const { work } = job;
      if (work.kind === "ussd" && work.record !== null)
        await trx.updateTable("ussd").set({ state: "failed", status: `error: ${error}`, answered_at: new Date() }).where("id", "=", work.record).execute();
      if (work.kind === "at" && work.record !== null)
        await trx.updateTable("at_log").set({ state: "failed", response: error, answered_at: new Date() }).where("id", "=", work.record).execute();
      if (work.kind === "dial" || work.kind === "clear") await trx.updateTable("jobs").set({ last_error: error }).where("id", "=", job.id).execute();
    };

    const run = (job: Claimed) =>
      Effect.gen(function* () {
        const { work } = job;
        const waited = yield* cardWaitOverNow(job.createdAt, cardWaitMs);
        // A technician has the card's modem: wait for the lease, no attempt spent.
        const lease = options.switcher ? yield* options.switcher.leased(work.iccid, holderName(job)) : null;
        if (lease) {
          const { delayMs, reason } = waitForLease(lease, yield* Clock.currentTimeMillis);
          return yield* retry(job, delayMs, reason);
        }
        const claim = options.switcher ? yield* options.switcher.request(work.iccid, holderName(job)) : "unmanaged";
        const switchFailed = options.switcher ? Effect.map(options.switcher.switchFailed(work.iccid), (reason) => reason !== null) : undefined;
        const holder = claim === "busy" ? Option.none() : yield* awaitHolder(registry, work.iccid, options.cardAwaitMs ?? 30_000, switchFailed);
        if (Option.isNone(holder)) {
          if (waited) return yield* finish(job, failRecord(job, `card ${work.iccid} was not reachable for ${cardWaitMs} ms`));
          return yield* retry(job, 1_000, `card ${work.iccid} is not in a modem yet`);
        }
        const { actor, modem } = holder.value;
        // Checked on the modem itself first: a code dialled from the wrong card costs money.
        const confirmed = yield* Effect.either(actor.confirmCard(work.iccid));
        if (confirmed._tag === "Left") return yield* retry(job, 1_000, confirmed.left.message);
        const attempt = yield* countModemAttempt(db, job.id);
        type Done = { kind: "ussd"; reply: UssdReply } | { kind: "at"; text: string } | { kind: "dial" } | { kind: "clear" };
        const work$: Effect.Effect<Done, AtError | UssdError | CallError> =
          work.kind === "ussd"
            ? Effect.map(actor.ussd(work.code), (reply): Done => ({ kind: "ussd", reply }))
            : work.kind === "at"
              ? Effect.map(actor.raw(work.command), (reply): Done => ({ kind: "at", text: [...reply.lines, reply.finalText].join("\n") }))
              : work.kind === "dial"
                ? Effect.map(actor.dial(work.number), (): Done => ({ kind: "dial" }))
                : Effect.as(actor.sweep, { kind: "clear" } as Done);
        const outcome = yield* Effect.either(work$);
        if (outcome._tag === "Right") {
          const done = outcome.right;
          return yield* finish(job, async (trx) => {
            if (done.kind === "ussd" && work.record !== null) {
              await trx.updateTable("ussd").set({ state: "done", reply: done.reply.text, raw: done.reply.raw, status: done.reply.status, answered_at: new Date() }).where("id", "=", work.record).execute();
              await recordEvent(trx, "ussdReceived", { device: modem.device, iccid: work.iccid }, { ussd_id: work.record, msg: done.reply.text, status: done.reply.status });
            }
            if (done.kind === "at" && work.record !== null)
              await trx.updateTable("at_log").set({ state: "done", response: done.text, answered_at: new Date() }).where("id", "=", work.record).execute();
          });
        }
        const error = outcome.left;
        const retryable = error._tag === "AtModemError" ? error.error.retryable : error._tag === "AtTimeout";
        // A dial is not repeated on its own: a call that half-happened must not ring twice.
        if (retryable && work.kind !== "dial" && mayRetry(attempt, maxAttempts)) return yield* retry(job, retryDelayMs(retryBaseMs, attempt), error.message);
        return yield* finish(job, failRecord(job, error.message));
      });

    const wake = options.wakeups
      ? { waiter: yield* options.wakeups.subscribe("simgate_jobs"), nextDueInMs: nextJobDueInMs(db, { like: "card-%" }) }
      : undefined;
    yield* runJobLoop({ pollMs, concurrency, claim, run, wake, giveBack: (job, why) => rescheduleJob(db, job.id, 1_000, `the run was cut off: ${why}`) });
  });
