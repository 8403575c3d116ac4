/**
 * A console's exclusive lease on a modem, as a row (`console_leases`): taken by
 * compare-and-set (a row whose time is up may be taken over; its holder may extend it), let go
 * by its holder or broken by an admin, and over by itself when its time is up on the
 * database's clock, so every host agrees on who holds what.
 *
 * The host that drives the modem follows the rows of its devices: while a lease stands its
 * scheduler holds the card the modem carries (so no rotation or claim switches the modem's
 * SIMs), and jobs for a card on a leased modem wait (see `leaseInTheWay`) without failing or
 * spending an attempt.
 */
import { Clock, Data, Effect, type Scope } from "effect";
import { sql, type Kysely } from "kysely";
import type { Scheduler } from "./scheduler";
import { tryStore, type StoreError } from "../store/database";
import { recordEvent } from "../store/events";
import type { Database } from "../store/schema";
import { pollingOnly, type Wakeups } from "../store/wakeups";

export interface Lease {
  readonly device: string;
  readonly modem: number;
  readonly userId: number;
  readonly holder: string;
  readonly until: Date;
}

export class LeaseTaken extends Data.TaggedError("LeaseTaken")<{ readonly lease: Lease }> {
  override get message(): string {
    return `${this.lease.device}/${this.lease.modem} is leased to ${this.lease.holder} until ${this.lease.until.toISOString()}`;
  }
}

/** Longest lease one request may take (a forgotten lease must not pin a modem for a day). */
export const MAX_LEASE_MINUTES = 120;

const toLease = (r: { device: string; modem: number; user_id: number; holder: string; expires_at: Date }): Lease => ({
  device: r.device,
  modem: r.modem,
  userId: r.user_id,
  holder: r.holder,
  until: new Date(r.expires_at),
});

/** The lease standing on a modem now, if any. */
export const leaseOn = (db: Kysely<Database>, device: string, modem: number): Effect.Effect<Lease | null, StoreError> =>
  tryStore("reading a console lease", () =>
    db.selectFrom("console_leases").selectAll().where("device", "=", device).where("modem", "=", modem).where(sql<boolean>`expires_at > now()`).executeTakeFirst(),
  ).pipe(Effect.map((r) => (r ? toLease(r) : null)));

/** Every lease standing now (on these devices, when given). */
export const leasesNow = (db: Kysely<Database>, devices?: readonly string[]): Effect.Effect<Lease[], StoreError> =>
  devices !== undefined && devices.length === 0
    ? Effect.succeed([])
    : tryStore("reading the console leases", () => {
        let q = db.selectFrom("console_leases").selectAll().where(sql<boolean>`expires_at > now()`);
        if (devices) q = q.where("device", "in", devices);
        return q.execute();
      }).pipe(Effect.map((rows) => rows.map(toLease)));

/**
 * A lease taken or ended, in the event feed: the panel's pages refresh their lease column
 * from it, and the Events page keeps who had which modem when.
 */
const leaseEvent = (db: Kysely<Database>, lease: Lease, what: "taken" | "ended") =>
  tryStore("recording a console lease", () =>
    recordEvent(db, "consoleLease", { device: lease.device }, { modem: lease.modem, holder: lease.holder, state: what, ...(what === "taken" ? { until: lease.until.toISOString() } : {}) }),
  ).pipe(Effect.catchAll((e) => log(`console: ${e.message}`)));

/**
 * Takes the modem for `minutes` (or extends the user's own lease to that long from now):
 * one statement, so two technicians asking at once cannot both have it.
 */
export const takeLease = (db: Kysely<Database>, device: string, modem: number, user: { readonly id: number; readonly name: string }, minutes: number): Effect.Effect<Lease, LeaseTaken | StoreError> =>
  Effect.gen(function* () {
    const span = `${Math.round(Math.min(Math.max(minutes, 1), MAX_LEASE_MINUTES) * 60)} seconds`;
    const taken = yield* tryStore("taking a console lease", () =>
      db
        .insertInto("console_leases")
        .values({ device, modem, user_id: user.id, holder: user.name, expires_at: sql<Date>`now() + ${span}::interval` })
        .onConflict((oc) =>
          oc
            .columns(["device", "modem"])
            .doUpdateSet({ user_id: user.id, holder: user.name, taken_at: sql<Date>`case when console_leases.user_id = ${user.id} then console_leases.taken_at else now() end`, expires_at: sql<Date>`now() + ${span}::interval` })
            .where((eb) => eb.or([eb("console_leases.user_id", "=", user.id), eb(sql.ref("console_leases.expires_at"), "<=", sql<Date>`now()`)])),
        )
        .returningAll()
        .executeTakeFirst(),
    );
    if (taken) {
      const lease = toLease(taken);
      yield* leaseEvent(db, lease, "taken");
      return lease;
    }
    const standing = yield* leaseOn(db, device, modem);
    // Gone between the two statements: ask again.
    if (!standing) return yield* takeLease(db, device, modem, user, minutes);
    return yield* Effect.fail(new LeaseTaken({ lease: standing }));
  });

/** Lets the user's own lease go (true when there was one). */
export const releaseLease = (db: Kysely<Database>, device: string, modem: number, userId: number): Effect.Effect<boolean, StoreError> =>
  tryStore("letting a console lease go", () => db.deleteFrom("console_leases").where("device", "=", device).where("modem", "=", modem).where("user_id", "=", userId).returningAll().executeTakeFirst()).pipe(
    Effect.tap((r) => (r ? leaseEvent(db, toLease(r), "ended") : Effect.void)),
    Effect.map((r) => r !== undefined),
  );

