/**
 * Which SIM is on which modem. Per device: where each modem stands (`current`), which
 * positions someone holds online (`holds`), and one lock so that switches of one device run
 * one after another while devices switch side by side.
 *
 * A hold is a claim on a position: openNumber, cardSelect or a job that needs its card. A
 * claim is checked at once against every other hold, pending or online, and refused with
 * Busy when its switch would move a held card away (a whole SR-Train row moves together);
 * the switch then runs in the background and the hold turns online once the modem reads
 * the new card. Each modem carries one card, so a device never has more cards online than
 * channels.
 *
 * With nothing held, a device rotates through its positions so that every card is on a
 * modem now and then (SMS waiting at the SMSC arrive, numbers are learnt). The first pass
 * after start is a scan: no dwell, until every position has been seen once.
 */
import { Clock, Data, Deferred, Duration, Effect, Option, Stream, SubscriptionRef, type Scope } from "effect";
import type { BankError, SimBankDriver, SwitchResult } from "../../drivers/bank/sim-bank-driver";
import type { ModemSnapshot } from "../../drivers/modem/state";
import type { DirectAt } from "../../drivers/at/at-port";
import type { RegisteredModem } from "../devices/registry";

export class Busy extends Data.TaggedError("Busy")<{ readonly detail: string }> {
  override get message(): string {
    return `busy: ${this.detail}`;
  }
}

export class NoSuchPosition extends Data.TaggedError("NoSuchPosition")<{ readonly device: string; readonly position: string }> {
  override get message(): string {
    return `device ${this.device} has no position ${this.position}`;
  }
}

export interface ManagedDevice {
  /** The configuration's id. */
  readonly key: string;
  readonly driver: SimBankDriver;
  /** In modem order: modems[n - 1] is modem n of the driver. */
  readonly modems: readonly RegisteredModem[];
  /** Time on each step of the idle rotation (0: no rotation). */
  readonly rotateEveryMs: number;
  /** Where the modems stand at start, when known (a fixed bank: modem n on position n). */
  readonly initial?: ReadonlyArray<readonly [number, string]>;
}

export interface SchedulerOptions {
  /** How long a modem may take to read a new card after a switch (default 30 s). */
  readonly cardTimeoutMs?: number;
  /** After the card is read, how long to wait for registration before moving on (default 10 s). */
  readonly settleMs?: number;
  /** How long a modem may stay silent after a switch before it is asked to read the SIM (default 2 s). */
  readonly quietMs?: number;
  /** A card was read on a modem at a position (the inventory's source). */
  readonly onCard?: (device: string, position: string, snapshot: ModemSnapshot) => Effect.Effect<void>;
  /** A switch failed (the bank did not answer, refused the position). */
  readonly onProblem?: (device: string, detail: string) => Effect.Effect<void>;
}

export type HoldState = "connecting" | "online" | "failed";

interface Hold {
  holder: string;
  /** The modem the card is on, or will be on once switched. */
  readonly modem: number;
  state: HoldState;
  error: string | null;
  /** Done when its switch is over, either way. */
  readonly settled: Deferred.Deferred<void>;
  /** Others holding the same card (claimed with share); it stays while any of them holds. */
  readonly sharers: Set<string>;
}

interface DeviceRuntime {
  readonly device: ManagedDevice;
  readonly current: Map<number, string>;
  readonly holds: Map<string, Hold>;
  /** Modems between a switch and the read of their new card: their old state is stale. */
  readonly switching: Set<number>;
  readonly lock: Effect.Semaphore;
  readonly seen: Set<string>;
  cursor: number;
  /** cardDirect: the positions the rotation goes through (null: all). */
  direct: ReadonlySet<string> | null;
  /** When the idle rotation's next step is due (epoch ms; null before the start-up scan ends or with no rotation). */
  nextRotationAt: number | null;
  /** A rescan asked for after start is running. */
  rescanning: boolean;
}

export interface CardPlace {
  readonly device: string;
  readonly position: string;
  readonly modem: number | null;
  readonly hold: { readonly holder: string; readonly state: HoldState; readonly error: string | null } | null;
}

