/**
 * Sign-in throttling from rows (so every host counts the same attempts and a restart does
 * not reset them): after 5 failed attempts on a user name, or 20 from one address, within 15
 * minutes, further attempts are refused - even with the right password - until the window
 * has moved past them. Successful sign-ins do not clear the count: an attacker who also
 * knows one password cannot reset the throttle with it.
 */
import { sql, type Kysely } from "kysely";
import type { Database } from "../store/schema";

export const WINDOW_MINUTES = 15;
export const MAX_FAILURES_PER_USER = 5;
export const MAX_FAILURES_PER_ADDRESS = 20;

export interface Throttled {
  readonly by: "user" | "address";
  /** Whole minutes until an attempt is allowed again (at least 1). */
  readonly retryInMinutes: number;
}

const failuresSince = (db: Kysely<Database>, column: "user_name" | "address", value: string) =>
  db
    .selectFrom("login_attempts")
    .select([sql<number>`count(*)::int`.as("n"), sql<number>`extract(epoch from (min(at) + ${`${WINDOW_MINUTES} minutes`}::interval - now()))::float8`.as("left")])
    .where(column, "=", value)
    .where("ok", "=", false)
    .where(sql<boolean>`at > now() - ${`${WINDOW_MINUTES} minutes`}::interval`)
    .executeTakeFirstOrThrow();

/** Null when an attempt may be made now. */
export const throttled = async (db: Kysely<Database>, userName: string, address: string): Promise<Throttled | null> => {
  const [user, from] = await Promise.all([failuresSince(db, "user_name", userName.toLowerCase()), failuresSince(db, "address", address)]);
  const minutes = (seconds: number) => Math.max(1, Math.ceil(seconds / 60));
  if (user.n >= MAX_FAILURES_PER_USER) return { by: "user", retryInMinutes: minutes(user.left) };
  if (from.n >= MAX_FAILURES_PER_ADDRESS) return { by: "address", retryInMinutes: minutes(from.left) };
  return null;
};

export const recordAttempt = async (db: Kysely<Database>, userName: string, address: string, ok: boolean): Promise<void> => {
  await db.insertInto("login_attempts").values({ user_name: userName.toLowerCase(), address, ok }).execute();
  // Old rows say nothing any more; trimming here keeps the table small without a timer.
  await db.deleteFrom("login_attempts").where(sql<boolean>`at < now() - interval '1 day'`).execute();
};
