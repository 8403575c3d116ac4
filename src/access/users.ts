/** API users by key: the one lookup both the SimFolder API and /status use. */
import type { Kysely } from "kysely";
import type { Database } from "../store/schema";
import { hashKey, plausibleKey, sameHash } from "./keys";

export interface ApiUser {
  readonly id: number;
  readonly name: string;
  /** The `admin` user sees every device; others see the devices they own. */
  readonly admin: boolean;
}

export const userByKey = async (db: Kysely<Database>, key: unknown): Promise<ApiUser | null> => {
  if (!plausibleKey(key)) return null;
  const hash = hashKey(key);
  const row = await db.selectFrom("api_users").select(["id", "name", "key_hash"]).where("key_hash", "=", hash).executeTakeFirst();
  return row && sameHash(row.key_hash, hash) ? { id: row.id, name: row.name, admin: row.name === "admin" } : null;
};
