/**
 * Opens the store: a PostgreSQL server through `pg` when a URL is given, else embedded
 * PostgreSQL (PGlite) in a data directory, the zero-setup default. One code path above this:
 * the same kysely queries and migrations run on both.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import { Cause, Data, Duration, Effect, Runtime, Schedule, type Scope } from "effect";
import { Kysely, PGliteDialect, PostgresDialect, sql } from "kysely";
import { Migrator } from "kysely/migration";
import pg from "pg";
import { MIGRATIONS, migrationProvider } from "./migrations";
import type { Database } from "./schema";
import type { WakeSource } from "./wakeups";
import { logNow } from "../log/logger";

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
export const isStoreUnavailable = (error: unknown, depth = 0): boolean => {
  if (depth > 5 || !(error instanceof Error)) return false;
  // An effect run to a promise rejects with a FiberFailure around the real error.
  if (Runtime.isFiberFailure(error)) return isStoreUnavailable(Cause.squash(error[Runtime.FiberFailureCauseId]), depth + 1);
  const code = (error as { code?: unknown }).code;
  // SQLSTATE class 08 (connection exception), 57P01-57P03 (admin/crash shutdown, cannot
  // connect now), 53300 (too many connections); Node's socket errors.
  if (typeof code === "string" && (/^08/.test(code) || /^57P0[123]$/.test(code) || code === "53300" || /^E(CONNREFUSED|CONNRESET|PIPE|HOSTUNREACH|TIMEDOUT)$/.test(code))) return true;
  if (/Connection terminated|timeout exceeded when trying to connect|ECONNREFUSED|ECONNRESET|Client has encountered a connection error|Connection is closed|Client was closed and is not queryable|not queryable/i.test(error.message)) return true;
  return isStoreUnavailable((error as { cause?: unknown }).cause, depth + 1);
};

/**
 * Runs a store call again while the database is unreachable (a killed connection, a
 * restart, a failover), backing off from 200 ms to 5 s, for up to `forMs` (default 2
 * minutes). For writes that record what already happened on a modem: losing them would
 * leave a sent message looking unsent. Any other error fails at once.
 */
export const retryWhileUnavailable = <A, E, R>(effect: Effect.Effect<A, E, R>, forMs = 120_000): Effect.Effect<A, E, R> =>
  effect.pipe(
    Effect.retry({
      schedule: Schedule.exponential("200 millis").pipe(Schedule.either(Schedule.spaced("5 seconds")), Schedule.upTo(Duration.millis(forMs))),
      while: (e) => e instanceof StoreError && isStoreUnavailable(e.cause),
    }),
  );

/** A store call as an effect, failing with StoreError that says what was being done. */
export const tryStore = <A>(what: string, run: () => Promise<A>): Effect.Effect<A, StoreError> =>
  Effect.tryPromise({ try: run, catch: (e) => new StoreError({ reason: `${what}: ${(e as Error).message}`, cause: e }) });

/**
 * The extensions the embedded database is opened with: pg_trgm (shipped in PGlite's
 * contrib) for the Messages page's text search (migration 0016). Whatever opens a data
 * directory must load them, since its trigram indexes need the extension's functions.
 */
export const PGLITE_EXTENSIONS = { pg_trgm };

export type StoreTarget = { readonly kind: "postgres"; readonly url: string } | { readonly kind: "embedded"; readonly dataDir: string };

const INT8 = 20;

/** int8 (bigserial ids, counts) as numbers on both backends: pg returns strings, PGlite numbers. */
const pgTypes = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === INT8 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format ?? "text")) as typeof pg.types.getTypeParser,
};

const wakeSources = new WeakMap<Kysely<Database>, WakeSource>();

/** Where a store's notifications can be listened for (src/store/wakeups.ts). */
export const wakeSourceOf = (db: Kysely<Database>): WakeSource | undefined => wakeSources.get(db);

export const openStore = (target: StoreTarget): Effect.Effect<Kysely<Database>, StoreError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: async () => {
        if (target.kind === "postgres") {
          // A connection attempt that hangs (a server gone without a word) fails after 5 s
          // instead of holding a request forever; keepalive notices a dead peer.
          const pool = new pg.Pool({ connectionString: target.url, types: pgTypes, max: 20, connectionTimeoutMillis: 5_000, keepAlive: true });
          // A connection the server or the network closed (a restart, a failover, an
          // administrator) is dropped by the pool and replaced on the next query. pg reports
          // it as an 'error' event on the client: the pool listens only while a client is
          // idle, and an unheard 'error' on a client in use would end the process. Every
          // client gets its own listener; the query it was running fails on its own.
          const lost = (error: Error) => logNow("warning", `store: database connection lost: ${error.message}`);
          pool.on("connect", (client) => client.on("error", lost));
          // The pool re-emits an idle client's error; the client's listener has logged it.
          pool.on("error", () => undefined);
          // Fail at start with the server's own words, not at the first query.
          const client = await pool.connect();
          client.release();
          const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
          wakeSources.set(db, { kind: "postgres", url: target.url });
          return db;
        }
        mkdirSync(target.dataDir, { recursive: true });
        const existed = existsSync(join(target.dataDir, "PG_VERSION"));
        try {
          const pglite = await PGlite.create({ dataDir: target.dataDir, extensions: PGLITE_EXTENSIONS });
          const db = new Kysely<Database>({ dialect: new PGliteDialect({ pglite }) });
          wakeSources.set(db, { kind: "embedded", pglite });
          return db;
        } catch (error) {
          if (!existed) throw error;
          // Some PGlite versions cannot reopen a data directory after the process was killed
          // mid-write (reported upstream). Say so and how to recover, rather than a wasm trace.
          throw new Error(
            `${(error as Error).message}. The data in ${target.dataDir} may have been left damaged by a hard stop (kill -9, power loss). ` +
              `Nothing was changed. To recover: stop every simgate using it, copy the directory aside, then either restore a backup into ${target.dataDir} ` +
              `or start with an empty directory (SIMGATE_DATA_DIR=<new dir>). For a farm that must survive hard stops, run PostgreSQL and set DATABASE_URL.`,
          );
        }
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

/**
 * The migrations the database has that this simgate does not know: a newer simgate
 * migrated it. Running against it could misread its tables, so the host refuses.
 */
const unknownMigrations = async (db: Kysely<Database>): Promise<string[]> => {
  const exists = await sql<{ t: string | null }>`select to_regclass('kysely_migration')::text as t`.execute(db);
  if (!exists.rows[0]?.t) return [];
  const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db);
  return applied.rows.map((r) => r.name).filter((name) => !Object.hasOwn(MIGRATIONS, name));
};

/** Applies every migration not yet applied, in order; refuses a database newer than this code. */
export const migrate = (db: Kysely<Database>): Effect.Effect<MigrationOutcome, StoreError> =>
  Effect.tryPromise({
    try: () => unknownMigrations(db),
    catch: (error) => new StoreError({ reason: `reading the schema version failed: ${(error as Error).message}`, cause: error }),
  }).pipe(
    Effect.filterOrFail(
      (unknown) => unknown.length === 0,
      (unknown) =>
        new StoreError({
          reason: `the database was migrated by a newer simgate (${unknown.join(", ")} unknown here): upgrade this host before starting it (README: several hosts)`,
        }),
    ),
  ).pipe(Effect.zipRight(applyMigrations(db)));

const applyMigrations = (db: Kysely<Database>): Effect.Effect<MigrationOutcome, StoreError> =>
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
