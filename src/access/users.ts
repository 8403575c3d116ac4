/** API users by key: the one lookup both the SimFolder API and /status use. */
import type { Kysely } from "kysely";
import type { Database } from "../store/schema";
import { hashKey, plausibleKey, sameHash } from "./keys";
import type { Role } from "./roles";

export interface ApiUser {
  readonly id: number;
  readonly name: string;
  /** The `admin` user (and any user with the admin role) sees every device; others see the devices they own. */
  readonly admin: boolean;
  /** The same role as in the panel: a viewer's key reads and does not change. */
  readonly role: Role;
}

export const userByKey = async (db: Kysely<Database>, key: unknown): Promise<ApiUser | null> => {
  if (!plausibleKey(key)) return null;
  const hash = hashKey(key);
  const row = await db.selectFrom("api_users").select(["id", "name", "key_hash", "role"]).where("key_hash", "=", hash).where("disabled_at", "is", null).executeTakeFirst();
  return row && sameHash(row.key_hash, hash) ? { id: row.id, name: row.name, admin: row.name === "admin" || row.role === "admin", role: row.role } : null;
};
