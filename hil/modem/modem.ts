/**
 * One virtual GSM modem: it reads AT command lines from its host, answers them from its own
 * state, and speaks for its SIM to the virtual network. Transports (PTY, TCP, in-memory)
 * attach to it as hosts; the modem itself knows nothing of them.
 */
import type { AtCommand } from "./command-line";
import { parseCommandLine } from "./command-line";
import { COMMANDS } from "./command-table";
import { iccidCommands } from "./commands/general";
import { FaultState } from "./faults";
import type { CommandContext, CommandHandler, ModemCall, ModemSettings, RegistrationStat, SimState } from "./command-context";
import type { RegistrationFamily } from "./model-traits";
import type { Personality } from "./personality";
import { CME_TEXT, CMS_TEXT, type Final, type PromptReply, type Reply } from "./reply";
import { MessageStore, type StorageName } from "../network/message-store";
import type { NetworkCall } from "../network/calls";
import type { BuiltPdu } from "../network/pdu-builder";
import type { DeliveredPart, SubscriberEndpoint, VirtualNetwork } from "../network/network";
import type { SimCard } from "../network/sim-card";
import type { Delays, TimerSet } from "../timing";
import { toTe } from "./te-charset";
import { formatCusd } from "./ussd-format";

export interface LogEntry {
  readonly at: string;
  readonly dir: "in" | "out";
  readonly text: string;
}

export interface ModemOptions {
  readonly id: string;
  readonly imei: string;
  readonly personality: Personality;
  readonly network: VirtualNetwork;
  readonly delays: Delays;
  readonly timers: TimerSet;
  /** Distinguishes cells between modems (the LAC/CI a modem reports). */
  readonly cellSeed?: number;
  /** SIM slots: one, or two on dual-SIM models. */
  readonly sims?: readonly (SimCard | null)[];
  /** How many log entries to keep. */
  readonly logLimit?: number;
}

const LOG_LIMIT = 500;
const OK_REPLY: Reply = { lines: [], final: "OK" };
const CTRL_Z = "\x1a";
const ESC = "\x1b";

/** The modem as the network sees it (SubscriberEndpoint) and as its commands see it (CommandContext). */
export class VirtualModem implements SubscriberEndpoint, CommandContext {
  readonly id: string;
  readonly imei: string;
  readonly personality: Personality;
  readonly network: VirtualNetwork;
  readonly delays: Delays;
  readonly timers: TimerSet;
  readonly faults = new FaultState();
  readonly me: MessageStore;
  readonly sr: MessageStore;
  readonly log: LogEntry[] = [];
  settings: ModemSettings;
  /** Power as a SIM bank or a test switches it; off means no answer at all. */
  powered = true;
  cfun = 1;
  readonly slots: (SimCard | null)[];
  activeSlot = 0;
  simState: SimState = "absent";
  regStat: RegistrationStat = 0;
  /** Set by the control surface: registration the network will give (null: from the SIM). */
  registrationOverride: RegistrationStat | null = null;
  rssi = 20;
  ber = 99;
  readonly calls: ModemCall[] = [];
  nextMr = 0;
  private readonly lac: number;
  private readonly ci: number;
  private readonly logLimit: number;
  private readonly hosts = new Set<(bytes: Buffer) => void>();
  private readonly commands: Readonly<Record<string, CommandHandler>>;
  private servedSim: SimCard | null = null;
  private simEpoch = 0;
  private regEpoch = 0;
  private lineBuf = "";
  private echoBuf = "";
  private busy = false;
  private queued = "";
  private prompt: { reply: PromptReply; body: string } | null = null;
  private ussdWaiter: ((line: string) => void) | null = null;
  private readonly changeListeners = new Set<() => void>();

  constructor(options: ModemOptions) {
    this.id = options.id;
    this.imei = options.imei;
    this.personality = options.personality;
    this.network = options.network;
    this.delays = options.delays;
    this.timers = options.timers;
    this.logLimit = options.logLimit ?? LOG_LIMIT;
    this.me = new MessageStore("ME", this.personality.meCapacity, this.personality.firstIndex);
    this.sr = new MessageStore("SR", this.personality.srCapacity, this.personality.firstIndex);
    this.settings = this.defaultSettings();
    this.commands = { ...COMMANDS, ...iccidCommands(this.personality.iccid), ...this.personality.extraCommands };
    const seed = options.cellSeed ?? 1;
    // 2G/3G cell ids are 16 bits (CREG/CGREG print 4 hex digits); LTE's are 28 (CEREG, 7).
    this.lac = 0x1000 + (seed % 0xe000);
    this.ci = 0x1000 + ((seed * 7919) % 0xefff);
    this.slots = [...(options.sims ?? [null])];
    if (this.personality.dualSim && this.slots.length < 2) this.slots.push(null);
  }

