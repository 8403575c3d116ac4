import { Effect, Exit, Scope } from "effect";
import type { Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { bootstrapKeys } from "../../src/access/bootstrap";
import { hashKey, newKey } from "../../src/access/keys";
import { checkSignIn, setPassword } from "../../src/access/accounts";
import { poolByKey } from "../../src/pools/pools";
import { openStore } from "../../src/store/database";
import type { Database } from "../../src/store/schema";
import { useMigratedDatabase } from "../support/migrated-database";

// First start on a database several hosts share: the hosts start together, and a key changed
// after the first start survives the next one.
const store = useMigratedDatabase("simgate_bootstrap");
vi.setConfig({ testTimeout: 60_000 });
const db = () => store.db();

/** Another host: its own connection pool on the same database. */
let scope: Scope.CloseableScope;
let second: Kysely<Database>;
beforeAll(async () => {
  scope = Effect.runSync(Scope.make());
  second = await Effect.runPromise(Scope.extend(openStore({ kind: "postgres", url: store.url() }), scope));
});
afterAll(() => Effect.runPromise(Scope.close(scope, Exit.void)));

describe("first start on a shared database", () => {
  it("two hosts starting at once make one admin and one pool, and both start", async () => {
    const results = await Promise.allSettled([bootstrapKeys(db(), {}), bootstrapKeys(second, {}), bootstrapKeys(db(), {})]);
    expect(results.map((r) => (r.status === "rejected" ? String(r.reason) : "ok"))).toEqual(["ok", "ok", "ok"]);
    expect(await db().selectFrom("api_users").select("name").where("name", "=", "admin").execute()).toHaveLength(1);
    expect(await db().selectFrom("pools").select("id").execute()).toHaveLength(1);
    // Exactly one of them made (and printed) the keys and the password.
    const made = results.map((r) => (r.status === "fulfilled" ? r.value : null));
    expect(made.filter((b) => b?.api.includes("shown once"))).toHaveLength(1);
    expect(made.filter((b) => b?.pool.includes("shown once"))).toHaveLength(1);
    expect(made.filter((b) => b?.password.includes("shown once"))).toHaveLength(1);
  });

  it("SIMGATE_POOL_KEY and SIMGATE_API_KEY are applied when they change, not at every start over a rotated key", async () => {
    const env = { SIMGATE_POOL_KEY: "pool-key-from-env-1", SIMGATE_API_KEY: "api-key-from-env-1" };
    await bootstrapKeys(db(), env);
    const pool = await poolByKey(db(), env.SIMGATE_POOL_KEY);
    expect(pool).not.toBeNull();

    // The operator rotates both keys (as `simgate pool key` and `simgate key rotate` do).
    const rotatedPool = newKey();
    const rotatedApi = newKey();
    await db().updateTable("pools").set({ key_hash: hashKey(rotatedPool) }).where("id", "=", pool!.id).execute();
    await db().updateTable("api_users").set({ key_hash: hashKey(rotatedApi) }).where("name", "=", "admin").execute();

    // A restart with the same environment keeps the rotated keys.
    const again = await bootstrapKeys(second, env);
    expect(again.pool).toMatch(/stored/);
    expect(await poolByKey(db(), rotatedPool)).toMatchObject({ id: pool!.id });
    expect(await poolByKey(db(), env.SIMGATE_POOL_KEY)).toBeNull();
    const admin = await db().selectFrom("api_users").select("key_hash").where("name", "=", "admin").executeTakeFirstOrThrow();
    expect(admin.key_hash).toBe(hashKey(rotatedApi));

    // A changed variable is applied.
    const changed = { SIMGATE_POOL_KEY: "pool-key-from-env-2", SIMGATE_API_KEY: "api-key-from-env-2" };
    const third = await bootstrapKeys(db(), changed);
    expect(third.pool).toMatch(/from SIMGATE_POOL_KEY/);
    expect(await poolByKey(db(), changed.SIMGATE_POOL_KEY)).toMatchObject({ id: pool!.id });
    expect((await db().selectFrom("api_users").select("key_hash").where("name", "=", "admin").executeTakeFirstOrThrow()).key_hash).toBe(hashKey(changed.SIMGATE_API_KEY));
  });

  it("SIMGATE_ADMIN_PASSWORD is applied when it changes, not over a password changed since", async () => {
    await bootstrapKeys(db(), { SIMGATE_ADMIN_PASSWORD: "the first farm secret" });
    expect(await checkSignIn(db(), "admin", "the first farm secret")).not.toBeNull();
    await setPassword(db(), "admin", "changed in the panel 9", "admin");

    await bootstrapKeys(db(), { SIMGATE_ADMIN_PASSWORD: "the first farm secret" });
    expect(await checkSignIn(db(), "admin", "changed in the panel 9")).not.toBeNull();
    expect(await checkSignIn(db(), "admin", "the first farm secret")).toBeNull();

    await bootstrapKeys(db(), { SIMGATE_ADMIN_PASSWORD: "the second farm secret" });
    expect(await checkSignIn(db(), "admin", "the second farm secret")).not.toBeNull();
    // Nothing readable about the password is kept beside it: only a salted, slow hash.
    const recorded = await db().selectFrom("settings").select(["key", "value"]).where("key", "like", "bootstrap:%").execute();
    expect(JSON.stringify(recorded)).not.toContain("farm secret");
  });
});
