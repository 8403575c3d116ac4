/**
 * One device's runtime in the scheduler: where each modem stands, who holds which position,
 * the lock its switches take turns on, and the rotation's place. Also the lookups on it
 * (which modem a position is on, which holds a switch would break) and what the scheduler's
 * parts share: its settings and the scope its background work runs in.
 */
import { Effect, type Deferred, type Scope } from "effect";
import type { SimBankDriver } from "../../drivers/bank/sim-bank-driver";
import type { ModemSnapshot } from "../../drivers/modem/state";
import type { RegisteredModem } from "../devices/registry";

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

/** What the parts of a running scheduler share: the options with their defaults, its devices, its scope. */
export interface SchedulerEnv {
  readonly cardTimeoutMs: number;
  readonly settleMs: number;
  readonly quietMs: number;
  readonly onCard: SchedulerOptions["onCard"];
  readonly onProblem: SchedulerOptions["onProblem"];
  /** Where the background work (switches, scans, the rotation, card watchers) runs. */
  readonly scope: Scope.Scope;
  readonly runtime: (key: string) => DeviceRuntime | undefined;
}

export type HoldState = "connecting" | "online" | "failed";

export interface Hold {
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

export interface DeviceRuntime {
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

/** A device's runtime at start: its modems where `initial` says (those positions count as seen), nothing held. */
export const makeRuntime = (device: ManagedDevice): Effect.Effect<DeviceRuntime> =>
  Effect.map(Effect.makeSemaphore(1), (lock) => ({
    device,
    current: new Map(device.initial ?? []),
    holds: new Map(),
    switching: new Set(),
    lock,
    seen: new Set((device.initial ?? []).map(([, p]) => p)),
    cursor: 0,
    direct: null,
    nextRotationAt: null,
    rescanning: false,
  }));

/** The modem `position` is on now, if any. */
export const modemAt = (rt: DeviceRuntime, position: string) => [...rt.current].find(([, p]) => p === position)?.[0] ?? null;

/**
 * Holds (other than `holder`'s on `position`) that bringing `position` online would
 * break: a card the switch would move, or another card meant for the same modem.
 */
export const conflicts = (rt: DeviceRuntime, position: string, holder: string | null): string[] => {
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
