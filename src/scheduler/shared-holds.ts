/**
 * Clients' holds (an SR-Navigator pool's number, a SimFolder user's cardSelect) as rows, so
 * they survive a restart and reach across hosts. A hold is taken by compare-and-set on its
 * row (one client per position), by whichever host the client asked; the host that drives
 * the device follows the rows of its devices: it takes each hold in its scheduler (after
 * its start-up scan), writes how far the switch got, and lets a hold go when its row is
 * deleted. A job's own hold stays in memory: the job takes it again when it runs.
 */
import { Clock, Data, Effect, type Scope } from "effect";
import { sql, type Kysely } from "kysely";
import { tryStore } from "../store/database";
import type { Database } from "../store/schema";
import { pollingOnly, type Wakeups } from "../store/wakeups";
import { Busy, type Scheduler } from "./scheduler";

/** Holders whose holds are rows: SR-Navigator pools and SimFolder users. */
export const isClientHolder = (holder: string) => /^(sr-pool|user):/.test(holder);

class HoldTimeout extends Data.TaggedError("SwitchFailed")<{ readonly detail: string }> {
  override get message(): string {
    return `switch failed: ${this.detail}`;
  }
}

const key = (device: string, position: string, holder: string) => `${device}\u0000${position}\u0000${holder}`;

const log = (line: string) => Effect.logWarning(line);

/**
 * The scheduler as clients use it: client holds go through their rows; a device this host
 * does not drive is reached only through them.
 */
/** How often the rows are read while a switch for one of them is under way. */
const SETTLING_MS = 200;

export interface SharedHoldOptions {
  /** How often the rows are read (default 500 ms; 5 s with `wakeups`, as the fallback). */
  readonly followEveryMs?: number;
  /** Wake-ups from the database: a hold taken on any host is followed at once. */
  readonly wakeups?: Wakeups;
}

