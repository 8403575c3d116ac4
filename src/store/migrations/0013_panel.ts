/**
 * 0013: the web panel's identities and what guards them. A panel user is an API user (one
 * identity: the devices a user owns and the role apply to both), with a role, an optional
 * password (scrypt, see src/access/passwords.ts) and a preferred language. Sessions, sign-in
 * attempts and the audit log are rows, so several hosts share them and a restart keeps them.
 * Frozen once shipped.
 */
import { sql, type Kysely } from "kysely";

export const up = async (db: Kysely<any>): Promise<void> => {
  // Existing API users could change everything before roles existed: they stay operators.
  await db.schema.alterTable("api_users").addColumn("role", "text", (c) => c.notNull().defaultTo("operator").check(sql`role in ('admin', 'operator', 'viewer')`)).execute();
  await db.schema.alterTable("api_users").addColumn("password_hash", "text").execute();
  await db.schema.alterTable("api_users").addColumn("locale", "text").execute();
  await sql`update api_users set role = 'admin' where name = 'admin'`.execute(db);

  // The cookie carries a random token; the row is keyed by its SHA-256, so a read of the
  // table does not hand out live sessions.
  await db.schema
    .createTable("panel_sessions")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("user_id", "integer", (c) => c.notNull().references("api_users.id").onDelete("cascade"))
    .addColumn("csrf", "text", (c) => c.notNull())
    .addColumn("address", "text")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("last_seen_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex("panel_sessions_by_user").on("panel_sessions").column("user_id").execute();

  await db.schema
    .createTable("login_attempts")
    .addColumn("id", "bigserial", (c) => c.primaryKey())
    .addColumn("user_name", "text", (c) => c.notNull())
    .addColumn("address", "text", (c) => c.notNull())
    .addColumn("ok", "boolean", (c) => c.notNull())
    .addColumn("at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex("login_attempts_by_user").on("login_attempts").columns(["user_name", "at"]).execute();
  await db.schema.createIndex("login_attempts_by_address").on("login_attempts").columns(["address", "at"]).execute();

  await db.schema
    .createTable("audit_log")
    .addColumn("id", "bigserial", (c) => c.primaryKey())
    .addColumn("at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("user_name", "text", (c) => c.notNull())
    .addColumn("address", "text")
    .addColumn("action", "text", (c) => c.notNull())
    .addColumn("device", "text")
    .addColumn("position", "text")
    .addColumn("iccid", "text")
    .addColumn("detail", "jsonb", (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .execute();
  await db.schema.createIndex("audit_log_by_time").on("audit_log").column("at").execute();

  // The dashboard's messages per hour over every card: the per-card indexes cannot answer a
  // time range across all cards without reading every message.
  await db.schema.createIndex("sms_in_by_time").on("sms_in").column("received_at").execute();
  await db.schema.createIndex("sms_out_by_time").on("sms_out").column("created_at").execute();
};

export const down = async (db: Kysely<any>): Promise<void> => {
  await db.schema.dropIndex("sms_out_by_time").ifExists().execute();
  await db.schema.dropIndex("sms_in_by_time").ifExists().execute();
  for (const table of ["audit_log", "login_attempts", "panel_sessions"]) await db.schema.dropTable(table).ifExists().execute();
  for (const column of ["locale", "password_hash", "role"]) await db.schema.alterTable("api_users").dropColumn(column).execute();
};