/** An admin ends whoever's lease stands on the modem. */
export const breakLease = (db: Kysely<Database>, device: string, modem: number): Effect.Effect<Lease | null, StoreError> =>
  tryStore("breaking a console lease", () => db.deleteFrom("console_leases").where("device", "=", device).where("modem", "=", modem).returningAll().executeTakeFirst()).pipe(
    Effect.map((r) => (r ? toLease(r) : null)),
    Effect.tap((lease) => (lease ? leaseEvent(db, lease, "ended") : Effect.void)),
  );

/** The scheduler holder a lease takes for the card on its modem. */
export const leaseHolder = (device: string, modem: number) => `console:${device}/${modem}`;

const log = (line: string) => Effect.logWarning(line);

/**
 * The driving host's side: for each standing lease on its devices the scheduler holds the
 * card the modem carries (so nothing switches it away); a lease let go, broken or run out
 * is let go in the scheduler and its row removed. Woken by the row's changes; otherwise it
 * looks again when the next lease runs out (at most `everyMs`).
 */
export const followLeases = (
  db: Kysely<Database>,
  scheduler: Scheduler,
  options: { readonly wakeups?: Wakeups; readonly everyMs?: number; readonly onChange?: (lease: Lease, state: "applied" | "ended") => Effect.Effect<void> } = {},
): Effect.Effect<void, never, Scope.Scope> =>
  Effect.gen(function* () {
    const devices = scheduler.devices.map((d) => d.key);
    if (devices.length === 0) return;
    const everyMs = options.everyMs ?? 5_000;
    // Leases applied in the scheduler: key → the position held for it.
    const applied = new Map<string, { readonly lease: Lease; readonly position: string }>();
    const keyOf = (l: { device: string; modem: number }) => `${l.device}/${l.modem}`;
    yield* scheduler.scanned;

    const round = Effect.gen(function* () {
      const runOut = yield* tryStore("ending run-out console leases", () => db.deleteFrom("console_leases").where("device", "in", devices).where(sql<boolean>`expires_at <= now()`).returningAll().execute());
      for (const r of runOut) {
        yield* leaseEvent(db, toLease(r), "ended");
        // Also when it ran out before this host applied it: whoever watches hears of it.
        if (options.onChange) yield* options.onChange(toLease(r), "ended");
      }
      const standing = yield* leasesNow(db, devices);
      const present = new Map(standing.map((l) => [keyOf(l), l]));
      for (const [k, a] of [...applied]) {
        if (present.has(k)) continue;
        applied.delete(k);
        yield* scheduler.release(a.lease.device, a.position, leaseHolder(a.lease.device, a.lease.modem));
        yield* Effect.logInfo(`console: lease held by ${a.lease.holder} ended; the modem is the scheduler's again`).pipe(Effect.annotateLogs({ device: a.lease.device, modem: a.lease.modem }));
        if (options.onChange) yield* options.onChange(a.lease, "ended");
      }
      for (const lease of standing) {
        const k = keyOf(lease);
        if (applied.has(k)) {
          applied.set(k, { ...applied.get(k)!, lease });
          continue;
        }
        const position = scheduler.positions(lease.device).get(lease.modem);
        if (position === undefined) continue;
        const held = yield* scheduler.claim(lease.device, position, leaseHolder(lease.device, lease.modem)).pipe(Effect.either);
        if (held._tag === "Left") {
          // A job's switch is under way on that modem: tried again next round.
          yield* log(`console: lease on ${k}: the scheduler cannot hold ${position} yet: ${held.left.message}`);
          continue;
        }
        applied.set(k, { lease, position });
        yield* Effect.logInfo(`console: ${lease.holder} leases the modem until ${lease.until.toISOString()}; its card ${position} stays put`).pipe(Effect.annotateLogs({ device: lease.device, modem: lease.modem }));
        if (options.onChange) yield* options.onChange(lease, "applied");
      }
      // Which leases stand is the database's word (leasesNow); only how soon to look again is timed here.
      const now = yield* Clock.currentTimeMillis;
      const next = standing.length ? Math.min(...standing.map((l) => l.until.getTime())) - now : everyMs;
      return Math.max(50, Math.min(everyMs, next + 20));
    }).pipe(Effect.catchAll((e) => Effect.as(log(`console: following the leases: ${e.message}`), everyMs)));

    const changed = yield* (options.wakeups ?? pollingOnly).subscribe("simgate_holds");
    yield* Effect.forever(Effect.flatMap(round, (waitMs) => changed.wait(waitMs)));
  }).pipe(Effect.forkScoped, Effect.asVoid);

/**
 * The lease that keeps a job from a card, if any: the card sits on a leased modem, or
 * bringing it in would switch a leased modem (the lease's hold is in the way). Jobs wait for
 * it without failing or counting an attempt.
 */
export const leaseInTheWay = (db: Kysely<Database>, scheduler: Scheduler, device: string, position: string, holder: string): Effect.Effect<Lease | null> =>
  Effect.gen(function* () {
    const leases = yield* leasesNow(db, [device]);
    if (leases.length === 0) return null;
    const on = scheduler.place(device, position)?.modem ?? null;
    const direct = leases.find((l) => l.modem === on);
    if (direct) return direct;
    // Another card of a leased modem's group: the claim would be refused by the lease's hold.
    const blocked = scheduler.wouldBeBusy(device, position, holder);
    return blocked ? (leases.find((l) => scheduler.place(device, position) !== null && l.device === device) ?? null) : null;
  }).pipe(Effect.orElseSucceed(() => null));
