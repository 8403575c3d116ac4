/**
 * First start: an API user and a pool over every card, so a fresh install can be called at
 * once. Keys are stored hashed and so are shown only when made; SIMGATE_API_KEY and
 * SIMGATE_POOL_KEY give keys of one's own instead. The admin user also gets a panel password:
 * printed once when made, or SIMGATE_ADMIN_PASSWORD.
 *
 * Several hosts may start at once on one database, so the whole of it runs in one transaction
 * under an advisory lock: the first host makes the user and the pool, the others wait and
 * find them. A variable is applied when its value differs from the one applied last (kept as
 * a hash in `settings`), not at every start: a key rotated or a password changed since is not
 * put back by the next restart, and a changed variable still takes effect.
 */
import { sql, type Kysely, type Transaction } from "kysely";
import type { Database } from "../store/schema";
import { hashKey, newKey, plausibleKey } from "./keys";
import { hashPassword, newPassword, passwordProblem, verifyPassword } from "./passwords";
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

  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext('simgate:bootstrap'))`.execute(trx);
    const applied = appliedVariables(trx);

    let api: string;
    const admin = await trx.selectFrom("api_users").select("id").where("name", "=", "admin").executeTakeFirst();
    const givenApi = env.SIMGATE_API_KEY || undefined;
    if (givenApi !== undefined && (!admin || (await applied.changed("SIMGATE_API_KEY", givenApi)))) {
      const key_hash = hashKey(givenApi);
      if (admin) await trx.updateTable("api_users").set({ key_hash }).where("id", "=", admin.id).execute();
      else await trx.insertInto("api_users").values({ name: "admin", key_hash }).execute();
      await applied.record("SIMGATE_API_KEY", key_hash);
      api = "API key (user admin): from SIMGATE_API_KEY";
    } else if (!admin) {
      const key = newKey();
      await trx.insertInto("api_users").values({ name: "admin", key_hash: hashKey(key) }).execute();
      api = `API key (user admin): ${key}   (shown once; stored hashed)`;
    } else api = "API key (user admin): stored; a new one: npm run -s simgate -- key rotate admin";

    let pool: string;
    const first = await trx.selectFrom("pools").select(["id", "title"]).orderBy("id").executeTakeFirst();
    const givenPool = env.SIMGATE_POOL_KEY || undefined;
    if (givenPool !== undefined && (!first || (await applied.changed("SIMGATE_POOL_KEY", givenPool)))) {
      if (first) await trx.updateTable("pools").set({ key_hash: hashKey(givenPool) }).where("id", "=", first.id).execute();
      else await createPool(trx, "all cards", {}, givenPool);
      await applied.record("SIMGATE_POOL_KEY", hashKey(givenPool));
      pool = `pool key (${first?.title ?? "all cards"}): from SIMGATE_POOL_KEY`;
    } else if (!first) {
      const made = await createPool(trx, "all cards", {});
      pool = `pool key (all cards): ${made.key}   (shown once; stored hashed)`;
    } else pool = `pool key (${first.title}): stored; a new one: npm run -s simgate -- pool key ${first.id}`;

    let password: string;
    const login = await trx.selectFrom("api_users").select(["id", "password_hash"]).where("name", "=", "admin").executeTakeFirstOrThrow();
    if (givenPassword !== undefined && (login.password_hash === null || (await applied.passwordChanged(givenPassword)))) {
      const password_hash = await hashPassword(givenPassword);
      await trx.updateTable("api_users").set({ password_hash, role: "admin" }).where("id", "=", login.id).execute();
      // A second salted scrypt hash of the variable, never the variable itself or a fast hash of it.
      await applied.record("SIMGATE_ADMIN_PASSWORD", await hashPassword(givenPassword));
      password = "panel sign-in (user admin): password from SIMGATE_ADMIN_PASSWORD";
    } else if (login.password_hash === null) {
      const made = newPassword();
      await trx.updateTable("api_users").set({ password_hash: await hashPassword(made), role: "admin" }).where("id", "=", login.id).execute();
      password = `panel sign-in (user admin): password ${made}   (shown once; stored hashed; a new one: npm run -s simgate -- user passwd admin)`;
    } else password = "panel sign-in (user admin): password stored; a new one: npm run -s simgate -- user passwd admin";
    return { api, pool, password };
  });
};

type Variable = "SIMGATE_API_KEY" | "SIMGATE_POOL_KEY" | "SIMGATE_ADMIN_PASSWORD";

/** What each variable was when it was last applied, as a hash in `settings`. */
const appliedVariables = (trx: Transaction<Database>) => {
  const last = async (name: Variable): Promise<string | null> => {
    const row = await trx.selectFrom("settings").select("value").where("key", "=", `bootstrap:${name}`).executeTakeFirst();
    return typeof row?.value === "string" ? row.value : null;
  };
  return {
    changed: async (name: "SIMGATE_API_KEY" | "SIMGATE_POOL_KEY", value: string) => (await last(name)) !== hashKey(value),
    passwordChanged: async (value: string) => !(await verifyPassword(value, await last("SIMGATE_ADMIN_PASSWORD"))),
    record: async (name: Variable, hash: string) => {
      await trx
        .insertInto("settings")
        .values({ key: `bootstrap:${name}`, value: JSON.stringify(hash) })
        .onConflict((oc) => oc.column("key").doUpdateSet({ value: JSON.stringify(hash) }))
        .execute();
    },
  };
};
