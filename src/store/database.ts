/**
 * Opens the store: a PostgreSQL server through `pg` when a URL is given, else embedded
 * PostgreSQL (PGlite) in a data directory, the zero-setup default. One code path above this:
 * the same kysely queries and migrations run on both.
 */
import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { Data, Effect, type Scope } from "effect";
import { Kysely, PGliteDialect, PostgresDialect } from "kysely";
import { Migrator } from "kysely/migration";
import pg from "pg";
import { migrationProvider } from "./migrations";
import type { Database } from "./schema";

export class StoreError extends Data.TaggedError("StoreError")<{ readonly reason: string; readonly cause?: unknown }> {
  override get message(): string {
    return this.reason;
  }
}

/**
 * True when an error says the database cannot be reached right now (connection refused or
 * lost, the server shutting down or starting up), not that the request was wrong: callers
 * answer 503 and retry instead of reporting a bug.
 */
export const isStoreUnavailable = (error: unknown): boolean => {
  if (error instanceof StoreError) return isStoreUnavailable(error.cause);
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  // SQLSTATE class 08 (connection exception), 57P01-57P03 (admin/crash shutdown, cannot
  // connect now), 53300 (too many connections); Node's socket errors.
  if (typeof code === "string" && (/^08/.test(code) || /^57P0[123]$/.test(code) || code === "53300" || /^E(CONNREFUSED|CONNRESET|PIPE|HOSTUNREACH|TIMEDOUT)$/.test(code))) return true;
  return /Connection terminated|connection timeout|Client has encountered a connection error|Cannot use a pool after calling end/i.test(error.message);
};

/** A store call as an effect, failing with StoreError that says what was being done. */
export const tryStore = <A>(what: string, run: () => Promise<A>): Effect.Effect<A, StoreError> =>
  Effect.tryPromise({ try: run, catch: (e) => new StoreError({ reason: `${what}: ${(e as Error).message}`, cause: e }) });

export type StoreTarget = { readonly kind: "postgres"; readonly url: string } | { readonly kind: "embedded"; readonly dataDir: string };

const INT8 = 20;

/** int8 (bigserial ids, counts) as numbers on both backends: pg returns strings, PGlite numbers. */
const pgTypes = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === INT8 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format ?? "text")) as typeof pg.types.getTypeParser,
};

export const openStore = (target: StoreTarget): Effect.Effect<Kysely<Database>, StoreError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: async () => {
        if (target.kind === "postgres") {
          const pool = new pg.Pool({ connectionString: target.url, types: pgTypes, max: 20 });
          // An idle connection the server closed (a restart, an administrator) is dropped by
          // the pool and replaced on the next query; unheard, pg's 'error' would end the process.
          pool.on("error", (error) => process.stderr.write(`store: idle connection lost: ${error.message}\n`));
          // Fail at start with the server's own words, not at the first query.
          const client = await pool.connect();
          client.release();
          return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
        }
        mkdirSync(target.dataDir, { recursive: true });
        const pglite = await PGlite.create({ dataDir: target.dataDir });
        return new Kysely<Database>({ dialect: new PGliteDialect({ pglite }) });
      },
      catch: (error) =>
        new StoreError({
          reason: `cannot open the ${target.kind === "postgres" ? `database ${redact(target.url)}` : `embedded database in ${target.dataDir}`}: ${(error as Error).message}`,
        }),
    }),
    (db) => Effect.promise(() => db.destroy()),
  );

/** Hides the password of a connection URL in messages. */
export const redact = (url: string): string => url.replace(/\/\/([^:/@]+):[^@]*@/, "//$1:***@");

export interface MigrationOutcome {
  readonly applied: readonly string[];
}

/** Applies every migration not yet applied, in order. */
export const migrate = (db: Kysely<Database>): Effect.Effect<MigrationOutcome, StoreError> =>
  Effect.tryPromise({
    try: () => new Migrator({ db, provider: migrationProvider }).migrateToLatest(),
    catch: (error) => new StoreError({ reason: `migration failed: ${(error as Error).message}` }),
  }).pipe(
    Effect.flatMap(({ error, results }) =>
      error
        ? Effect.fail(new StoreError({ reason: `migration ${results?.find((r) => r.status === "Error")?.migrationName ?? ""} failed: ${(error as Error).message ?? String(error)}` }))
        : Effect.succeed({ applied: (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName) }),
    ),
  );

/** DATABASE_URL when set, else the embedded database in SIMGATE_DATA_DIR (default ./data). */
export const storeTargetFromEnv = (env: NodeJS.ProcessEnv = process.env): StoreTarget =>
  env.DATABASE_URL ? { kind: "postgres", url: env.DATABASE_URL } : { kind: "embedded", dataDir: env.SIMGATE_DATA_DIR ?? "./data" };
