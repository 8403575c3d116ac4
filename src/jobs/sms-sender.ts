/**
 * Outgoing SMS as durable jobs. Accepting a message writes its sms_out row and its job in one
 * transaction; a worker claims due jobs (FOR UPDATE SKIP LOCKED, so several workers never
 * take one job twice), sends each through the modem that holds the card, records every
 * part's reference, and turns status reports into the outcome (0 error, 1 sent,
 * 2 delivered). A retryable modem error (+CMS ERROR: 500, no network) is tried again with
 * backoff; any other error fails the message with the modem's code. Jobs run side by side,
 * so one stuck modem delays only its own messages. A job left running by a crash is
 * claimed again once its lease expires (sending is at-least-once across a crash).
 */
import { Clock, Effect, Option, type Scope } from "effect";
import { sql, type Kysely, type Transaction } from "kysely";
import type { Database } from "../store/schema";
import type { Wakeups } from "../store/wakeups";
import { retryWhileUnavailable, StoreError, tryStore } from "../store/database";
import type { Registry } from "../devices/registry";
import { awaitHolder } from "../devices/card-holder";
import { countModemAttempt, rescheduleJob, runJobLoop, nextJobDueInMs } from "./job-queue";
import { cardWaitOverNow, inDoubtDecisionNow, mayRetry, retryDelayMs } from "./job-timing";
import { waitForLease, type CardSwitcher } from "../scheduler/card-switcher";
import { recordEvent } from "../store/events";
import { lockCardReports, recordStatusReport, takeWaitingReports } from "./status-reports";
import { acceptedParts, clearSubmits, concatReference, doubtText, partsInDoubt, submitTracker } from "./submits";
import { cardIsMine } from "../hosts/host";

export interface SmsRequest {
  readonly iccid: string;
  readonly to: string;
  readonly text: string;
  readonly statusReport?: boolean;
}

export interface SenderOptions {
  /** How often due jobs are looked for (default 500 ms; 5 s with `wakeups`, as the fallback). */
  readonly pollMs?: number;
  /** Wake-ups from the database: a queued job is taken at once, not at the next poll. */
  readonly wakeups?: Wakeups;
  /** Jobs in flight at once across all modems (default 16). */
  readonly concurrency?: number;
  /** Attempts before a retryable failure becomes final (default 5). */
  readonly maxAttempts?: number;
  /** First retry delay; doubles per attempt (default 5 s). */
  readonly retryBaseMs?: number;
  /** How long a card may be out of every modem before the message fails (default 1 h). */
  readonly cardWaitMs?: number;
  /** How long a claimed job waits in memory for its card to reach a modem before it goes back to the queue (default 30 s). */
  readonly cardAwaitMs?: number;
  /**
   * This host: jobs are claimed in its name, only for cards on devices it drives (or on
   * none), and each part is recorded before and after it goes to the modem.
   */
  readonly host?: string;
  /**
   * A message whose send was cut off (the answer to a part never came) is marked unknown;
   * it is sent again after this long unless a report showed it delivered. null (the
   * default): never sent again.
   */
  readonly resendUnknownAfterMs?: number | null;
  /** A claimed job's lease: after a crash it is claimed again this long after (default 5 min). */
  readonly leaseMs?: number;
  /** Switches a card that is in no modem in (a SIM bank); without it the job only waits. */
  readonly switcher?: CardSwitcher;
}

const store = tryStore;

/** Accepts a message: its row and its job, together or not at all. */
export const enqueueSms = (db: Kysely<Database>, request: SmsRequest): Effect.Effect<number, StoreError> =>
  store("accepting an SMS", () =>
    db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto("sms_out")
        .values({ iccid: request.iccid, addressee: request.to, text: request.text, status_report: request.statusReport ?? false, outcome: null, error: null, modem_error: null, sent_at: null, delivered_at: null })
        .returning("id")
        .executeTakeFirstOrThrow();
      await trx.insertInto("jobs").values({ kind: "sms-send", payload: JSON.stringify({ smsId: row.id }), run_after: sql<Date>`now()`, locked_until: null, last_error: null }).execute();
      return row.id;
    }),
  );