  private defaultSettings(): ModemSettings {
    const d = this.personality.defaults;
    return {
      echo: true,
      verbose: true,
      quiet: false,
      cmee: d.cmee,
      cmgf: 0,
      cscs: d.cscs,
      cnmi: [...d.cnmi],
      cpms: [d.storage, d.storage, d.storage],
      reg: { CREG: 0, CGREG: 0, CEREG: 0 },
      copsFormat: 0,
      clip: false,
      colp: false,
      cusdN: 0,
      csmp: [17, 167, 0, 0],
      smscOverride: null,
    };
  }

  resetSettings(): void {
    this.settings = this.defaultSettings();
  }

  // ---- the host side -----------------------------------------------------------------------

  /** A transport connects: output goes to `sink` until the returned function is called. */
  attachHost(sink: (bytes: Buffer) => void): () => void {
    this.hosts.add(sink);
    return () => this.hosts.delete(sink);
  }

  get hostCount(): number {
    return this.hosts.size;
  }

  /** Bytes from the host. */
  input(chunk: Uint8Array | string): void {
    if (!this.powered || this.faults.hanging) return;
    const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("latin1");
    if (this.busy) {
      this.queued += text;
      return;
    }
    this.consume(text);
  }

  /** Line noise: bytes that are no AT reply (default: a seeded mix of control and high bytes). */
  injectGarbage(bytes?: string): void {
    const noise = bytes ?? Array.from({ length: 12 }, (_, i) => String.fromCharCode([0x00, 0xff, 0x7f, 0x1b, 0xfe, 0x80][i % 6]! ^ (i * 17 & 0x0f))).join("");
    this.write(noise);
  }

  /** Raw bytes to the host, exactly as given. */
  write(text: string): void {
    if (text.length === 0 || !this.powered) return;
    this.record("out", text);
    const bytes = Buffer.from(text, "latin1");
    for (const host of this.hosts) host(bytes);
  }

  private record(dir: "in" | "out", text: string): void {
    if (this.logLimit === 0) return;
    this.log.push({ at: new Date().toISOString(), dir, text });
    if (this.log.length > this.logLimit) this.log.splice(0, this.log.length - this.logLimit);
  }

  /** The command lines (and prompt bodies) the host sent, oldest first. */
  received(): string[] {
    return this.log.filter((e) => e.dir === "in").map((e) => e.text);
  }

  private flushEcho(): void {
    if (this.echoBuf) {
      const echo = this.echoBuf;
      this.echoBuf = "";
      if (this.settings.echo) {
        const bytes = Buffer.from(echo, "latin1");
        for (const host of this.hosts) host(bytes);
      }
    }
  }

  private consume(text: string): void {
    for (let i = 0; i < text.length; i++) {
      if (this.busy) {
        this.queued += text.slice(i);
        break;
      }
      const c = text[i]!;
      if (this.prompt) {
        this.promptChar(c);
        continue;
      }
      this.echoBuf += c;
      if (c === "\r") {
        const line = this.lineBuf;
        this.lineBuf = "";
        this.flushEcho();
        this.executeLine(line);
      } else if (c === "\n") {
        // LF after CR is layout (V.250 S4); ignored in command mode.
      } else if (c === "\b") this.lineBuf = this.lineBuf.slice(0, -1);
      else if (this.lineBuf.length < 2048) this.lineBuf += c;
    }
    this.flushEcho();
  }

  private promptChar(c: string): void {
    const prompt = this.prompt!;
    if (c === ESC) {
      this.flushEcho();
      this.prompt = null;
      this.record("in", `${prompt.body}<ESC>`);
      this.finishReply({ lines: [], final: "OK" });
      return;
    }
    if (c === CTRL_Z) {
      this.flushEcho();
      this.prompt = null;
      this.record("in", `${prompt.body}<Ctrl-Z>`);
      this.busy = true;
      this.runReply(() => prompt.reply.onBody(prompt.body));
      return;
    }
    this.echoBuf += c;
    if (c === "\r") {
      // Text mode takes several lines, each answered with a new prompt; PDU mode ignores CR.
      if (this.settings.cmgf === 1) {
        prompt.body += "\n";
        this.flushEcho();
        this.write("\r\n> ");
      }
    } else if (c !== "\n") prompt.body += c;
  }

