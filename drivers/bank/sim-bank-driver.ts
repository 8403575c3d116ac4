/**
 * A SIM bank as the scheduler sees it: positions, which modem reaches which, and a switch
 * that puts a position on a modem (and says which modems' cards changed, since on some
 * models a whole row moves at once).
 */
import { Data, Effect } from "effect";
import type { DirectAt } from "../at/at-port";

export class BankError extends Data.TaggedError("BankError")<{
  readonly reason: "no-such-position" | "refused" | "no-answer" | "gone" | "not-switchable";
  readonly detail: string;
}> {
  override get message(): string {
    return `SIM bank: ${this.reason} (${this.detail})`;
  }
}

export interface SwitchResult {
  readonly position: string;
  readonly modem: number;
  /** Modems (1-based) whose card changed: their actors must re-read the SIM. */
  readonly affected: readonly number[];
  /** Where each affected modem stands now, as [modem, position]. */
  readonly after: ReadonlyArray<readonly [number, string]>;
}

/** What a switch to a position would do, known before doing it (to refuse a BUSY switch). */
export interface SwitchPreview {
  readonly modem: number;
  readonly after: ReadonlyArray<readonly [number, string]>;
}

export interface SimBankDriver {
  readonly positions: readonly string[];
  readonly modems: number;
  readonly reachable: (modem: number) => readonly string[];
  /** Null when there is no such position. */
  readonly preview: (position: string) => SwitchPreview | null;
  /**
   * Puts the position on its modem. Banks switched through the modem itself (a dual-SIM
   * module) get that modem's port, held for the switch.
   */
  readonly select: (position: string, modem?: DirectAt) => Effect.Effect<SwitchResult, BankError>;
}

/** What a bank is, apart from switching: known from its model, without its line. */
export type BankLayout = Omit<SimBankDriver, "select">;

/**
 * One SIM per modem, nothing to switch (a plain modem pool, SR-Box-8): position `n` is modem n.
 */
export const fixedBank = (modems: number, label: (modem: number) => string = String): SimBankDriver => {
  const positions = Array.from({ length: modems }, (_, i) => label(i + 1));
  const modemOf = (position: string) => positions.indexOf(position) + 1;
  return {
    positions,
    modems,
    reachable: (modem) => (modem >= 1 && modem <= modems ? [label(modem)] : []),
    preview: (position) => (modemOf(position) > 0 ? { modem: modemOf(position), after: [] } : null),
    select: (position) =>
      modemOf(position) > 0
        ? Effect.succeed({ position, modem: modemOf(position), affected: [], after: [] })
        : Effect.fail(new BankError({ reason: "no-such-position", detail: `no modem ${position}` })),
  };
};
