/**
 * The store as services: `Store` (the database, migrated), `WakeSignals` (LISTEN/NOTIFY, or
 * polling on a store that has none) and the retention loop. `StoreLive` opens what the
 * configuration names; a test provides a database of its own with `Store.layerOf(db)`.
 */
import { Context, Effect, Layer } from "effect";
import type { Kysely } from "kysely";
import { AppConfig } from "../config/app-config";
import { migrate, openStore, redact, retryWhileUnavailable, wakeSourceOf, type StoreError, type StoreTarget } from "./database";
import { runRetention } from "./retention";
import type { Database } from "./schema";
import { pollingOnly, startWakeups, type Wakeups } from "./wakeups";
import { announce } from "../log/logger";

export class Store extends Context.Tag("simgate/Store")<Store, Kysely<Database>>() {
  static readonly layerOf = (db: Kysely<Database>): Layer.Layer<Store> => Layer.succeed(Store, db);
  /** The database at `target`, migrated, quietly (the CLI's commands). */
  static readonly at = (target: StoreTarget): Layer.Layer<Store, StoreError> =>
    Layer.scoped(
      Store,
      Effect.tap(openStore(target), (db) => migrate(db)),
    );
}


/** Opens the configured database and brings its schema up to date, retried while it is not reachable. */
export const StoreLive: Layer.Layer<Store, Error, AppConfig> = Layer.scoped(
  Store,
  Effect.gen(function* () {
    const { config, source } = yield* AppConfig;
    const db = yield* openStore(config.database);
    const migrated = yield* retryWhileUnavailable(migrate(db));
    const where = config.database.kind === "postgres" ? redact(config.database.url) : `embedded database in ${config.database.dataDir}`;
    yield* announce(`config: ${source}`);
    yield* announce(`store: ${where}${migrated.applied.length ? ` (applied ${migrated.applied.join(", ")})` : ""}`);
    return db;
  }),
);

export class WakeSignals extends Context.Tag("simgate/WakeSignals")<WakeSignals, Wakeups>() {
  /** No notifications: every loop falls back to its poll. */
  static readonly polling: Layer.Layer<WakeSignals> = Layer.succeed(WakeSignals, pollingOnly);
}

/** Loops that wait for work sleep until the database says there is some (LISTEN/NOTIFY). */
export const WakeSignalsLive: Layer.Layer<WakeSignals, never, Store> = Layer.scoped(
  WakeSignals,
  Effect.gen(function* () {
    const source = wakeSourceOf(yield* Store);
    return source ? yield* startWakeups(source) : pollingOnly;
  }),
);

/** Old messages, events and logs pruned as the configuration's retention says. */
export const RetentionLive: Layer.Layer<never, never, Store | AppConfig> = Layer.scopedDiscard(
  Effect.gen(function* () {
    const { config } = yield* AppConfig;
    yield* runRetention(yield* Store, config.retention);
  }),
);