  private executeLine(raw: string): void {
    const line = raw.trim();
    if (!/^AT/i.test(line)) return;
    this.record("in", line);
    const commands = parseCommandLine(line.slice(2));
    if (commands === null) {
      this.finishReply({ lines: [], final: "ERROR" });
      return;
    }
    // A bare `AT` runs no command, but a fault can still answer it (ERROR to the probe).
    const bare = commands.length === 0 ? this.faults.takeCommandFault({ name: "", form: "exec" }) : null;
    if (bare) {
      this.busy = true;
      const reply = bare.reply ?? OK_REPLY;
      if (bare.delayMs) this.timers.after(bare.delayMs, () => this.finishReply(reply));
      else this.finishReply(reply);
      return;
    }
    this.busy = true;
    this.runCommands(commands);
  }

  private runReply(produce: () => Reply | Promise<Reply>): void {
    let reply: Reply | Promise<Reply>;
    try {
      reply = produce();
    } catch (error) {
      reply = { lines: [`simulator fault: ${(error as Error).message}`], final: "ERROR" };
    }
    if (reply instanceof Promise) reply.then((r) => this.finishReply(r), () => this.finishReply({ lines: [], final: { cme: 100 } }));
    else this.finishReply(reply);
  }

  /** Runs a chain of commands; the first failure ends it, as V.250 5.2.1 says. */
  private runCommands(commands: readonly AtCommand[]): void {
    const blocks: string[][] = [];
    const step = (i: number): void => {
      if (i >= commands.length) return this.finishReply({ lines: blocks.flatMap((b, n) => (n === 0 ? b : ["", ...b])), final: "OK" });
      const cmd = commands[i]!;
      const handler = this.commands[cmd.name];
      if (!handler) return this.finishReply({ lines: blocks.flat(), final: "ERROR" });
      let result: Reply | PromptReply | Promise<Reply>;
      const fault = this.faults.takeCommandFault(cmd);
      try {
        result = fault?.reply ?? handler(this, cmd);
      } catch (error) {
        return this.finishReply({ lines: [`simulator fault: ${(error as Error).message}`], final: "ERROR" });
      }
      if (fault?.delayMs && !("prompt" in result)) {
        const late = result;
        result = new Promise<Reply>((resolve) => this.timers.after(fault.delayMs!, () => resolve(late)));
      }
      if ("prompt" in result) {
        this.busy = false;
        this.prompt = { reply: result, body: "" };
        this.sendPrompt();
        return;
      }
      const next = (reply: Reply) => {
        if (reply.lines.length) blocks.push([...reply.lines]);
        if (reply.final !== "OK") return this.finishReply({ lines: blocks.flatMap((b, n) => (n === 0 ? b : ["", ...b])), final: reply.final });
        step(i + 1);
      };
      if (result instanceof Promise) result.then(next, () => this.finishReply({ lines: [], final: { cme: 100 } }));
      else next(result);
    };
    step(0);
  }

  private sendPrompt(): void {
    const urc = this.faults.takeUrcAtPrompt();
    this.write(urc ? `\r\n${urc}\r\n\r\n> ` : "\r\n> ");
  }

  private finishReply(reply: Reply): void {
    const text = this.formatReply(reply);
    const delay = this.faults.lateMs;
    const done = () => {
      this.write(text);
      this.busy = false;
      const queued = this.queued;
      this.queued = "";
      if (queued) this.consume(queued);
    };
    if (delay > 0) this.timers.after(delay, done);
    else done();
  }

  formatReply(reply: Reply): string {
    const s = this.settings;
    let out = "";
    if (reply.lines.length) {
      const info = reply.lines.join("\r\n");
      out += s.verbose ? `\r\n${info}\r\n` : `${info}\r\n`;
    }
    const urc = this.faults.takeUrcInResponse();
    if (urc) out += `\r\n${urc}\r\n`;
    if (s.quiet) return out;
    const word = this.finalWord(reply.final);
    out += s.verbose ? `\r\n${word}\r\n` : `${NUMERIC_RESULT[word] ?? word}\r`;
    return out;
  }

