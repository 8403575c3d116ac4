/**
 * 0014: what the panel's dashboard reads on a big farm without counting rows each time.
 * - `sms_hours`: messages in and out per closed hour and device (0: a card on no device),
 *   written once per hour by the first page that needs the hour (the open hour is counted
 *   from the messages themselves). bench:panel measured the 24-hour count over 1,000,000
 *   stored SMS at 200 ms a refresh; the hours that cannot change any more are counted once.
 * - `modem_state.signal_history`: the last hour of a modem's signal as [unix seconds, dBm]
 *   pairs, appended by the host that drives the modem at most once a minute: the sparkline
 *   is read with the modem's row, and the history trims itself (no table to prune).
 * - `sms_out_waiting`: the queue depth per card (queued and sending messages) without
 *   reading every message ever sent.
 * Frozen once shipped.
 */
import { sql, type Kysely } from "kysely";

export const up = async (db: Kysely<any>): Promise<void> => {
  await db.schema
    .createTable("sms_hours")
    .addColumn("hour", "timestamptz", (c) => c.notNull())
    .addColumn("device_id", "integer", (c) => c.notNull())
    .addColumn("received", "integer", (c) => c.notNull())
    .addColumn("sent", "integer", (c) => c.notNull())
    .addPrimaryKeyConstraint("sms_hours_pk", ["hour", "device_id"])
    .execute();
  await db.schema.alterTable("modem_state").addColumn("signal_history", "jsonb", (c) => c.notNull().defaultTo(sql`'[]'::jsonb`)).execute();
  await sql`create index sms_out_waiting on sms_out (iccid) where state in ('queued', 'sending')`.execute(db);
};

export const down = async (db: Kysely<any>): Promise<void> => {
  await sql`drop index if exists sms_out_waiting`.execute(db);
  await db.schema.alterTable("modem_state").dropColumn("signal_history").execute();
  await db.schema.dropTable("sms_hours").ifExists().execute();
};
