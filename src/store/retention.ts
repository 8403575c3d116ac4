/**
 * Retention: how long records are kept, per kind, in days (0 keeps them forever). Messages,
 * USSD and calls are kept by default (they are the users' data); the AT log and the event
 * log are trimmed. Pruning runs at start and then hourly; the settings in force are written
 * to the settings table so the APIs can show them.
 */
import { Effect, Schedule, type Scope } from "effect";
import { sql, type Kysely } from "kysely";
import type { Database } from "./schema";
import { StoreError } from "./database";

export interface Retention {
  readonly smsDays: number;
  readonly ussdDays: number;
  readonly callsDays: number;
  readonly atLogDays: number;
  readonly eventsDays: number;
}

export const DEFAULT_RETENTION: Retention = { smsDays: 0, ussdDays: 0, callsDays: 0, atLogDays: 30, eventsDays: 90 };

/** Each table with its time column; sms_in goes with its parts. */
const TARGETS: ReadonlyArray<{ key: keyof Retention; table: string; column: string }> = [
  { key: "smsDays", table: "sms_in", column: "received_at" },
  { key: "smsDays", table: "sms_parts", column: "received_at" },
  { key: "smsDays", table: "sms_out", column: "created_at" },
  { key: "ussdDays", table: "ussd", column: "created_at" },
  { key: "callsDays", table: "calls", column: "started_at" },
  { key: "atLogDays", table: "at_log", column: "created_at" },
  { key: "eventsDays", table: "events", column: "at" },
];

/** Deletes what is older than its kind's limit; the number of rows deleted per table. */
export const prune = (db: Kysely<Database>, retention: Retention, now: Date = new Date()): Effect.Effect<Record<string, number>, StoreError> =>
  Effect.tryPromise({
    try: async () => {
      const deleted: Record<string, number> = {};
      for (const t of TARGETS) {
        const days = retention[t.key];
        if (!days) continue;
        const cutoff = new Date(now.getTime() - days * 86_400_000);
        // sms_out rows still queued or sending are work in progress, never pruned.
        const guard = t.table === "sms_out" ? sql` and state not in ('queued', 'sending')` : sql``;
        const result = await sql`delete from ${sql.table(t.table)} where ${sql.ref(t.column)} < ${cutoff}${guard}`.execute(db);
        deleted[t.table] = Number(result.numAffectedRows ?? 0);
      }
      return deleted;
    },
    catch: (e) => new StoreError({ reason: `pruning old records: ${(e as Error).message}` }),
  });

export const runRetention = (db: Kysely<Database>, retention: Retention): Effect.Effect<void, never, Scope.Scope> =>
  Effect.gen(function* () {
    yield* Effect.tryPromise(() =>
      db
        .insertInto("settings")
        .values({ key: "retention", value: JSON.stringify(retention) })
        .onConflict((oc) => oc.column("key").doUpdateSet({ value: JSON.stringify(retention) }))
        .execute(),
    ).pipe(Effect.ignore);
    yield* prune(db, retention).pipe(
      Effect.catchAll((e) => Effect.sync(() => void process.stderr.write(`retention: ${e.message}\n`))),
      Effect.repeat(Schedule.spaced("1 hour")),
      Effect.forkScoped,
    );
  });