export interface Scheduler {
  readonly devices: readonly ManagedDevice[];
  /** Claims a position for `holder` and switches it in, in the background. */
  /**
   * `share`: join a hold someone else already has on this position (a send from a card a
   * client holds open) instead of being refused; the card stays until every holder let go.
   */
  readonly claim: (device: string, position: string, holder: string, options?: { readonly share?: boolean }) => Effect.Effect<void, Busy | NoSuchPosition>;
  /** Claims and waits until the card is online (or the switch failed). */
  readonly hold: (device: string, position: string, holder: string) => Effect.Effect<number, Busy | NoSuchPosition | BankError | SwitchFailed>;
  /** Gives a claim up (only the holder's own). */
  readonly release: (device: string, position: string, holder: string) => Effect.Effect<void>;
  /** Where a position is now: on which modem, and who holds it. */
  readonly place: (device: string, position: string) => CardPlace | null;
  /** The position each modem of a device stands on. */
  readonly positions: (device: string) => ReadonlyMap<number, string>;
  /** Would a claim be refused now? (For the APIs' choice among candidate cards.) */
  readonly wouldBeBusy: (device: string, position: string, holder: string) => boolean;
  /** Resolves once every device has finished its start-up scan. */
  readonly scanned: Effect.Effect<void>;
  /** Limits a device's rotation to these positions (null: all of them again). */
  readonly rotateOnly: (device: string, positions: readonly string[] | null) => void;
  /**
   * The idle rotation of a device as it stands: how long each step lasts (0: none), when
   * the next is due, and the positions it would switch in now (none while holds pin every
   * modem). For a page to show; the rotation itself decides again when the time comes.
   */
  readonly rotation: (device: string) => Rotation | null;
  /**
   * Reads every position of a device again, as the start-up scan does (the cards a bank
   * holds may have been changed by hand). False when one is already running. Holds are kept:
   * a position whose switch would move a held card waits for a later rotation.
   */
  readonly rescan: (device: string) => Effect.Effect<boolean, NoSuchPosition>;
}

export interface Rotation {
  readonly everyMs: number;
  readonly nextAt: number | null;
  readonly next: readonly string[];
  readonly rescanning: boolean;
}

export class SwitchFailed extends Data.TaggedError("SwitchFailed")<{ readonly detail: string }> {
  override get message(): string {
    return `switch failed: ${this.detail}`;
  }
}

const snapshotOf = (m: RegisteredModem): Effect.Effect<ModemSnapshot | null> =>
  Effect.flatMap(SubscriptionRef.get(m.supervised.actor), (actor) => (Option.isSome(actor) ? SubscriptionRef.get(actor.value.state) : Effect.succeed(null)));

/** Every state the modem's current actor goes through, across reconnections. */
const statesOf = (m: RegisteredModem): Stream.Stream<ModemSnapshot> =>
  m.supervised.actor.changes.pipe(Stream.flatMap((actor) => (Option.isSome(actor) ? actor.value.state.changes : Stream.empty), { switch: true }));

