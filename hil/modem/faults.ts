import type { AtCommand } from "./command-line";
import type { Reply } from "./reply";

/**
 * One command answered otherwise than the model would (zwave-js's mock devices override one
 * behaviour the same way): a different reply (ERROR to `+CGMM`, `+CMS ERROR: 330` instead of
 * the `> ` prompt of `+CMGS`), the model's own reply late (a SIM still being read answers
 * `+CPIN?` after seconds), or both.
 */
export interface CommandFault {
  /**
   * The command as the host writes it after `AT`, without arguments: `+CGMM` (any form),
   * `+CPIN?` (only the read form), `+CMGS=` (only the set form), `+CGMM=?` (only the test).
   */
  readonly command: string;
  readonly reply?: Reply;
  readonly delayMs?: number;
  /** How many times it applies (default: until cleared). */
  readonly times?: number;
}

const FORM_SUFFIX = { exec: "", read: "?", test: "=?", set: "=" } as const;

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
  private commandFaults: { fault: CommandFault; left: number }[] = [];
  /**
   * The modem says nothing when its card changes: no +CPIN, no ready lines (modules whose
   * SIM-detect pin is not wired, as on many bank boards). Only asking shows the new card.
   */
  silentSimChange = false;
  /** Sends still to be accepted with a bare OK and no `+CMGS: <mr>` (seen on some firmwares). */
  sendsWithoutReference = 0;

  /** From now on, `fault.command` is answered as the fault says. */
  overrideCommand(fault: CommandFault): void {
    this.commandFaults.push({ fault, left: fault.times ?? Number.POSITIVE_INFINITY });
  }

  /** Takes back one override given to overrideCommand (others on the same command stay). */
  withdrawCommand(fault: CommandFault): void {
    this.commandFaults = this.commandFaults.filter((entry) => entry.fault !== fault);
  }

  /** The fault for this command, if one applies (and counts it). */
  takeCommandFault(cmd: Pick<AtCommand, "name" | "form">): CommandFault | null {
    const key = cmd.name + FORM_SUFFIX[cmd.form];
    const at = this.commandFaults.findIndex(({ fault }) => {
      const want = fault.command.toUpperCase().replace(/^AT/, "");
      return want === key || want === cmd.name;
    });
    if (at < 0) return null;
    const entry = this.commandFaults[at]!;
    if (--entry.left <= 0) this.commandFaults.splice(at, 1);
    return entry.fault;
  }

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
    this.commandFaults = [];
    this.sendsWithoutReference = 0;
    this.silentSimChange = false;
  }

  toJSON() {
    return {
      hanging: this.hanging,
      lateMs: this.lateMs,
      storageFull: this.storageFull,
      urcInResponse: this.urcInResponse.length,
      urcAtPrompt: this.urcAtPrompt.length,
      sendErrors: [...this.sendErrors].map(([n, code]) => ({ send: n - this.sends, code })),
      commands: this.commandFaults.map(({ fault, left }) => ({ ...fault, times: Number.isFinite(left) ? left : null })),
      sendsWithoutReference: this.sendsWithoutReference,
    };
  }
}
