/**
 * First start: an API user and a pool over every card, so a fresh install can be called at
 * once. Keys are stored hashed and so are shown only when made; SIMGATE_API_KEY and
 * SIMGATE_POOL_KEY give keys of one's own instead (set again on every start, so a changed
 * variable takes effect). The admin user also gets a panel password: printed once when made,
 * or SIMGATE_ADMIN_PASSWORD (set again on every start, like the keys).
 */
import type { Kysely } from "kysely";
import type { Database } from "../store/schema";
import { hashKey, newKey, plausibleKey } from "./keys";
import { hashPassword, newPassword, passwordProblem } from "./passwords";
import { createPool } from "../pools/pools";

export interface Bootstrap {
  /** What to print about each key. */
  readonly api: string;
  readonly pool: string;
  readonly password: string;
}

export class BootstrapKeyError extends Error {}

export const bootstrapKeys = async (db: Kysely<Database>, env: NodeJS.ProcessEnv): Promise<Bootstrap> => {
  for (const name of ["SIMGATE_API_KEY", "SIMGATE_POOL_KEY"] as const)
    if (env[name] !== undefined && env[name] !== "" && !plausibleKey(env[name])) throw new BootstrapKeyError(`${name} must be 8-200 printable characters without spaces`);
  const givenPassword = env.SIMGATE_ADMIN_PASSWORD || undefined;
  const problem = givenPassword === undefined ? null : passwordProblem(givenPassword, "admin");
  if (problem) throw new BootstrapKeyError(`SIMGATE_ADMIN_PASSWORD: ${problem}`);

  let api: string;
  const admin = await db.selectFrom("api_users").select("id").where("name", "=", "admin").executeTakeFirst();
  if (env.SIMGATE_API_KEY) {
    const key_hash = hashKey(env.SIMGATE_API_KEY);
    if (admin) await db.updateTable("api_users").set({ key_hash }).where("id", "=", admin.id).execute();
    else await db.insertInto("api_users").values({ name: "admin", key_hash }).execute();
    api = "API key (user admin): from SIMGATE_API_KEY";
  } else if (!admin) {
    const key = newKey();
    await db.insertInto("api_users").values({ name: "admin", key_hash: hashKey(key) }).execute();
    api = `API key (user admin): ${key}   (shown once; stored hashed)`;
  } else api = "API key (user admin): stored; a new one: npm run -s simgate -- key rotate admin";

  let pool: string;
  const first = await db.selectFrom("pools").select(["id", "title"]).orderBy("id").executeTakeFirst();
  if (env.SIMGATE_POOL_KEY) {
    const key_hash = hashKey(env.SIMGATE_POOL_KEY);
    if (first) await db.updateTable("pools").set({ key_hash }).where("id", "=", first.id).execute();
    else await createPool(db, "all cards", {}, env.SIMGATE_POOL_KEY);
    pool = `pool key (${first?.title ?? "all cards"}): from SIMGATE_POOL_KEY`;
  } else if (!first) {
    const made = await createPool(db, "all cards", {});
    pool = `pool key (all cards): ${made.key}   (shown once; stored hashed)`;
  } else pool = `pool key (${first.title}): stored; a new one: npm run -s simgate -- pool key ${first.id}`;

  let password: string;
  const login = await db.selectFrom("api_users").select(["id", "password_hash"]).where("name", "=", "admin").executeTakeFirstOrThrow();
  if (givenPassword !== undefined) {
    await db.updateTable("api_users").set({ password_hash: await hashPassword(givenPassword), role: "admin" }).where("id", "=", login.id).execute();
    password = "panel sign-in (user admin): password from SIMGATE_ADMIN_PASSWORD";
  } else if (login.password_hash === null) {
    const made = newPassword();
    await db.updateTable("api_users").set({ password_hash: await hashPassword(made), role: "admin" }).where("id", "=", login.id).execute();
    password = `panel sign-in (user admin): password ${made}   (shown once; stored hashed; a new one: npm run -s simgate -- user passwd admin)`;
  } else password = "panel sign-in (user admin): password stored; a new one: npm run -s simgate -- user passwd admin";
  return { api, pool, password };
};
