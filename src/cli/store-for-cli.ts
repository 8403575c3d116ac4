/** Runs a CLI command's work on the store the service uses (DATABASE_URL, else the embedded one), migrated. */
import { Effect } from "effect";
import type { Kysely } from "kysely";
import { storeTargetFromEnv } from "../store/database";
import type { Database } from "../store/schema";
import { Store } from "../store/store-service";

export const withStore = <A>(work: (db: Kysely<Database>) => Promise<A>): Promise<A> =>
  Effect.runPromise(
    Effect.flatMap(Store, (db) => Effect.tryPromise({ try: () => work(db), catch: (e) => e as Error })).pipe(
      Effect.provide(Store.at(storeTargetFromEnv())),
      Effect.either,
    ),
  ).then((outcome) => {
    if (outcome._tag === "Left") throw outcome.left;
    return outcome.right;
  });

/** Said in every store command's usage: PGlite is one process's at a time. */
export const EMBEDDED_NOTE = `Works on DATABASE_URL when set, else on the embedded database in SIMGATE_DATA_DIR
(default ./data); the embedded database is one process's at a time, so stop the service
first or use a PostgreSQL server.`;