  private finalWord(final: Final): string {
    if (final === "OK" || final === "ERROR") return final;
    if ("word" in final) return final.word;
    const cmee = this.settings.cmee;
    if (cmee === 0) return "ERROR";
    if ("cme" in final) return `+CME ERROR: ${cmee === 2 ? (CME_TEXT[final.cme] ?? final.cme) : final.cme}`;
    return `+CMS ERROR: ${cmee === 2 ? (CMS_TEXT[final.cms] ?? final.cms) : final.cms}`;
  }

  /** An unsolicited line: CRLF before and after, as 27.007 prints result codes. */
  urc(line: string): void {
    if (!this.powered) return;
    this.write(this.settings.verbose ? `\r\n${line}\r\n` : `${line}\r\n`);
  }

  // ---- power, SIM and registration ---------------------------------------------------------

  /** Called after the SIM, the power or the registration changed (the manifest listens). */
  onChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  private changed(): void {
    for (const listener of this.changeListeners) listener();
  }

  get sim(): SimCard | null {
    return this.slots[this.activeSlot] ?? null;
  }

  /** Power on (or reboot): settings are lost, the boot lines print, the SIM is read again. */
  powerOn(options: { quiet?: boolean } = {}): void {
    this.powered = true;
    this.resetSettings();
    this.cfun = 1;
    this.lineBuf = "";
    this.prompt = null;
    this.busy = false;
    this.queued = "";
    this.simState = this.sim ? "not-ready" : "absent";
    const epoch = ++this.simEpoch;
    this.timers.after(options.quiet ? 0 : this.delays.of("bootMs"), () => {
      if (epoch !== this.simEpoch) return;
      if (!options.quiet) for (const line of this.personality.bootLines) this.urc(line);
      this.readSim(epoch, options.quiet ?? false);
    });
  }

  powerOff(): void {
    this.leaveNetwork();
    this.endAllCalls("network");
    this.simEpoch++;
    this.simState = "absent";
    this.powered = false;
    this.changed();
  }

  reboot(): void {
    this.powerOff();
    this.powerOn();
  }

  /** Puts a card into a slot (null pulls it). The active slot's change is seen at once. */
  setSim(sim: SimCard | null, slot = this.activeSlot): void {
    this.slots[slot] = sim;
    if (slot === this.activeSlot) this.simChanged();
  }

  /** Switches the active slot of a dual-SIM modem. */
  selectSlot(slot: number): void {
    if (slot === this.activeSlot) return;
    this.activeSlot = slot;
    this.simChanged();
  }

  private simChanged(): void {
    if (!this.powered) return;
    const wasPresent = this.simState !== "absent";
    if (this.faults.silentSimChange && wasPresent && this.sim?.pinVerified) return this.swapSilently(this.sim);
    // The card goes first (+CPIN: NOT READY), then the network (+CREG: 0), as modules report it.
    if (wasPresent) this.urc("+CPIN: NOT READY");
    this.leaveNetwork();
    this.endAllCalls("network");
    const epoch = ++this.simEpoch;
    this.simState = this.sim ? "not-ready" : "absent";
    if (this.sim) this.timers.after(this.delays.of("simSwitchMs"), () => this.readSim(epoch, false));
    this.changed();
  }

  /**
   * A module that does not see its card change: no line at all, and it stays registered as
   * it was, now serving the new card (the network sees the new card; the host sees nothing).
   */
  private swapSilently(sim: SimCard): void {
    this.endAllCalls("network");
    const epoch = ++this.simEpoch;
    this.simState = "not-ready";
    this.timers.after(this.delays.of("simSwitchMs"), () => {
      if (epoch !== this.simEpoch || !this.powered) return;
      this.simState = "ready";
      if (this.registered) {
        if (this.servedSim && this.servedSim !== sim) this.network.detach(this.servedSim, this);
        this.servedSim = sim;
        this.network.attach(sim, this);
      }
      this.changed();
    });
    this.changed();
  }

  private readSim(epoch: number, quiet: boolean): void {
    if (epoch !== this.simEpoch || !this.powered) return;
    const sim = this.sim;
    if (!sim) {
      this.simState = "absent";
      return;
    }
    if (!sim.pinVerified) {
      this.simState = "pin";
      if (!quiet) this.urc("+CPIN: SIM PIN");
      return;
    }
    this.simReady(quiet);
  }

