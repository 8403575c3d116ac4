/**
 * Panel sessions as rows: a random token in the cookie, its SHA-256 as the row's key, a CSRF
 * token per session. A session ends after 30 minutes without a request (idle) and 12 hours
 * after sign-in whatever happens (absolute); both are checked on the database's clock, so
 * every host agrees.
 */
import { randomBytes } from "node:crypto";
import { sql, type Kysely } from "kysely";
import type { Database } from "../store/schema";
import { hashKey } from "./keys";
import type { Role } from "./roles";

export const IDLE_MINUTES = 30;
export const ABSOLUTE_HOURS = 12;
/** A session's last-seen time is written at most this often (each request would be a write). */
const TOUCH_EVERY_S = 30;

export interface Session {
  readonly id: string;
  readonly csrf: string;
  readonly user: { readonly id: number; readonly name: string; readonly role: Role; readonly locale: string | null; readonly admin: boolean };
}

export const startSession = async (db: Kysely<Database>, userId: number, address: string | null): Promise<{ token: string; csrf: string }> => {
  const token = randomBytes(32).toString("base64url");
  const csrf = randomBytes(24).toString("base64url");
  await db.insertInto("panel_sessions").values({ id: hashKey(token), user_id: userId, csrf, address, last_seen_at: sql<Date>`now()` }).execute();
  return { token, csrf };
};

/** The live session of a cookie's token, touched; null when there is none or it expired. */
export const sessionOf = async (db: Kysely<Database>, token: string | undefined): Promise<Session | null> => {
  if (!token || !/^[\w-]{20,100}$/.test(token)) return null;
  const id = hashKey(token);
  const row = await db
    .selectFrom("panel_sessions as s")
    .innerJoin("api_users as u", "u.id", "s.user_id")
    .select(["s.id", "s.csrf", "u.id as userId", "u.name", "u.role", "u.locale", sql<boolean>`s.last_seen_at < now() - ${`${TOUCH_EVERY_S} seconds`}::interval`.as("stale")])
    .where("s.id", "=", id)
    .where("u.disabled_at", "is", null)
    .where(sql<boolean>`s.last_seen_at > now() - ${`${IDLE_MINUTES} minutes`}::interval`)
    .where(sql<boolean>`s.created_at > now() - ${`${ABSOLUTE_HOURS} hours`}::interval`)
    .executeTakeFirst();
  if (!row) return null;
  if (row.stale) await db.updateTable("panel_sessions").set({ last_seen_at: sql<Date>`now()` }).where("id", "=", id).execute();
  return { id: row.id, csrf: row.csrf, user: { id: row.userId, name: row.name, role: row.role, locale: row.locale, admin: row.role === "admin" || row.name === "admin" } };
};

/** Is the session still valid, without touching it (the live stream asks this periodically). */
export const sessionAlive = async (db: Kysely<Database>, id: string): Promise<boolean> => {
  const row = await db
    .selectFrom("panel_sessions")
    .select("id")
    .where("id", "=", id)
    .where(sql<boolean>`last_seen_at > now() - ${`${IDLE_MINUTES} minutes`}::interval`)
    .where(sql<boolean>`created_at > now() - ${`${ABSOLUTE_HOURS} hours`}::interval`)
    .executeTakeFirst();
  return row !== undefined;
};

export const endSession = async (db: Kysely<Database>, id: string): Promise<void> => {
  await db.deleteFrom("panel_sessions").where("id", "=", id).execute();
};

/** Sign-out everywhere; also what a password change does. Returns how many ended. */
export const endUserSessions = async (db: Kysely<Database>, userId: number): Promise<number> => {
  const result = await db.deleteFrom("panel_sessions").where("user_id", "=", userId).executeTakeFirst();
  return Number(result.numDeletedRows);
};

/** Expired sessions are dropped now and then (they are already refused). */
export const pruneSessions = async (db: Kysely<Database>): Promise<void> => {
  await db
    .deleteFrom("panel_sessions")
    .where((eb) => eb.or([eb(sql.ref("last_seen_at"), "<", sql<Date>`now() - ${`${IDLE_MINUTES} minutes`}::interval`), eb(sql.ref("created_at"), "<", sql<Date>`now() - ${`${ABSOLUTE_HOURS} hours`}::interval`)]))
    .execute();
};
