/** Why a claim, a hold or a switch is refused or fails. */
import { Data } from "effect";

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

export class SwitchFailed extends Data.TaggedError("SwitchFailed")<{ readonly detail: string }> {
  override get message(): string {
    return `switch failed: ${this.detail}`;
  }
}