  /** The SIM answered (after a switch or a PIN): announce it and register. */
  simReady(quiet = false): void {
    this.simState = "ready";
    if (!quiet) {
      this.urc("+CPIN: READY");
      for (const line of this.personality.simReadyLines) this.urc(line);
    }
    this.register();
  }

  /** Starts (or restarts) registration: searching, then what the network gives. */
  register(): void {
    // Its own counter: a registration restarted (AT+COPS=0, AT+CFUN=1) while the card is
    // still being read must not cancel that read; a card change does cancel a registration.
    const epoch = ++this.regEpoch;
    const card = this.simEpoch;
    if (this.cfun !== 1 || this.simState !== "ready" || !this.sim) {
      this.leaveNetwork();
      return;
    }
    this.setRegistration(2);
    this.timers.after(this.delays.of("registrationMs"), () => {
      if (epoch !== this.regEpoch || card !== this.simEpoch) return;
      this.setRegistration(this.targetRegistration());
    });
  }

  private targetRegistration(): RegistrationStat {
    if (this.registrationOverride !== null) return this.registrationOverride;
    const spec = this.sim?.spec;
    if (!spec) return 0;
    if (spec.denied) return 3;
    return spec.roaming ? 5 : 1;
  }

  /** The control surface changes what the network gives this modem. */
  overrideRegistration(stat: RegistrationStat | null): void {
    this.registrationOverride = stat;
    if (this.simState === "ready" && this.cfun === 1) this.setRegistration(this.targetRegistration());
  }

  private leaveNetwork(): void {
    this.setRegistration(0);
  }

  get registered(): boolean {
    return this.regStat === 1 || this.regStat === 5;
  }

  setRegistration(stat: RegistrationStat): void {
    if (stat === this.regStat) return;
    this.regStat = stat;
    const sim = this.sim;
    if (this.registered && sim) {
      if (this.servedSim && this.servedSim !== sim) this.network.detach(this.servedSim, this);
      this.servedSim = sim;
      this.network.attach(sim, this);
    } else if (this.servedSim) {
      this.network.detach(this.servedSim, this);
      this.servedSim = null;
    }
    for (const family of this.personality.registration.families) {
      const n = this.settings.reg[family];
      if (n > 0) this.urc(this.registrationLine(family, n, false));
    }
    this.changed();
  }

  /** +CREG: [<n>,]<stat>[,<lac>,<ci>[,<AcT>]] (27.007 7.2); the URC has no <n>. */
  registrationLine(family: RegistrationFamily, n: number, solicited: boolean): string {
    let line = `+${family}: ${solicited ? `${n},` : ""}${this.regStat}`;
    if (n >= 2 && this.regStat !== 0) {
      const hex = (v: number, w: number) => v.toString(16).toUpperCase().padStart(w, "0");
      const ci = family === "CEREG" ? this.ci * 256 + 1 : this.ci;
      line += `,"${hex(this.lac, 4)}","${hex(ci, family === "CEREG" ? 7 : 4)}"`;
      if (this.personality.registration.act !== null) line += `,${this.personality.registration.act}`;
    }
    return line;
  }

  setSignal(rssi: number, ber = 99): void {
    this.rssi = rssi;
    this.ber = ber;
    if (this.personality.rssiUrc) this.urc(`^RSSI: ${rssi}`);
  }

  // ---- the network side --------------------------------------------------------------------

  smsStorage(name: StorageName): MessageStore | null {
    if (name === "SM") {
      const store = this.simState === "ready" ? (this.sim?.storage ?? null) : null;
      if (store) store.firstIndex = this.personality.firstIndex;
      return store;
    }
    return name === "ME" ? this.me : this.sr;
  }

  deliverSms(part: DeliveredPart): boolean {
    if (!this.powered || this.simState !== "ready") return false;
    const [, mt] = this.settings.cnmi;
    if (mt === 2 || (mt === 3 && part.flash)) {
      this.urc(`+CMT: ,${part.tpduLength}\r\n${part.pdu}`);
      return true;
    }
    const memName = this.settings.cpms[2];
    const store = this.smsStorage(memName);
    if (!store || this.faults.storageFull) return false;
    const stored = store.add({ stat: 0, pdu: part.pdu, tpduLength: part.tpduLength, kind: "deliver" });
    if (!stored) return false;
    if (mt === 1 || mt === 3) this.urc(`+CMTI: "${memName}",${stored.index}`);
    return true;
  }