export const startScheduler = (devices: readonly ManagedDevice[], options: SchedulerOptions = {}): Effect.Effect<Scheduler, never, Scope.Scope> =>
  Effect.gen(function* () {
    const cardTimeoutMs = options.cardTimeoutMs ?? 30_000;
    const settleMs = options.settleMs ?? 10_000;
    const quietMs = options.quietMs ?? 2_000;
    const runtimes = new Map<string, DeviceRuntime>();
    for (const device of devices)
      runtimes.set(device.key, {
        device,
        current: new Map(device.initial ?? []),
        holds: new Map(),
        switching: new Set(),
        lock: yield* Effect.makeSemaphore(1),
        seen: new Set((device.initial ?? []).map(([, p]) => p)),
        cursor: 0,
        direct: null,
        nextRotationAt: null,
        rescanning: false,
      });
    const scope = yield* Effect.scope;

    const runtime = (key: string) => runtimes.get(key);
    const modemAt = (rt: DeviceRuntime, position: string) => [...rt.current].find(([, p]) => p === position)?.[0] ?? null;

    /**
     * Holds (other than `holder`'s on `position`) that bringing `position` online would
     * break: a card the switch would move, or another card meant for the same modem.
     */
    const conflicts = (rt: DeviceRuntime, position: string, holder: string | null): string[] => {
      // A failed hold keeps its error for the client to read, and pins nothing.
      const live = [...rt.holds].filter(([held, h]) => h.state !== "failed" && !(held === position && h.holder === holder));
      const found = new Set<string>();
      const here = modemAt(rt, position);
      if (here !== null) {
        for (const [held, h] of live) {
          // Another card meant for this modem, or a pending switch that will move this card away.
          if (h.modem === here) found.add(`${held} (${h.holder})`);
          const pending = modemAt(rt, held) === null ? rt.device.driver.preview(held) : null;
          const next = pending?.after.find(([n]) => n === here)?.[1];
          if (next !== undefined && next !== position) found.add(`${held} (${h.holder})`);
        }
        return [...found];
      }
      const preview = rt.device.driver.preview(position);
      if (!preview) return [];
      const moved = new Map(preview.after);
      for (const [held, h] of live) {
        const next = moved.get(h.modem);
        if (next !== undefined && next !== held) found.add(`${held} (${h.holder})`);
        // Two cards for one modem cannot both be online.
        if (h.modem === preview.modem) found.add(`${held} (${h.holder})`);
      }
      return [...found];
    };

    /**
     * Waits until modem `n` has read the card now in its slot, and records it. The actor
     * forgot the old card before the switch (simChanging), so any card it reads now is the
     * new one. A modem normally announces the change (+CPIN) and the actor reads the card;
     * one that stays silent (or a switch to the position it already had) is asked to.
     */
    const awaitCard = (rt: DeviceRuntime, n: number) =>
      Effect.gen(function* () {
        const m = rt.device.modems[n - 1];
        if (!m) return null;
        const readCard = (s: ModemSnapshot) => s.sim?.lock === "ABSENT" || (s.sim?.lock === "READY" && s.sim.iccid !== null);
        const waitRead = (ms: number) => statesOf(m).pipe(Stream.filter(readCard), Stream.runHead, Effect.timeoutOption(Duration.millis(ms)), Effect.map(Option.flatten));
        let read = yield* waitRead(quietMs);
        if (Option.isNone(read)) {
          const actor = yield* SubscriptionRef.get(m.supervised.actor);
          if (Option.isSome(actor)) yield* actor.value.refreshSim.pipe(Effect.ignore);
          read = yield* waitRead(cardTimeoutMs);
        }
        rt.switching.delete(n);
        if (Option.isNone(read) || !read.value.sim?.iccid) return null;
        const iccid = read.value.sim.iccid;
        // Registered (operator known) before moving on, when that comes soon.
        yield* statesOf(m).pipe(
          Stream.filter((s) => s.sim?.iccid === iccid && s.operator !== null),
          Stream.runHead,
          Effect.timeoutOption(Duration.millis(settleMs)),
        );
        // Recorded here: the inventory watcher skipped this modem while it was switching.
        const now = yield* snapshotOf(m);
        const position = rt.current.get(n);
        if (now?.sim?.iccid === iccid && position !== undefined && options.onCard) yield* options.onCard(rt.device.key, position, now);
        return iccid;
      });

    /**
     * Runs the bank switch with every affected modem's port held (no read half-way across
     * the switch) and each actor told that its card is leaving. Modems that are not up are
     * not waited for: they read their card when they come back.
     */
    const quiesced = <A, E>(rt: DeviceRuntime, modems: readonly number[], target: number, inner: (at: DirectAt | undefined) => Effect.Effect<A, E>): Effect.Effect<A, E> =>
      Effect.gen(function* () {
        // The target modem's own port, for banks that switch through the modem (dual-SIM).
        let targetAt: DirectAt | undefined;
        let wrapped: Effect.Effect<A, E> = Effect.suspend(() => inner(targetAt));
        for (const n of [...new Set(modems)].reverse()) {
          const m = rt.device.modems[n - 1];
          const actor = m ? yield* SubscriptionRef.get(m.supervised.actor) : Option.none();
          if (Option.isNone(actor)) continue;
          const state = yield* SubscriptionRef.get(actor.value.state);
          if (state.port !== "ready") {
            yield* actor.value.simChanging;
            continue;
          }
          const next = wrapped;
          wrapped = actor.value.exclusive((at) =>
            Effect.zipRight(
              Effect.sync(() => {
                if (n === target) targetAt = at;
              }),
              Effect.zipRight(actor.value.simChanging, next),
            ),
          );
        }
        return yield* wrapped;
      });

    const refresh = (rt: DeviceRuntime, n: number) =>
      Effect.gen(function* () {
        const m = rt.device.modems[n - 1];
        const actor = m ? yield* SubscriptionRef.get(m.supervised.actor) : Option.none();
        if (Option.isSome(actor)) yield* actor.value.refreshSim.pipe(Effect.ignore, Effect.forkIn(scope));
      });

    /** Switches `position` in (under the device lock); the modem that holds it after. */
    const switchIn = (rt: DeviceRuntime, position: string, holder: string | null): Effect.Effect<number, Busy | BankError> =>
      Effect.gen(function* () {
        const already = modemAt(rt, position);
        if (already !== null) return already;
        const blocking = conflicts(rt, position, holder);
        if (blocking.length) return yield* Effect.fail(new Busy({ detail: `switching ${rt.device.key} ${position} would move ${blocking.join(", ")}` }));
        const preview = rt.device.driver.preview(position)!;
        const moving = preview.after.map(([n]) => n);
        for (const n of moving) rt.switching.add(n);
        // Checked again with the ports held: a hold taken while this switch waited for them
        // (a job about to send from a card that would move) wins.
        const guarded = (at: DirectAt | undefined): Effect.Effect<SwitchResult, Busy | BankError> => {
          const late = conflicts(rt, position, holder);
          return late.length ? Effect.fail(new Busy({ detail: `switching ${rt.device.key} ${position} would move ${late.join(", ")}` })) : rt.device.driver.select(position, at);
        };
        const result = yield* quiesced(rt, moving, preview.modem, guarded).pipe(
          // The cards did not move, or not surely: the actors read what is there again. A bank
          // that failed after its commands went out (no answer, a line lost, a status that
          // disagrees) may have switched all the same, so where those modems stand is no
          // longer known: believing the old position would call a card online that is not
          // there and let the inventory put the card that came in at the old one's place.
          // The next claim or rotation step switches them for real.
          Effect.tapError((error) =>
            Effect.forEach(
              moving,
              (n) =>
                Effect.zipRight(
                  Effect.sync(() => {
                    rt.switching.delete(n);
                    if (error._tag === "BankError" && error.reason !== "no-such-position") rt.current.delete(n);
                  }),
                  refresh(rt, n),
                ),
              { discard: true },
            ),
          ),
        );
        for (const [n, p] of result.after) {
          rt.current.set(n, p);
          rt.seen.add(p);
        }
        if (result.after.length === 0) rt.current.set(result.modem, position);
        yield* Effect.forEach(result.after, ([n]) => awaitCard(rt, n), { concurrency: "unbounded", discard: true });
        return result.modem;
      });

    const claim = (key: string, position: string, holder: string, claimOptions: { readonly share?: boolean } = {}) =>
      Effect.gen(function* () {
        const rt = runtime(key);
        const preview = rt?.device.driver.preview(position);
        if (!rt || !preview) return yield* Effect.fail(new NoSuchPosition({ device: key, position }));
        const existing = rt.holds.get(position);
        if (existing && existing.holder === holder && existing.state !== "failed") return;
        if (existing && existing.state !== "failed" && claimOptions.share) {
          existing.sharers.add(holder);
          return;
        }
        if (existing && existing.holder !== holder && existing.state !== "failed")
          return yield* Effect.fail(new Busy({ detail: `${key} ${position} is held by ${existing.holder}` }));
        const blocking = conflicts(rt, position, holder);
        if (blocking.length) return yield* Effect.fail(new Busy({ detail: `switching ${key} ${position} would move ${blocking.join(", ")}` }));
        const hold: Hold = { holder, modem: modemAt(rt, position) ?? preview.modem, state: "connecting", error: null, settled: yield* Deferred.make<void>(), sharers: new Set<string>() };
        rt.holds.set(position, hold);
        yield* rt.lock
          .withPermits(1)(Effect.suspend(() => (rt.holds.get(position) === hold ? switchIn(rt, position, holder) : Effect.succeed(0))))
          .pipe(
            Effect.matchEffect({
              onSuccess: () => Effect.sync(() => void (hold.state = "online")),
              onFailure: (error) =>
                Effect.zipRight(
                  Effect.sync(() => {
                    hold.state = "failed";
                    hold.error = error.message;
                  }),
                  options.onProblem?.(key, `${position} for ${holder}: ${error.message}`) ?? Effect.void,
                ),
            }),
            Effect.ensuring(Deferred.succeed(hold.settled, undefined)),
            Effect.forkIn(scope),
          );
      });

    const hold = (key: string, position: string, holder: string) =>
      Effect.gen(function* () {
        yield* claim(key, position, holder);
        const rt = runtime(key)!;
        const claimed = rt.holds.get(position);
        if (claimed) yield* Deferred.await(claimed.settled);
        const h = rt.holds.get(position);
        if (!h || h.holder !== holder) return yield* Effect.fail(new SwitchFailed({ detail: `${key} ${position} was released meanwhile` }));
        if (h.state === "failed") return yield* Effect.fail(new SwitchFailed({ detail: h.error ?? "unknown" }));
        return h.modem;
      });

    const release = (key: string, position: string, holder: string) =>
      Effect.sync(() => {
        const h = runtime(key)?.holds.get(position);
        if (!h) return;
        if (h.sharers.delete(holder)) return;
        if (h.holder !== holder) return;
        // A sharer carries the hold on; the card stays where it is.
        const next = h.sharers.values().next();
        if (next.done) runtime(key)!.holds.delete(position);
        else {
          h.sharers.delete(next.value);
          h.holder = next.value;
        }
      });

    /** One rotation step: every modem that no hold pins moves to a position it has not shown lately. */
    /** The positions one rotation step would switch in now (nothing is changed). */
    const picksOf = (rt: DeviceRuntime, scanning: boolean): string[] => {
      const positions = rt.device.driver.positions;
      const pinned = new Set([...rt.holds.values()].filter((h) => h.state !== "failed").map((h) => h.modem));
      const claimed = new Set<number>();
      const picks: string[] = [];
      const order = positions.map((_, i) => positions[(rt.cursor + i) % positions.length]!);
      for (const p of scanning ? order.filter((p) => !rt.seen.has(p)) : order.filter((p) => rt.direct === null || rt.direct.has(p))) {
        if (modemAt(rt, p) !== null) continue;
        const preview = rt.device.driver.preview(p);
        if (!preview) continue;
        const moves = preview.after.length ? preview.after.map(([n]) => n) : [preview.modem];
        if (moves.some((n) => pinned.has(n) || claimed.has(n))) continue;
        moves.forEach((n) => claimed.add(n));
        picks.push(p);
      }
      return picks;
    };

    const rotateStep = (rt: DeviceRuntime, scanning: boolean) =>
      rt.lock.withPermits(1)(
        Effect.gen(function* () {
          const positions = rt.device.driver.positions;
          const picks = picksOf(rt, scanning);
          if (picks.length) rt.cursor = (positions.indexOf(picks.at(-1)!) + 1) % positions.length;
          // Switch every pick first (the controller is serial), then wait for the cards together.
          const done = yield* Effect.forEach(
            picks,
            (p) =>
              switchIn(rt, p, null).pipe(
                Effect.as(1),
                Effect.catchAll((e) => Effect.as(options.onProblem?.(rt.device.key, `rotation to ${p}: ${e.message}`) ?? Effect.void, 0)),
              ),
            { concurrency: "unbounded" },
          );
          return { picked: picks.length, switched: done.reduce((a, b) => a + b, 0) };
        }),
      );

    /** Switches through every position not yet seen. */
    const scanSteps = (rt: DeviceRuntime) =>
      Effect.gen(function* () {
        let failedRounds = 0;
        while (rt.seen.size < rt.device.driver.positions.length) {
          const step = yield* rotateStep(rt, true);
          if (step.picked === 0) break;
          if (step.switched > 0) failedRounds = 0;
          // A bank that refuses everything: a few tries with a pause, then the rotation carries on.
          else if (++failedRounds >= 3) break;
          else yield* Effect.sleep(Duration.millis(1_000 * failedRounds));
        }
      });

    const scans: Effect.Effect<void>[] = [];
    for (const rt of runtimes.values()) {
      if (rt.device.driver.positions.length <= rt.device.modems.length && rt.device.initial) {
        scans.push(Effect.void);
        continue;
      }
      const scan = Effect.gen(function* () {
        // Modems first: a switch before they answer is wasted (and a dual-SIM bank needs them).
        yield* Effect.forEach(rt.device.modems, (m) => m.supervised.actor.changes.pipe(Stream.filter(Option.isSome), Stream.runHead, Effect.timeoutOption(Duration.millis(cardTimeoutMs))), {
          concurrency: "unbounded",
          discard: true,
        });
        yield* scanSteps(rt);
      });
      const done = yield* Effect.makeLatch(false);
      scans.push(done.await);
      yield* Effect.gen(function* () {
        yield* scan;
        yield* done.open;
        if (rt.device.rotateEveryMs <= 0) return;
        const due = Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.sync(() => (rt.nextRotationAt = now + rt.device.rotateEveryMs)));
        yield* Effect.forever(Effect.zipRight(due, Effect.zipRight(Effect.sleep(Duration.millis(rt.device.rotateEveryMs)), rotateStep(rt, false))));
      }).pipe(Effect.forkIn(scope));
    }

    // The inventory: every card read on a modem whose position is known, as it changes.
    if (options.onCard)
      for (const rt of runtimes.values())
        for (const [i, m] of rt.device.modems.entries())
          yield* statesOf(m).pipe(
            Stream.filter((s) => s.sim?.lock === "READY" && s.sim.iccid !== null),
            Stream.changesWith((a, b) => a.sim?.iccid === b.sim?.iccid && a.sim?.number === b.sim?.number && a.operator === b.operator && a.sim?.imsi === b.sim?.imsi),
            Stream.runForEach((s) => {
              const position = rt.current.get(i + 1);
              if (position === undefined || rt.switching.has(i + 1)) return Effect.void;
              return options.onCard!(rt.device.key, position, s);
            }),
            Effect.forkIn(scope),
          );

    return {
      devices,
      claim,
      hold,
      release,
      place: (key, position) => {
        const rt = runtime(key);
        if (!rt || !rt.device.driver.preview(position)) return null;
        const h = rt.holds.get(position);
        return { device: key, position, modem: modemAt(rt, position), hold: h ? { holder: h.holder, state: h.state, error: h.error } : null };
      },
      positions: (key) => new Map(runtime(key)?.current ?? []),
      wouldBeBusy: (key, position, holder) => {
        const rt = runtime(key);
        if (!rt) return true;
        const existing = rt.holds.get(position);
        return (existing !== undefined && existing.holder !== holder && existing.state !== "failed") || conflicts(rt, position, holder).length > 0;
      },
      scanned: Effect.all(scans, { discard: true }),
      rotateOnly: (key, positions) => {
        const rt = runtime(key);
        if (rt) rt.direct = positions === null ? null : new Set(positions);
      },
      rotation: (key) => {
        const rt = runtime(key);
        if (!rt) return null;
        return { everyMs: Math.max(0, rt.device.rotateEveryMs), nextAt: rt.device.rotateEveryMs > 0 ? rt.nextRotationAt : null, next: rt.device.rotateEveryMs > 0 ? picksOf(rt, false) : [], rescanning: rt.rescanning };
      },
      rescan: (key) =>
        Effect.gen(function* () {
          const rt = runtime(key);
          if (!rt) return yield* Effect.fail(new NoSuchPosition({ device: key, position: "(any)" }));
          if (rt.rescanning) return false;
          rt.rescanning = true;
          // The cards on the modems now are being read as they stand; every other position is read again.
          rt.seen.clear();
          for (const p of rt.current.values()) rt.seen.add(p);
          yield* scanSteps(rt).pipe(Effect.ensuring(Effect.sync(() => (rt.rescanning = false))), Effect.forkIn(scope));
          return true;
        }),
    } satisfies Scheduler;
  });
