/** Voice calls in the virtual network: two parties, either of which may be a simulated SIM. */

export type CallEndReason =
  | "hangup" // a modem hung up (ATH / +CHUP)
  | "far-end-hangup"
  | "caller-gave-up"
  | "busy"
  | "no-answer"
  | "unreachable"
  | "network"; // the SIM left the network mid-call

/** How a number outside the simulation answers a call from a modem. */
export type ExternalCallBehaviour =
  | { readonly kind: "answer"; readonly answerAfterMs?: number; readonly hangupAfterMs?: number }
  | { readonly kind: "busy" }
  | { readonly kind: "no-answer"; readonly ringForMs?: number };

export class NetworkCall {
  state: "setup" | "ringing" | "active" | "ended" = "setup";
  readonly startedAt = new Date().toISOString();
  answeredAt: string | null = null;
  endedAt: string | null = null;
  endReason: CallEndReason | null = null;
  /** For calls into a SIM: the outside caller hangs up this long after the answer. */
  farEndHangupAfterMs: number | null = null;
  cancelRingTimer: (() => void) | undefined;
  cancelHangupTimer: (() => void) | undefined;

  constructor(
    readonly id: number,
    readonly from: string,
    readonly to: string,
    /** The calling SIM when a modem dialled, else null (an outside caller). */
    readonly callerIccid: string | null,
    /** The called SIM when the number is simulated, else null (an outside number). */
    readonly calleeIccid: string | null,
  ) {}

  involves(iccid: string): boolean {
    return this.callerIccid === iccid || this.calleeIccid === iccid;
  }

  toJSON() {
    return {
      id: this.id,
      from: this.from,
      to: this.to,
      state: this.state,
      startedAt: this.startedAt,
      answeredAt: this.answeredAt,
      endedAt: this.endedAt,
      endReason: this.endReason,
    };
  }
}
