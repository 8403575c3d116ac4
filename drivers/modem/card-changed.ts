import { Data } from "effect";

/** The card in the modem is not the one the snapshot showed (or did not answer): nothing went out from it. */
export class CardChanged extends Data.TaggedError("CardChanged")<{ readonly expected: string; readonly found: string | null }> {
  override get message(): string {
    return `card ${this.expected} is no longer in this modem (${this.found ? `it holds ${this.found}` : "the card did not answer"}): nothing was sent`;
  }
}