  deliverStatusReport(report: BuiltPdu): void {
    if (!this.powered) return;
    const ds = this.settings.cnmi[3];
    if (ds === 1) {
      this.urc(`+CDS: ${report.tpduLength}\r\n${report.pdu}`);
      return;
    }
    // ds 0 and 2 keep the report in SR; only ds 2 says so (+CDSI).
    const stored = this.sr.add({ stat: 0, pdu: report.pdu, tpduLength: report.tpduLength, kind: "status-report" });
    if (stored && ds === 2) this.urc(`+CDSI: "SR",${stored.index}`);
  }

  /** Frees memory: the network may now hand over messages it kept waiting. */
  storageChanged(): void {
    // After the reply to the delete, as the SMSC's retry comes later over the air.
    this.timers.after(this.delays.of("smsDeliveryMs"), () => {
      if (this.sim && this.registered) this.network.retryPending(this.sim);
    });
  }

  ussdFromNetwork(status: number, text: string): void {
    const line = formatCusd(status, text, this.settings.cscs, this.personality);
    if (this.ussdWaiter) {
      const waiter = this.ussdWaiter;
      this.ussdWaiter = null;
      waiter(line);
      return;
    }
    // Shown whatever +CUSD=<n> says: the modules simgate drives all present network replies.
    this.urc(line);
  }

  /** For models that print the reply before OK: the next +CUSD goes to this waiter instead. */
  awaitUssd(timeoutMs: number): Promise<string | null> {
    return new Promise((resolve) => {
      const cancel = this.timers.after(timeoutMs, () => {
        this.ussdWaiter = null;
        resolve(null);
      });
      this.ussdWaiter = (line) => {
        cancel();
        resolve(line);
      };
    });
  }

  callUpdate(call: NetworkCall): void {
    const mine = this.calls.find((c) => c.call === call);
    const outgoing = call.callerIccid !== null && call.callerIccid === this.sim?.iccid;
    switch (call.state) {
      case "ringing":
        if (mine) mine.stat = 3;
        else if (!outgoing) this.ring(call);
        return;
      case "active":
        if (!mine) return;
        mine.stopRinging?.();
        mine.stat = 0;
        if (mine.dir === 0) {
          if (this.settings.colp) this.urc(`+COLP: "${call.to}",${call.to.startsWith("+") ? 145 : 129}`);
          if (this.personality.callConnectedLine) this.urc(this.personality.callConnectedLine);
        }
        return;
      case "ended": {
        if (!mine) return;
        mine.stopRinging?.();
        this.calls.splice(this.calls.indexOf(mine), 1);
        const word = call.endReason === "busy" ? "BUSY" : call.endReason === "no-answer" ? "NO ANSWER" : "NO CARRIER";
        this.urc(word);
        return;
      }
      default:
    }
  }

  private ring(call: NetworkCall): void {
    const entry: ModemCall = { id: this.nextCallId(), call, dir: 1, stat: 4, number: call.from };
    this.calls.push(entry);
    const announce = () => {
      if (entry.stat !== 4) return;
      this.urc("RING");
      if (this.settings.clip) this.urc(`+CLIP: "${call.from}",${call.from.startsWith("+") ? 145 : 129},,,,0`);
      entry.stopRinging = this.timers.after(this.delays.of("ringIntervalMs"), announce);
    };
    announce();
  }

  nextCallId(): number {
    let id = 1;
    while (this.calls.some((c) => c.id === id)) id++;
    return id;
  }

  /** Ends this modem's calls; with reason "hangup" the modem hung up itself (no URC). */
  endAllCalls(reason: "hangup" | "network"): void {
    for (const entry of this.calls.splice(0)) {
      entry.stopRinging?.();
      this.network.endCall(entry.call, reason);
    }
  }

  /** Text for the host, in its +CSCS character set. */
  te(text: string): string {
    return toTe(text, this.settings.cscs);
  }

  /** Where SMS go: +CSCA if set, else the operator's SMSC. */
  get smsc(): string | null {
    if (this.settings.smscOverride) return this.settings.smscOverride;
    return this.sim ? this.network.operatorOf(this.sim).smsc : null;
  }
}

const NUMERIC_RESULT: Readonly<Record<string, string>> = {
  OK: "0",
  CONNECT: "1",
  RING: "2",
  "NO CARRIER": "3",
  ERROR: "4",
  "NO DIALTONE": "6",
  BUSY: "7",
  "NO ANSWER": "8",
};
