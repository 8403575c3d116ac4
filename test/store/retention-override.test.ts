import { Effect, Exit, Scope } from "effect";
import type { Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate, openStore } from "../../src/store/database";
import { DEFAULT_RETENTION } from "../../src/config/retention";
import { retentionInForce, runRetention, setRetentionOverride } from "../../src/store/retention";
import type { Database } from "../../src/store/schema";
import { throwawayDatabase } from "../support/postgres";

// Retention set by an admin in the panel: it overrides the configuration file's days, the
// pruning reads it when it runs (no restart), and clearing it goes back to the file's.
let database: Awaited<ReturnType<typeof throwawayDatabase>>;
let scope: Scope.CloseableScope;
let db: Kysely<Database>;

beforeAll(async () => {
  database = await throwawayDatabase("simgate_retention_override");
  scope = Effect.runSync(Scope.make());
  db = await Effect.runPromise(Scope.extend(openStore({ kind: "postgres", url: database.url }), scope));
  await Effect.runPromise(migrate(db));
}, 60_000);
afterAll(async () => {
  if (scope) await Effect.runPromise(Scope.close(scope, Exit.void));
  await database?.drop();
});

const daysAgo = (d: number) => new Date(Date.now() - d * 86_400_000);
const setting = async (key: string) => (await db.selectFrom("settings").select("value").where("key", "=", key).executeTakeFirst())?.value;

describe("retention from the panel", () => {
  it("overrides the configuration's days for the pruning, and clearing it goes back to them", async () => {
    const configured = { ...DEFAULT_RETENTION, eventsDays: 0 };
    await setRetentionOverride(db, { ...DEFAULT_RETENTION, eventsDays: 10 });
    await db.insertInto("events").values([5, 20].map((d) => ({ type: "simStatus", payload: "{}", at: daysAgo(d) }))).execute();
    const running = Effect.runSync(Scope.make());
    await Effect.runPromise(Scope.extend(runRetention(db, configured), running));
    // The first pruning runs at once, with the panel's 10 days rather than the file's "forever".
    for (let i = 0; i < 100 && (await db.selectFrom("events").select("id").execute()).length > 1; i++) await new Promise((r) => setTimeout(r, 50));
    await Effect.runPromise(Scope.close(running, Exit.void));
    expect((await db.selectFrom("events").select("at").execute()).map((r) => Math.round((Date.now() - r.at.getTime()) / 86_400_000))).toEqual([5]);
    expect(await setting("retention")).toEqual({ ...DEFAULT_RETENTION, eventsDays: 10 });
    expect(await setting("retention_configured")).toEqual(configured);
    expect((await retentionInForce(db)).source).toBe("panel");

    const back = await setRetentionOverride(db, null);
    expect([back.source, back.retention]).toEqual(["config", configured]);
    expect(await setting("retention")).toEqual(configured);
  });
});
