/** What can go wrong with one AT command, as tagged errors with everything a caller needs. */
import { Data } from "effect";
import type { ModemError } from "../../protocol/at/errors";

/** The modem answered with an error: its code and text are kept (`+CMS ERROR: 500`). */
export class AtModemError extends Data.TaggedError("AtModemError")<{
  readonly command: string;
  readonly error: ModemError;
  /** Information lines that came before the error. */
  readonly lines: readonly string[];
}> {
  override get message(): string {
    return `${this.command}: ${this.error.text} (${this.error.name}${this.error.retryable ? ", may succeed if retried" : ""})`;
  }
}

/** No final result in time (or no `> ` prompt); the port has resynchronised since. */
export class AtTimeout extends Data.TaggedError("AtTimeout")<{
  readonly command: string;
  readonly afterMs: number;
  readonly waitingFor: "reply" | "prompt";
}> {
  override get message(): string {
    return `${this.command}: no ${this.waitingFor} after ${this.afterMs} ms`;
  }
}

/** The port is gone (unplugged, closed) or was never usable. */
export class AtPortClosed extends Data.TaggedError("AtPortClosed")<{
  readonly command: string;
  readonly reason: string;
}> {
  override get message(): string {
    return `${this.command}: port closed (${this.reason})`;
  }
}

export type AtError = AtModemError | AtTimeout | AtPortClosed;
