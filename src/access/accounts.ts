/**
 * Managing users (the shell's `simgate user`) and checking a sign-in. A user made here has an
 * API key too (one identity): it is printed once, like `simgate key rotate` does.
 */
import type { Kysely } from "kysely";
import type { Database } from "../store/schema";
import { audit } from "./audit";
import { hashKey, newKey } from "./keys";
import { hashPassword, passwordProblem, verifyPassword } from "./passwords";
import type { Role } from "./roles";
import { endUserSessions } from "./sessions";

export class AccountError extends Error {}

export const USER_NAME = /^[\w.-]{1,64}$/;

export interface Account {
  readonly id: number;
  readonly name: string;
  readonly role: Role;
  readonly hasPassword: boolean;
  readonly createdAt: Date;
  /** Since when an admin has the user disabled, or null. */
  readonly disabledAt: Date | null;
}

const checkedPassword = async (name: string, password: string) => {
  const problem = passwordProblem(password, name);
  if (problem) throw new AccountError(problem);
  return hashPassword(password);
};

/** A new user with a role and a password; returns the API key made for them (shown once). */
export const addUser = async (db: Kysely<Database>, name: string, role: Role, password: string, by: string): Promise<{ key: string }> => {
  if (!USER_NAME.test(name)) throw new AccountError("a user name is 1-64 letters, digits, '.', '_' or '-'");
  const password_hash = await checkedPassword(name, password);
  const key = newKey();
  const made = await db.insertInto("api_users").values({ name, key_hash: hashKey(key), role, password_hash }).onConflict((oc) => oc.column("name").doNothing()).returning("id").executeTakeFirst();
  if (!made) throw new AccountError(`user ${name} exists already (simgate user passwd / role change it)`);
  await audit(db, { user: by, action: "user.add", detail: { name, role } });
  return { key };
};

const idOf = async (db: Kysely<Database>, name: string): Promise<number> => {
  const row = await db.selectFrom("api_users").select("id").where("name", "=", name).executeTakeFirst();
  if (!row) throw new AccountError(`no user ${name} (simgate user list shows them)`);
  return row.id;
};

/** Sets a password and signs the user out everywhere (a reset after a leak must cut sessions). */
export const setPassword = async (db: Kysely<Database>, name: string, password: string, by: string): Promise<void> => {
  const id = await idOf(db, name);
  const password_hash = await checkedPassword(name, password);
  await db.updateTable("api_users").set({ password_hash }).where("id", "=", id).execute();
  await endUserSessions(db, id);
  await audit(db, { user: by, action: "user.passwd", detail: { name } });
};

export const setRole = async (db: Kysely<Database>, name: string, role: Role, by: string): Promise<void> => {
  const id = await idOf(db, name);
  if (name === "admin" && role !== "admin") throw new AccountError("the admin user keeps the admin role (make another admin instead)");
  await db.updateTable("api_users").set({ role }).where("id", "=", id).execute();
  await audit(db, { user: by, action: "user.role", detail: { name, role } });
};

/**
 * Disables a user (no sign-in, no API key, their sessions end) or enables them again. The
 * admin user and one's own account cannot be disabled: a farm must keep a way in.
 */
export const setDisabled = async (db: Kysely<Database>, name: string, disabled: boolean, by: string): Promise<void> => {
  const id = await idOf(db, name);
  if (disabled && name === "admin") throw new AccountError("the admin user cannot be disabled");
  if (disabled && name === by) throw new AccountError("you cannot disable your own account");
  await db.updateTable("api_users").set({ disabled_at: disabled ? new Date() : null }).where("id", "=", id).execute();
  if (disabled) await endUserSessions(db, id);
  await audit(db, { user: by, action: disabled ? "user.disable" : "user.enable", detail: { name } });
};

/** A new API key for the user (the old one stops working at once); returned to be shown once, stored hashed. */
export const rotateApiKey = async (db: Kysely<Database>, name: string, by: string, address: string | null = null): Promise<{ key: string }> => {
  const id = await idOf(db, name);
  const key = newKey();
  await db.updateTable("api_users").set({ key_hash: hashKey(key) }).where("id", "=", id).execute();
  await audit(db, { user: by, address, action: "user.key-rotate", detail: { name } });
  return { key };
};

export const listUsers = async (db: Kysely<Database>): Promise<Account[]> => {
  const rows = await db.selectFrom("api_users").select(["id", "name", "role", "password_hash", "created_at", "disabled_at"]).orderBy("id").execute();
  return rows.map((r) => ({ id: r.id, name: r.name, role: r.role, hasPassword: r.password_hash !== null, createdAt: r.created_at, disabledAt: r.disabled_at }));
};

/** The user whose name and password these are, or null (same work either way). */
export const checkSignIn = async (db: Kysely<Database>, name: string, password: string): Promise<{ id: number; name: string } | null> => {
  const row = USER_NAME.test(name) ? await db.selectFrom("api_users").select(["id", "name", "password_hash", "disabled_at"]).where("name", "=", name).executeTakeFirst() : undefined;
  const ok = await verifyPassword(password, row?.password_hash ?? null);
  // A disabled user is told the same as a wrong password (the check costs the same either way).
  return ok && row && row.disabled_at === null ? { id: row.id, name: row.name } : null;
};
