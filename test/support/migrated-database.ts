/**
 * A migrated throwaway database for one test file: `useMigratedDatabase("simgate_x")` in the
 * file's body registers the beforeAll/afterAll, and `db()` is the store while the file runs.
 */
import { Effect, Exit, Scope } from "effect";
import type { Kysely } from "kysely";
import { afterAll, beforeAll } from "vitest";
import { migrate, openStore } from "../../src/store/database";
import type { Database } from "../../src/store/schema";
import { throwawayDatabase } from "./postgres";

export const useMigratedDatabase = (name: string) => {
  let database: Awaited<ReturnType<typeof throwawayDatabase>> | undefined;
  let scope: Scope.CloseableScope | undefined;
  let store: Kysely<Database> | undefined;
  beforeAll(async () => {
    database = await throwawayDatabase(name);
    scope = Effect.runSync(Scope.make());
    store = await Effect.runPromise(Scope.extend(openStore({ kind: "postgres", url: database.url }), scope));
    await Effect.runPromise(migrate(store));
  }, 60_000);
  afterAll(async () => {
    if (scope) await Effect.runPromise(Scope.close(scope, Exit.void));
    await database?.drop();
  });
  return {
    db: (): Kysely<Database> => {
      if (!store) throw new Error("the database is opened in beforeAll");
      return store;
    },
    url: (): string => {
      if (!database) throw new Error("the database is made in beforeAll");
      return database.url;
    },
  };
};
