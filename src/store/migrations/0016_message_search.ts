/**
 * 0016: the Messages page. Every list there is newest first and paged by its key (time, id),
 * so each kind gets an index on exactly that key (the per-card ones, (iccid, time), exist
 * since 0001-0004). Text search is a substring match (ILIKE) on the text and the other party's
 * number: with pg_trgm (on a PostgreSQL server with contrib, and in PGlite, which ships it
 * and is opened with it by src/store/database.ts) trigram GIN indexes answer it. Where the
 * extension cannot be created (a server without contrib, or a user without the right) the
 * indexes are left out and the page bounds its scan instead (src/panel/messages-view.ts);
 * the savepoint keeps the failed attempt from aborting the migration's transaction.
 * Frozen once shipped.
 */
import { sql, type Kysely } from "kysely";

const TRIGRAM_INDEXES: ReadonlyArray<readonly [string, string, string]> = [
  ["sms_in_text_trgm", "sms_in", "text"],
  ["sms_in_sender_trgm", "sms_in", "sender"],
  ["sms_out_text_trgm", "sms_out", "text"],
  ["sms_out_addressee_trgm", "sms_out", "addressee"],
  ["ussd_reply_trgm", "ussd", "reply"],
  ["ussd_request_trgm", "ussd", "request"],
  ["calls_number_trgm", "calls", "number"],
  ["sms_unattributed_text_trgm", "sms_unattributed", "text"],
];

/** Whether pg_trgm is there now; a refusal leaves the migration's transaction usable. */
const createTrigrams = async (db: Kysely<any>): Promise<boolean> => {
  const available = await sql<{ ok: boolean }>`select exists (select 1 from pg_available_extensions where name = 'pg_trgm') as ok`.execute(db);
  if (!available.rows[0]?.ok) return false;
  // Outside a transaction there is no savepoint to take, and nothing a failure would abort.
  const saved = await sql`savepoint trigrams`.execute(db).then(
    () => true,
    () => false,
  );
  try {
    await sql`create extension if not exists pg_trgm`.execute(db);
    if (saved) await sql`release savepoint trigrams`.execute(db);
    return true;
  } catch {
    if (saved) await sql`rollback to savepoint trigrams`.execute(db);
    return false;
  }
};

export const up = async (db: Kysely<any>): Promise<void> => {
  // These two serve every query the time-only indexes of 0013 served: those go.
  await sql`create index sms_in_by_time_id on sms_in (received_at, id)`.execute(db);
  await sql`create index sms_out_by_time_id on sms_out (created_at, id)`.execute(db);
  await sql`drop index if exists sms_in_by_time`.execute(db);
  await sql`drop index if exists sms_out_by_time`.execute(db);
  await sql`create index ussd_by_time_id on ussd (created_at, id)`.execute(db);
  await sql`create index calls_by_time_id on calls (started_at, id)`.execute(db);
  await sql`create index sms_unattributed_by_time_id on sms_unattributed (received_at, id)`.execute(db);
  if (!(await createTrigrams(db))) return;
  for (const [name, table, column] of TRIGRAM_INDEXES) await sql`create index ${sql.id(name)} on ${sql.id(table)} using gin (${sql.id(column)} gin_trgm_ops)`.execute(db);
};

export const down = async (db: Kysely<any>): Promise<void> => {
  for (const [name] of TRIGRAM_INDEXES) await sql`drop index if exists ${sql.id(name)}`.execute(db);
  for (const name of ["sms_unattributed_by_time_id", "calls_by_time_id", "ussd_by_time_id"]) await sql`drop index if exists ${sql.id(name)}`.execute(db);
  await sql`create index if not exists sms_in_by_time on sms_in (received_at)`.execute(db);
  await sql`create index if not exists sms_out_by_time on sms_out (created_at)`.execute(db);
  await sql`drop index if exists sms_out_by_time_id`.execute(db);
  await sql`drop index if exists sms_in_by_time_id`.execute(db);
};
