/**
 * 0020: wake-ups (src/store/wakeups.ts). Triggers notify at commit when there is new work:
 * - `simgate_jobs` when a job becomes queued (inserted, or put back for later); a claim or
 *   a finished run does not notify, so a loop's own claim never wakes it again;
 * - `simgate_holds` on every change to a hold;
 * - `simgate_events` on every new event (the notifier and the panel's live stream).
 * Row triggers, not statement triggers: a statement that changed nothing stays silent.
 * PostgreSQL folds the same notification repeated in one transaction into one.
 * Frozen once shipped.
 */
import { sql, type Kysely } from "kysely";

export const up = async (db: Kysely<any>): Promise<void> => {
  await sql`create function simgate_wake() returns trigger language plpgsql as $$
    begin
      perform pg_notify(tg_argv[0], '');
      return null;
    end
  $$`.execute(db);
  await sql`create trigger jobs_wake after insert or update of state, run_after on jobs
    for each row when (new.state = 'queued') execute function simgate_wake('simgate_jobs')`.execute(db);
  await sql`create trigger holds_wake after insert or update or delete on holds
    for each row execute function simgate_wake('simgate_holds')`.execute(db);
  await sql`create trigger events_wake after insert on events
    for each row execute function simgate_wake('simgate_events')`.execute(db);
};

export const down = async (db: Kysely<any>): Promise<void> => {
  for (const [trigger, table] of [["events_wake", "events"], ["holds_wake", "holds"], ["jobs_wake", "jobs"]] as const)
    await sql`drop trigger if exists ${sql.id(trigger)} on ${sql.id(table)}`.execute(db);
  await sql`drop function if exists simgate_wake()`.execute(db);
};
