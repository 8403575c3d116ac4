/**
 * Each part of an outgoing SMS is recorded just before it is handed to the modem and when
 * the modem answered (sms_submits). A record left open means the answer never came - the
 * service stopped, or the modem went silent after taking the body - so that part may have
 * gone out. Such a message is not sent again blindly: it is marked `unknown` and the API
 * says so; it is sent again only by policy (`resendUnknownAfterMs`), and never once a
 * status report showed it delivered.
 */
import { Effect } from "effect";
import { sql, type Kysely } from "kysely";
import { SubmitNotRecorded, type SubmitTracker } from "../../drivers/modem/sms-outbox";
import { retryWhileUnavailable, tryStore } from "../store/database";
import type { Database } from "../store/schema";

export const submitTracker = (db: Kysely<Database>, smsId: number, host: string): SubmitTracker => ({
  before: (seq) =>
    Effect.tryPromise({
      try: () =>
        db
          .insertInto("sms_submits")
          .values({ sms_id: smsId, seq, host })
          .onConflict((oc) => oc.columns(["sms_id", "seq"]).doUpdateSet({ host, started_at: sql`now()`, finished_at: null, mr: null, error: null }))
          .execute(),
      catch: (e) => new SubmitNotRecorded({ reason: `the database did not record the part: ${(e as Error).message}` }),
    }).pipe(Effect.asVoid),
  // If this cannot be written, the part stays in doubt: the safe side.
  after: (seq, outcome) =>
    retryWhileUnavailable(
      tryStore("recording a part's answer", () =>
        db.updateTable("sms_submits").set({ finished_at: sql`now()`, mr: outcome.mr, error: outcome.error }).where("sms_id", "=", smsId).where("seq", "=", seq).execute(),
      ),
      30_000,
    ).pipe(Effect.ignore),
});

export interface InDoubt {
  readonly seq: number;
  readonly startedAt: Date;
  readonly host: string;
}

/** The parts of a message whose answer never came, oldest first. */
export const partsInDoubt = (db: Kysely<Database>, smsId: number) =>
  tryStore("reading the parts in doubt", () =>
    db.selectFrom("sms_submits").select(["seq", "started_at", "host"]).where("sms_id", "=", smsId).where("finished_at", "is", null).orderBy("seq").execute(),
  ).pipe(Effect.map((rows): InDoubt[] => rows.map((r) => ({ seq: r.seq, startedAt: new Date(r.started_at), host: r.host }))));

/** Forgets the message's part records before it is sent again from the start. */
export const clearSubmits = (db: Kysely<Database>, smsId: number) =>
  tryStore("clearing the part records", () => db.deleteFrom("sms_submits").where("sms_id", "=", smsId).execute()).pipe(Effect.asVoid);

export const doubtText = (doubt: InDoubt) =>
  `part ${doubt.seq} was handed to the modem at ${doubt.startedAt.toISOString()} by host ${doubt.host} and its answer never came (the service stopped or the modem went silent): it may have gone out`;

/**
 * The parts the modem accepted on earlier tries of this message (answered, no error): a
 * retry after a failed part sends only the others, under the same concatenation reference.
 */
export const acceptedParts = (db: Kysely<Database>, smsId: number) =>
  tryStore("reading the parts already sent", () =>
    db.selectFrom("sms_submits").select(["seq", "mr"]).where("sms_id", "=", smsId).where("finished_at", "is not", null).where("error", "is", null).orderBy("seq").execute(),
  ).pipe(Effect.map((rows) => rows.map((r) => ({ seq: r.seq, mr: r.mr === null ? Number.NaN : r.mr }))));

/** A long message's concatenation reference: fixed by the message, so every try uses the same. */
export const concatReference = (smsId: number) => smsId % 256;