export const sharedHolds = (db: Kysely<Database>, scheduler: Scheduler, options: SharedHoldOptions = {}) => {
  const wakeups = options.wakeups ?? pollingOnly;
  const followEveryMs = options.followEveryMs ?? (options.wakeups ? 5_000 : 500);
  const local = (device: string) => scheduler.devices.some((d) => d.key === device);
  // Client holds this host has taken in its scheduler (for its own devices), and those it is
  // taking right now (their row may be visible before the scheduler has answered).
  const applied = new Set<string>();
  const pending = new Set<string>();

  /** Compare-and-set: the position's row is ours, or Busy naming who has it. */
  const takeRow = (device: string, position: string, holder: string) =>
    Effect.gen(function* () {
      const inserted = yield* tryStore("taking a hold", () =>
        db.insertInto("holds").values({ device, position, holder }).onConflict((oc) => oc.doNothing()).returning("holder").executeTakeFirst(),
      );
      if (inserted) return;
      const row = yield* tryStore("reading a hold", () => db.selectFrom("holds").select(["holder", "state"]).where("device", "=", device).where("position", "=", position).executeTakeFirst());
      if (!row || row.holder === holder) return;
      return yield* Effect.fail(new Busy({ detail: `${device} ${position} is held by ${row.holder}` }));
    });
  const dropRow = (device: string, position: string, holder: string) =>
    tryStore("letting a hold go", () => db.deleteFrom("holds").where("device", "=", device).where("position", "=", position).where("holder", "=", holder).execute()).pipe(
      Effect.catchAll((e) => log(`scheduler: ${e.message}`)),
      Effect.asVoid,
    );

  const claim: Scheduler["claim"] = (device, position, holder, claimOptions) => {
    if (!isClientHolder(holder)) return scheduler.claim(device, position, holder, claimOptions);
    const k = key(device, position, holder);
    // The follower leaves a claim of this host alone while it is being made.
    return Effect.acquireUseRelease(
      Effect.sync(() => pending.add(k)),
      () =>
        Effect.gen(function* () {
          // A store that cannot be reached: the hold cannot be shared or kept, so it is refused.
          yield* takeRow(device, position, holder).pipe(Effect.catchTag("StoreError", (e) => Effect.fail(new Busy({ detail: e.message }))));
          if (!local(device)) return;
          yield* scheduler.claim(device, position, holder, claimOptions).pipe(Effect.tapError(() => dropRow(device, position, holder)));
          applied.add(k);
        }),
      () => Effect.sync(() => pending.delete(k)),
    );
  };

  const release: Scheduler["release"] = (device, position, holder) => {
    if (!isClientHolder(holder)) return scheduler.release(device, position, holder);
    return Effect.gen(function* () {
      if (local(device)) {
        applied.delete(key(device, position, holder));
        yield* scheduler.release(device, position, holder);
      }
      yield* dropRow(device, position, holder);
    });
  };

  const hold: Scheduler["hold"] = (device, position, holder) => {
    if (!isClientHolder(holder)) return scheduler.hold(device, position, holder);
    if (local(device)) return Effect.zipRight(claim(device, position, holder), scheduler.hold(device, position, holder));
    // Another host drives the device: wait for it to write how the switch went.
    return Effect.gen(function* () {
      const changed = yield* wakeups.subscribe("simgate_holds");
      yield* claim(device, position, holder);
      // This process's own patience, on Effect's Clock like the waits inside it.
      const deadline = (yield* Clock.currentTimeMillis) + 60_000;
      while ((yield* Clock.currentTimeMillis) < deadline) {
        const row = yield* tryStore("reading a hold", () => db.selectFrom("holds").select(["state", "modem", "error", "holder"]).where("device", "=", device).where("position", "=", position).executeTakeFirst()).pipe(
          Effect.orElseSucceed(() => undefined),
        );
        if (!row || row.holder !== holder) return yield* Effect.fail(new HoldTimeout({ detail: `${device} ${position} was released meanwhile` }));
        if (row.state === "online" && row.modem !== null) return row.modem;
        if (row.state === "failed") return yield* Effect.fail(new HoldTimeout({ detail: row.error ?? "the driving host could not switch it in" }));
        yield* changed.wait(options.wakeups ? 1_000 : 200);
      }
      return yield* Effect.fail(new HoldTimeout({ detail: `${device} ${position}: its host did not switch it in within 60 s` }));
    }).pipe(Effect.scoped);
  };

  /**
   * This host's side: the rows of its devices, taken in its scheduler (after the start-up
   * scan; a hold that cannot be had is written as failed), their state written back, and a
   * hold whose row is gone let go.
   */
  const follow: Effect.Effect<void, never, Scope.Scope> = Effect.gen(function* () {
    yield* scheduler.scanned;
    const mine = scheduler.devices.map((d) => d.key);
    if (mine.length === 0) return;
    /** One pass over this host's rows; true while a switch is still under way (a row not yet online or failed). */
    const round = Effect.gen(function* () {
      let settling = false;
      const rows = yield* tryStore("reading the holds", () => db.selectFrom("holds").selectAll().where("device", "in", mine).execute());
      const present = new Set(rows.map((r) => key(r.device, r.position, r.holder)));
      for (const k of [...applied]) {
        if (present.has(k) || pending.has(k)) continue;
        const [device, position, holder] = k.split("\u0000") as [string, string, string];
        applied.delete(k);
        yield* scheduler.release(device, position, holder);
      }
      for (const r of rows) {
        const k = key(r.device, r.position, r.holder);
        if (pending.has(k)) {
          // Being taken on this host right now: its outcome is written back by a later round.
          settling = true;
          continue;
        }
        if (!applied.has(k)) {
          const taken = yield* scheduler.claim(r.device, r.position, r.holder).pipe(Effect.either);
          if (taken._tag === "Left") {
            if (r.state !== "failed") {
              yield* log(`scheduler: ${r.device} ${r.position}: the hold of ${r.holder} cannot be had: ${taken.left.message}`);
              yield* tryStore("writing a hold's state", () =>
                db.updateTable("holds").set({ state: "failed", error: taken.left.message, updated_at: sql`now()` }).where("device", "=", r.device).where("position", "=", r.position).where("holder", "=", r.holder).execute(),
              );
            }
            continue;
          }
          applied.add(k);
        }
        const place = scheduler.place(r.device, r.position);
        const state = place?.hold?.holder === r.holder ? place.hold.state : "requested";
        const modem = state === "online" ? (place?.modem ?? null) : null;
        const error = place?.hold?.error ?? null;
        // A switch of this hold under way in the scheduler (not a row it no longer holds).
        if (place?.hold?.holder === r.holder && state !== "online" && state !== "failed") settling = true;
        if (state !== r.state || modem !== r.modem || error !== r.error)
          yield* tryStore("writing a hold's state", () =>
            db.updateTable("holds").set({ state, modem, error, updated_at: sql`now()` }).where("device", "=", r.device).where("position", "=", r.position).where("holder", "=", r.holder).execute(),
          );
      }
      return settling;
    }).pipe(Effect.catchAll((e) => Effect.as(log(`scheduler: following the holds: ${e.message}`), false)));
    const changed = yield* wakeups.subscribe("simgate_holds");
    // A switch in progress is this host's own news (no row changes until it is written back):
    // followed at the fast pace until it ends, then only on notifications and the fallback.
    yield* Effect.forever(Effect.flatMap(round, (settling) => changed.wait(settling ? SETTLING_MS : followEveryMs)));
  }).pipe(Effect.forkScoped, Effect.asVoid);

  return { claim, release, hold, follow };
};
