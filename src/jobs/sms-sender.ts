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
import { Effect, Option, type Scope } from "effect";
import { sql, type Kysely } from "kysely";
import type { Database } from "../store/schema";
import { StoreError, tryStore } from "../store/database";
import type { RegisteredModem, Registry } from "../devices/registry";
import { holderOf } from "./records";
import { rescheduleJob, runJobLoop } from "./job-queue";
import type { CardSwitcher } from "../scheduler/service";
import { recordEvent } from "../events/events";

export interface SmsRequest {
  readonly iccid: string;
  readonly to: string;
  readonly text: string;
  readonly statusReport?: boolean;
}

export interface SenderOptions {
  /** How often due jobs are looked for (default 500 ms). */
  readonly pollMs?: number;
  /** Jobs in flight at once across all modems (default 16). */
  readonly concurrency?: number;
  /** Attempts before a retryable failure becomes final (default 5). */
  readonly maxAttempts?: number;
  /** First retry delay; doubles per attempt (default 5 s). */
  readonly retryBaseMs?: number;
  /** How long a card may be out of every modem before the message fails (default 1 h). */
  readonly cardWaitMs?: number;
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
      await trx.insertInto("jobs").values({ kind: "sms-send", payload: JSON.stringify({ smsId: row.id }), run_after: new Date(), locked_until: null, last_error: null }).execute();
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
    const pollMs = options.pollMs ?? 500;
    const concurrency = options.concurrency ?? 16;
    const maxAttempts = options.maxAttempts ?? 5;
    const retryBaseMs = options.retryBaseMs ?? 5_000;
    const cardWaitMs = options.cardWaitMs ?? 3_600_000;
    const leaseMs = options.leaseMs ?? 300_000;
    // Reports name the actor's own message id, which starts again with every session of a
    // modem; this maps (modem, id) back to sms_out rows and is cleared on reconnection.
    const sentBy = new Map<RegisteredModem, Map<number, number>>();
    const early = new Map<RegisteredModem, { id: number; seq: number; status: number; outcome: number | null }[]>();

    const recordReport = (smsId: number, seq: number, status: number, outcome: number | null) =>
      store("recording a status report", async () => {
        await db.updateTable("sms_out_parts").set({ report_status: status, reported_at: new Date() }).where("sms_id", "=", smsId).where("seq", "=", seq).execute();
        if (outcome !== 2 && outcome !== 0) return;
        await db.transaction().execute(async (trx) => {
          const row = await trx
            .updateTable("sms_out")
            .set(outcome === 2 ? { state: "delivered", outcome: 2, delivered_at: new Date() } : { state: "undelivered", outcome: 0 })
            .where("id", "=", smsId)
            .where("outcome", "is distinct from", outcome)
            .returning(["iccid", "addressee"])
            .executeTakeFirst();
          if (row) await recordEvent(trx, "smsSended", { iccid: row.iccid }, { sms_id: smsId, addressee: row.addressee, status: outcome });
        });
      }).pipe(Effect.ignore);

    for (const m of registry.modems) {
      const events = yield* m.supervised.events;
      yield* Effect.forever(
        Effect.flatMap(events.take, (event) => {
          if (event.type === "supervisor" && event.step === "connected")
            return Effect.sync(() => {
              sentBy.delete(m);
              early.delete(m);
            });
          if (event.type !== "sms-report") return Effect.void;
          const smsId = sentBy.get(m)?.get(event.id);
          if (smsId !== undefined) return recordReport(smsId, event.seq, event.status, event.outcome);
          // The send has not returned yet (its fiber resumes after the report's): hold it.
          const held = early.get(m) ?? [];
          early.set(m, [...held.slice(-255), event]);
          return Effect.void;
        }),
      ).pipe(Effect.forkScoped);
    }

    const claim = (limit: number) =>
      store("claiming jobs", async () => {
        const rows = await sql<{ id: number; attempts: number; payload: { smsId: number }; created_at: Date }>`
          update jobs set state = 'running', attempts = attempts + 1, locked_until = now() + ${`${leaseMs} milliseconds`}::interval
          where id in (
            select id from jobs
            where kind = 'sms-send'
              and ((state = 'queued' and run_after <= now()) or (state = 'running' and locked_until < now()))
            order by run_after, id
            for update skip locked
            limit ${limit}
          )
          returning id, attempts, payload, created_at`.execute(db);
        return rows.rows.map((r): ClaimedJob => ({ id: r.id, attempts: r.attempts, smsId: r.payload.smsId, createdAt: new Date(r.created_at) }));
      });

