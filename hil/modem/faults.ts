/**
 * Faults a test or a rig can inject into one modem. Each is what users of modem farms see:
 * a modem that stops answering, answers late, prints noise, or slips an unsolicited line into
 * the middle of a reply.
 */
export class FaultState {
  /** Input is ignored entirely: no echo, no reply (a hung firmware). */
  hanging = false;
  /** Every reply is held back this long. */
  lateMs = 0;
  /** Incoming SMS find the memory full (the network keeps them until this is cleared). */
  storageFull = false;
  private urcInResponse: string[] = [];
  private urcAtPrompt: string[] = [];
  private sendErrors = new Map<number, number>();
  private sends = 0;

  /** The next reply gets this line between its information lines and its final result. */
  injectUrcInResponse(line: string): void {
    this.urcInResponse.push(line);
  }

  /** The next `> ` prompt is preceded by this line. */
  injectUrcAtPrompt(line: string): void {
    this.urcAtPrompt.push(line);
  }

  /** The Nth message sent from now (1 = the next) fails with +CMS ERROR: code. */
  failSend(nth: number, code: number): void {
    this.sendErrors.set(this.sends + nth, code);
  }

  /** Counts a send; returns the error code it must fail with, if any. */
  nextSendError(): number | null {
    this.sends++;
    const code = this.sendErrors.get(this.sends);
    this.sendErrors.delete(this.sends);
    return code ?? null;
  }

  takeUrcInResponse(): string | undefined {
    return this.urcInResponse.shift();
  }

  takeUrcAtPrompt(): string | undefined {
    return this.urcAtPrompt.shift();
  }

  clear(): void {
    this.hanging = false;
    this.lateMs = 0;
    this.storageFull = false;
    this.urcInResponse = [];
    this.urcAtPrompt = [];
    this.sendErrors.clear();
  }

  toJSON() {
    return {
      hanging: this.hanging,
      lateMs: this.lateMs,
      storageFull: this.storageFull,
      urcInResponse: this.urcInResponse.length,
      urcAtPrompt: this.urcAtPrompt.length,
      sendErrors: [...this.sendErrors].map(([n, code]) => ({ send: n - this.sends, code })),
    };
  }
}