interface ClaimedJob {
  readonly id: number;
  readonly attempts: number;
  readonly smsId: number;
  readonly createdAt: Date;
}

export const runSmsSender = (db: Kysely<Database>, registry: Registry, options: SenderOptions = {}): Effect.Effect<void, never, Scope.Scope> =>
  Effect.gen(function* () {
    const pollMs = options.pollMs ?? (options.wakeups ? 5_000 : 500);
    const concurrency = options.concurrency ?? 16;
    const maxAttempts = options.maxAttempts ?? 5;
    const retryBaseMs = options.retryBaseMs ?? 5_000;
    const cardWaitMs = options.cardWaitMs ?? 3_600_000;
    const leaseMs = options.leaseMs ?? 300_000;
    const cardPollMs = options.cardAwaitMs ?? 30_000;
    const host = options.host ?? null;
    // Status reports from every modem go to the store, which matches them to their parts.
    for (const m of registry.modems) {
      const events = yield* m.supervised.events;
      yield* Effect.forever(
        Effect.flatMap(events.take, (event) =>
          event.type === "status-report"
            ? store("recording a status report", () => recordStatusReport(db, event.report)).pipe(
                Effect.catchAll((e) => Effect.logWarning(e.message).pipe(Effect.annotateLogs({ device: m.device, modem: m.position }))),
              )
            : Effect.void,
        ),
      ).pipe(Effect.forkScoped);
    }

    const claim = (limit: number) =>
      store("claiming jobs", async () => {
        const rows = await sql<{ id: number; attempts: number; payload: { smsId: number }; created_at: Date }>`
          update jobs set state = 'running', locked_until = now() + ${`${leaseMs} milliseconds`}::interval, claimed_by = ${host}
          where id in (
            select id from jobs
            where kind = 'sms-send'
              and ((state = 'queued' and run_after <= now()) or (state = 'running' and locked_until < now()))
              ${host ? sql`and ${cardIsMine(sql`(select iccid from sms_out where id = (jobs.payload->>'smsId')::bigint)`, host)}` : sql``}
            order by run_after, id
            for update skip locked
            limit ${limit}
          )
          returning id, attempts, payload, created_at`.execute(db);
        return rows.rows.map((r): ClaimedJob => ({ id: r.id, attempts: r.attempts, smsId: r.payload.smsId, createdAt: new Date(r.created_at) }));
      });

    const holderName = (job: ClaimedJob) => `sms-out:${job.smsId}`;
    type Final = { state: string; outcome: number | null; error?: string | null; modem_error?: number | null; sent_at?: Date };
    const finishIn = async (trx: Transaction<Database>, job: ClaimedJob, sms: Final) => {
      const row = await trx.updateTable("sms_out").set(sms).where("id", "=", job.smsId).returning(["iccid", "addressee"]).executeTakeFirst();
      await trx.updateTable("jobs").set({ state: "done", locked_until: null }).where("id", "=", job.id).execute();
      if (row) await recordEvent(trx, "smsSended", { iccid: row.iccid }, { sms_id: job.smsId, addressee: row.addressee, status: sms.outcome ?? 0 });
    };
    // Every way a job ends lets its card go: a hold is a row, and one left behind (a job
    // ended unknown after a crash had cut its send) would pin the card for good.
    const finish = (job: ClaimedJob, sms: Final, iccid: string | null) =>
      retryWhileUnavailable(store("finishing a job", () => db.transaction().execute((trx) => finishIn(trx, job, sms)))).pipe(
        Effect.zipLeft(iccid && options.switcher ? options.switcher.release(iccid, holderName(job)) : Effect.void),
      );

    const retry = (job: ClaimedJob, delayMs: number, reason: string) => rescheduleJob(db, job.id, delayMs, reason);

    const run = (job: ClaimedJob) =>
      Effect.gen(function* () {
        const sms = yield* store("reading an SMS", () => db.selectFrom("sms_out").selectAll().where("id", "=", job.smsId).executeTakeFirst());
        if (!sms) return yield* store("dropping an orphan job", () => db.updateTable("jobs").set({ state: "done" }).where("id", "=", job.id).execute());
        // A send that was cut off (a crash, a silent modem) is not repeated blindly.
        const doubt = yield* partsInDoubt(db, sms.id);
        if (doubt.length > 0) {
          const first = doubt[0]!;
          if (sms.outcome === 2) return yield* finish(job, { state: "delivered", outcome: 2 }, sms.iccid);
          const decision = yield* inDoubtDecisionNow(first.startedAt, options.resendUnknownAfterMs ?? null);
          if (decision.kind === "keep-unknown")
            return yield* finish(job, { state: "unknown", outcome: null, error: `${doubtText(first)}; not sent again (resendUnknownAfterMs is off)` }, sms.iccid);
          if (decision.kind === "wait") {
            yield* store("marking an SMS unknown", () =>
              db.updateTable("sms_out").set({ state: "unknown", error: `${doubtText(first)}; sent again at ${decision.resendAt.toISOString()} unless a report says it was delivered` }).where("id", "=", sms.id).execute(),
            );
            // Not pinned while the policy waits: the card may serve others meanwhile.
            if (sms.iccid && options.switcher) yield* options.switcher.release(sms.iccid, holderName(job));
            return yield* retry(job, decision.delayMs, "waiting to send again a message whose first send is in doubt");
          }
          yield* clearSubmits(db, sms.id);
        }
        // Held for the send: a rotation must not move the card between finding its modem
        // and the modem sending (the send would go out from whatever card came in).
        // Sending without the hold (another hold stands in the way) could send from the card
        // that replaces this one: wait and ask again.
        // A technician has the card's modem: wait for the lease, no attempt spent, no failing.
        const lease = options.switcher && sms.iccid ? yield* options.switcher.leased(sms.iccid, holderName(job)) : null;
        if (lease) {
          const { delayMs, reason } = waitForLease(lease, yield* Clock.currentTimeMillis);
          return yield* retry(job, delayMs, reason);
        }
        const claim = options.switcher && sms.iccid ? yield* options.switcher.request(sms.iccid, holderName(job)) : "unmanaged";
        if (claim === "busy") {
          if (yield* cardWaitOverNow(job.createdAt, cardWaitMs))
            return yield* finish(job, { state: "failed", outcome: 0, error: `card ${sms.iccid} stayed busy for ${cardWaitMs} ms` }, sms.iccid);
          return yield* retry(job, 1_000, `card ${sms.iccid} is held by another`);
        }
        // The card is in no modem right now (being switched in, a modem reconnecting): wait
        // for it here, then give the job back to the queue if it is still not there.
        const switchFailed = options.switcher && sms.iccid ? Effect.map(options.switcher.switchFailed(sms.iccid), (reason) => reason !== null) : undefined;
        const holder = yield* awaitHolder(registry, sms.iccid ?? "", cardPollMs, switchFailed);
        if (Option.isNone(holder)) {
          if (yield* cardWaitOverNow(job.createdAt, cardWaitMs))
            return yield* finish(job, { state: "failed", outcome: 0, error: `card ${sms.iccid} was not in any modem for ${cardWaitMs} ms` }, sms.iccid);
          return yield* retry(job, 1_000, `card ${sms.iccid} is not in a modem`);
        }
        // The modem's word for which card it holds, right before the send: a send from the
        // card that replaced this one would go out under another number.
        const confirmed = sms.iccid ? yield* Effect.either(holder.value.actor.confirmCard(sms.iccid)) : null;
        if (confirmed?._tag === "Left") return yield* retry(job, 1_000, confirmed.left.message);
        const attempt = yield* countModemAttempt(db, job.id);
        yield* store("marking an SMS sending", () => db.updateTable("sms_out").set({ state: "sending" }).where("id", "=", sms.id).execute());
        const { actor } = holder.value;
        // Parts that went out on an earlier try are not sent twice (known when tracked).
        const earlier = host ? yield* acceptedParts(db, sms.id) : [];
        const sent = yield* actor
          .sendSms(sms.addressee, sms.text, {
            statusReport: sms.status_report,
            priority: "bulk",
            reference: concatReference(sms.id),
            alreadySent: new Set(earlier.map((p) => p.seq)),
            // Asked again before every part: a card switched between parts stops the rest.
            ...(sms.iccid ? { card: sms.iccid } : {}),
            ...(host ? { track: submitTracker(db, sms.id, host) } : {}),
          })
          .pipe(Effect.map((done) => ({ ...done, parts: [...earlier, ...done.parts].sort((a, b) => a.seq - b.seq) })), Effect.either);
        if (sent._tag === "Right") {
          // The parts, "sent" and the reports that beat them here, in one transaction under
          // the card's report lock: a report is applied after "sent", never overwritten by it.
          // The message went out: a database away for a moment must not make it look unsent.
          yield* retryWhileUnavailable(store("recording the parts", () =>
            db.transaction().execute(async (trx) => {
              const iccid = sms.iccid ?? "";
              await lockCardReports(trx, iccid);
              for (const p of sent.right.parts)
                await sql`insert into sms_out_parts (sms_id, seq, mr) values (${sms.id}, ${p.seq}, ${Number.isInteger(p.mr) ? p.mr : null}) on conflict (sms_id, seq) do update set mr = excluded.mr`.execute(trx);
              // A modem that answers OK without +CMGS: <mr> sent the part, but its report can
              // never be matched: said in the state, not hidden as a plain "sent".
              const unreferenced = sent.right.parts.filter((p) => !Number.isInteger(p.mr)).map((p) => p.seq);
              await finishIn(
                trx,
                job,
                unreferenced.length === 0
                  ? { state: "sent", outcome: 1, sent_at: new Date(), error: null, modem_error: null }
                  : {
                      state: "sent-without-reference",
                      outcome: 1,
                      sent_at: new Date(),
                      error: `the modem accepted part${unreferenced.length > 1 ? "s" : ""} ${unreferenced.join(", ")} without a message reference: ${sms.status_report ? "no delivery report can be matched to it" : "sent"}`,
                      modem_error: null,
                    },
              );
              await takeWaitingReports(trx, sms.id, iccid, sms.addressee);
            }),
          ));
          if (sms.iccid && options.switcher) yield* options.switcher.release(sms.iccid, holderName(job));
          return;
        }
        const error = sent.left;
        // The modem took a body and never answered: a retry could send it twice. The next
        // run of the job decides by the policy above.
        if (host && (yield* partsInDoubt(db, sms.id)).length > 0) return yield* retry(job, 0, `in doubt: ${error.message}`);
        // The card left between parts: the rest goes when it is back (the parts sent are not sent again).
        if (error._tag === "CardChanged") return yield* retry(job, 1_000, error.message);
        const code = error._tag === "AtModemError" ? error.error.code : null;
        const retryable = error._tag === "AtModemError" ? error.error.retryable : error._tag !== "SmsEncodeError";
        if (retryable && mayRetry(attempt, maxAttempts)) return yield* retry(job, retryDelayMs(retryBaseMs, attempt), error.message);
        return yield* finish(job, { state: "failed", outcome: 0, error: error.message, modem_error: code }, sms.iccid);
      });

    const wake = options.wakeups
      ? { waiter: yield* options.wakeups.subscribe("simgate_jobs"), nextDueInMs: nextJobDueInMs(db, { is: "sms-send" }) }
      : undefined;
    yield* runJobLoop({ pollMs, concurrency, claim, run, wake, giveBack: (job, why) => rescheduleJob(db, job.id, 1_000, `the run was cut off: ${why}`) });
  });