    const holderName = (job: ClaimedJob) => `sms-out:${job.smsId}`;
    const finish = (job: ClaimedJob, sms: { state: string; outcome: number | null; error?: string | null; modem_error?: number | null; sent_at?: Date }, iccid?: string | null) =>
      store("finishing a job", () =>
        db.transaction().execute(async (trx) => {
          const row = await trx.updateTable("sms_out").set(sms).where("id", "=", job.smsId).returning(["iccid", "addressee"]).executeTakeFirst();
          await trx.updateTable("jobs").set({ state: "done", locked_until: null }).where("id", "=", job.id).execute();
          if (row) await recordEvent(trx, "smsSended", { iccid: row.iccid }, { sms_id: job.smsId, addressee: row.addressee, status: sms.outcome ?? 0 });
        }),
      ).pipe(Effect.zipLeft(iccid && options.switcher ? options.switcher.release(iccid, holderName(job)) : Effect.void));

    const retry = (job: ClaimedJob, delayMs: number, reason: string) => rescheduleJob(db, job.id, delayMs, reason);

    const run = (job: ClaimedJob) =>
      Effect.gen(function* () {
        const sms = yield* store("reading an SMS", () => db.selectFrom("sms_out").selectAll().where("id", "=", job.smsId).executeTakeFirst());
        if (!sms) return yield* store("dropping an orphan job", () => db.updateTable("jobs").set({ state: "done" }).where("id", "=", job.id).execute());
        // Held for the send: a rotation must not move the card between finding its modem
        // and the modem sending (the send would go out from whatever card came in).
        // Sending without the hold (another hold stands in the way) could send from the card
        // that replaces this one: wait and ask again.
        const claim = options.switcher && sms.iccid ? yield* options.switcher.request(sms.iccid, holderName(job)) : "unmanaged";
        if (claim === "busy") {
          if (Date.now() - job.createdAt.getTime() > cardWaitMs)
            return yield* finish(job, { state: "failed", outcome: 0, error: `card ${sms.iccid} stayed busy for ${cardWaitMs} ms` }, sms.iccid);
          return yield* retry(job, 1_000, `card ${sms.iccid} is held by another`);
        }
        const holder = yield* holderOf(registry, sms.iccid ?? "");
        if (Option.isNone(holder)) {
          // The card is in no modem right now (switched out, modem reconnecting): wait for it.
          if (Date.now() - job.createdAt.getTime() > cardWaitMs)
            return yield* finish(job, { state: "failed", outcome: 0, error: `card ${sms.iccid} was not in any modem for ${cardWaitMs} ms` }, sms.iccid);
          return yield* retry(job, Math.min(retryBaseMs, options.switcher ? 1_000 : 5_000), `card ${sms.iccid} is not in a modem`);
        }
        yield* store("marking an SMS sending", () => db.updateTable("sms_out").set({ state: "sending" }).where("id", "=", sms.id).execute());
        const { modem, actor } = holder.value;
        const ids = sentBy.get(modem) ?? new Map<number, number>();
        sentBy.set(modem, ids);
        const sent = yield* actor.sendSms(sms.addressee, sms.text, { statusReport: sms.status_report, priority: "bulk" }).pipe(Effect.either);
        if (sent._tag === "Right") {
          yield* store("recording the parts", () =>
            db.transaction().execute(async (trx) => {
              for (const p of sent.right.parts)
                await sql`insert into sms_out_parts (sms_id, seq, mr) values (${sms.id}, ${p.seq}, ${Number.isInteger(p.mr) ? p.mr : null}) on conflict (sms_id, seq) do update set mr = excluded.mr`.execute(trx);
            }),
          );
          yield* finish(job, { state: "sent", outcome: 1, sent_at: new Date(), error: null, modem_error: null }, sms.iccid);
          // Only now may reports find the row: one applied earlier would be overwritten by
          // "sent", or find no parts. Those that came in the meantime waited in `early`.
          ids.set(sent.right.id, sms.id);
          const held = early.get(modem) ?? [];
          early.set(modem, held.filter((e) => e.id !== sent.right.id));
          for (const e of held.filter((e) => e.id === sent.right.id)) yield* recordReport(sms.id, e.seq, e.status, e.outcome);
          return;
        }
        const error = sent.left;
        const code = error._tag === "AtModemError" ? error.error.code : null;
        const retryable = error._tag === "AtModemError" ? error.error.retryable : error._tag !== "SmsEncodeError";
        if (retryable && job.attempts < maxAttempts) return yield* retry(job, retryBaseMs * 2 ** (job.attempts - 1), error.message);
        return yield* finish(job, { state: "failed", outcome: 0, error: error.message, modem_error: code }, sms.iccid);
      });

    yield* runJobLoop({ pollMs, concurrency, claim, run });
  });
