/**
 * A SIM bank as the scheduler sees it: positions, which modem reaches which, and a switch
 * that puts a position on a modem (and says which modems' cards changed, since on some
 * models a whole row moves at once).
 */
import { Data, type Effect } from "effect";

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
}

export interface SimBankDriver {
  readonly positions: readonly string[];
  readonly modems: number;
  readonly reachable: (modem: number) => readonly string[];
  readonly select: (position: string) => Effect.Effect<SwitchResult, BankError>;
}
