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
import { Effect, type Scope } from "effect";
import type { BankError } from "../../drivers/bank/sim-bank-driver";
import { claim, hold, placeOf, release, wouldBeBusy, type CardPlace } from "./claims";
import { watchCards } from "./card-reads";
import { makeRuntime, type DeviceRuntime, type ManagedDevice, type SchedulerEnv, type SchedulerOptions } from "./device-runtime";
import { Busy, NoSuchPosition, SwitchFailed } from "./errors";
import { rescan, rotateOnly, rotationOf, startRotation, type Rotation } from "./rotation";

export { Busy, NoSuchPosition, SwitchFailed } from "./errors";
export type { HoldState, ManagedDevice, SchedulerOptions } from "./device-runtime";
export type { CardPlace } from "./claims";
export type { Rotation } from "./rotation";

export interface Scheduler {
  readonly devices: readonly ManagedDevice[];
  /**
   * Claims a position for `holder` and switches it in, in the background. `share`: join a hold someone else already has on this position (a send from a card a
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

/**
 * Starts the scheduler over `devices`: each device's runtime, its start-up scan and idle
 * rotation, and the inventory's watch on its modems, all in the caller's scope.
 */
export const startScheduler = (devices: readonly ManagedDevice[], options: SchedulerOptions = {}): Effect.Effect<Scheduler, never, Scope.Scope> =>
  Effect.gen(function* () {
    const runtimes = new Map<string, DeviceRuntime>();
    for (const device of devices) runtimes.set(device.key, yield* makeRuntime(device));
    const env: SchedulerEnv = {
      cardTimeoutMs: options.cardTimeoutMs ?? 30_000,
      settleMs: options.settleMs ?? 10_000,
      quietMs: options.quietMs ?? 2_000,
      onCard: options.onCard,
      onProblem: options.onProblem,
      scope: yield* Effect.scope,
      runtime: (key) => runtimes.get(key),
    };

    const scans: Effect.Effect<void>[] = [];
    for (const rt of runtimes.values()) scans.push(yield* startRotation(env, rt));

    if (options.onCard) for (const rt of runtimes.values()) yield* watchCards(env, rt, options.onCard);

    return {
      devices,
      claim: (key, position, holder, claimOptions) => claim(env, key, position, holder, claimOptions),
      hold: (key, position, holder) => hold(env, key, position, holder),
      release: (key, position, holder) => release(env, key, position, holder),
      place: (key, position) => placeOf(env, key, position),
      positions: (key) => new Map(runtimes.get(key)?.current ?? []),
      wouldBeBusy: (key, position, holder) => wouldBeBusy(env, key, position, holder),
      scanned: Effect.all(scans, { discard: true }),
      rotateOnly: (key, positions) => rotateOnly(env, key, positions),
      rotation: (key) => rotationOf(env, key),
      rescan: (key) => rescan(env, key),
    } satisfies Scheduler;
  });
