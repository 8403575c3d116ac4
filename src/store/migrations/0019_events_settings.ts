/**
 * 0019: the Events and Settings pages.
 * - `api_users.disabled_at`: a disabled user keeps their history and name but can neither
 *   sign in nor use their API key (set and cleared by an admin in the panel).
 * - Indexes for the event log, newest first by time (the id breaks ties): all events, by
 *   type, by device, by card. A time window is then a range of the index, wherever in the
 *   history it lies.
 * - `outbox (user_id, id)`: a user's delivery log, delivered rows included, newest first.
 * - `audit_log (user_name, id)`: the audit log narrowed to one user, newest first.
 * Frozen once shipped.
 */
import type { Kysely } from "kysely";

export const up = async (db: Kysely<any>): Promise<void> => {
  await db.schema.alterTable("api_users").addColumn("disabled_at", "timestamptz").execute();
  await db.schema.createIndex("events_log").on("events").columns(["at", "id"]).execute();
  await db.schema.createIndex("events_log_by_type").on("events").columns(["type", "at", "id"]).execute();
  await db.schema.createIndex("events_log_by_device").on("events").columns(["device", "at", "id"]).execute();
  await db.schema.createIndex("events_log_by_card").on("events").columns(["iccid", "at", "id"]).execute();
  await db.schema.createIndex("outbox_log").on("outbox").columns(["user_id", "id"]).execute();
  await db.schema.createIndex("audit_log_by_user").on("audit_log").columns(["user_name", "id"]).execute();
};

export const down = async (db: Kysely<any>): Promise<void> => {
  for (const index of ["audit_log_by_user", "outbox_log", "events_log_by_card", "events_log_by_device", "events_log_by_type", "events_log"]) await db.schema.dropIndex(index).ifExists().execute();
  await db.schema.alterTable("api_users").dropColumn("disabled_at").execute();
};
