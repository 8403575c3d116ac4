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
import { DEFAULT_RETENTION, type Retention } from "../config/retention";


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

/** What the configuration file says (written at start), and an admin's values from the panel when set. */
const CONFIGURED = "retention_configured";
const OVERRIDE = "retention_override";
/** The settings row of the values in force, as the APIs show them. */
const IN_FORCE = "retention";

const put = (db: Kysely<Database>, key: string, value: unknown) =>
  db
    .insertInto("settings")
    .values({ key, value: JSON.stringify(value) })
    .onConflict((oc) => oc.column("key").doUpdateSet({ value: JSON.stringify(value) }))
    .execute();

const asRetention = (value: unknown): Retention | null => {
  if (typeof value !== "object" || value === null) return null;
  const v = value as Record<string, unknown>;
  return Object.keys(DEFAULT_RETENTION).every((k) => Number.isInteger(v[k])) ? ({ ...DEFAULT_RETENTION, ...(v as Partial<Retention>) } as Retention) : null;
};

export interface RetentionInForce {
  readonly retention: Retention;
  /** "panel" while an admin's values override the configuration file's. */
  readonly source: "config" | "panel";
  readonly configured: Retention;
}

export const retentionInForce = async (db: Kysely<Database>, configured?: Retention): Promise<RetentionInForce> => {
  const rows = await db.selectFrom("settings").select(["key", "value"]).where("key", "in", [CONFIGURED, OVERRIDE]).execute();
  const stored = asRetention(rows.find((r) => r.key === CONFIGURED)?.value);
  const override = asRetention(rows.find((r) => r.key === OVERRIDE)?.value);
  const base = configured ?? stored ?? DEFAULT_RETENTION;
  return override ? { retention: override, source: "panel", configured: base } : { retention: base, source: "config", configured: base };
};

export const RETENTION_MAX_DAYS = 36_500;

/** Why these values cannot be kept, or null: whole days, 0 (forever) to 100 years, as the config file allows. */
export const retentionProblem = (r: Record<string, unknown>): string | null => {
  for (const k of Object.keys(DEFAULT_RETENTION)) {
    const v = r[k];
    if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > RETENTION_MAX_DAYS) return `${k} must be a whole number of days from 0 (keep forever) to ${RETENTION_MAX_DAYS}`;
  }
  return null;
};

/** An admin's values from the panel, in force from the next pruning on (null: back to the configuration file's). */
export const setRetentionOverride = async (db: Kysely<Database>, retention: Retention | null): Promise<RetentionInForce> => {
  if (retention === null) await db.deleteFrom("settings").where("key", "=", OVERRIDE).execute();
  else await put(db, OVERRIDE, retention);
  const now = await retentionInForce(db);
  await put(db, IN_FORCE, now.retention);
  return now;
};

export const runRetention = (db: Kysely<Database>, retention: Retention): Effect.Effect<void, never, Scope.Scope> =>
  Effect.gen(function* () {
    yield* Effect.tryPromise(async () => {
      await put(db, CONFIGURED, retention);
      await put(db, IN_FORCE, (await retentionInForce(db, retention)).retention);
    }).pipe(Effect.ignore);
    // Each run reads what is in force then: a change made in the panel applies without a restart.
    const once = Effect.tryPromise({ try: () => retentionInForce(db, retention), catch: (e) => new StoreError({ reason: `reading retention: ${(e as Error).message}` }) }).pipe(
      Effect.flatMap((now) => prune(db, now.retention)),
    );
    yield* once.pipe(
      Effect.catchAll((e) => Effect.logWarning(`retention: ${e.message}`)),
      Effect.repeat(Schedule.spaced("1 hour")),
      Effect.forkScoped,
    );
  });
