/**
 * What a command handler is given: the narrow view of one virtual modem that the handlers in
 * commands/ and the personalities' extra commands (hil/personalities/) use. VirtualModem implements it; handlers
 * import this interface, never the class, so the modem and its command table do not import
 * each other.
 */
import type { AtCommand } from "./command-line";
import type { FaultState } from "./faults";
import type { ModelTraits, RegistrationFamily } from "./model-traits";
import type { PromptReply, Reply } from "./reply";
import type { NetworkCall } from "../network/calls";
import type { MessageStore, StorageName } from "../network/message-store";
import type { VirtualNetwork } from "../network/network";
import type { SimCard } from "../network/sim-card";
import type { Delays, TimerSet } from "../timing";

/** Settings the host changes; ATZ, AT&F and a reboot put them back. */
export interface ModemSettings {
  echo: boolean;
  verbose: boolean;
  quiet: boolean;
  cmee: 0 | 1 | 2;
  cmgf: 0 | 1;
  cscs: string;
  cnmi: [number, number, number, number, number];
  cpms: [StorageName, StorageName, StorageName];
  reg: Record<RegistrationFamily, number>;
  copsFormat: 0 | 1 | 2;
  clip: boolean;
  colp: boolean;
  cusdN: number;
  csmp: [number, number, number, number];
  smscOverride: string | null;
}

/** 27.007 <stat> of +CREG: 0 not searching, 1 home, 2 searching, 3 denied, 5 roaming. */
export type RegistrationStat = 0 | 1 | 2 | 3 | 5;

export type SimState = "absent" | "not-ready" | "pin" | "ready";

export interface ModemCall {
  readonly id: number;
  readonly call: NetworkCall;
  /** 27.007 +CLCC <dir>: 0 mobile originated, 1 mobile terminated. */
  readonly dir: 0 | 1;
  /** +CLCC <stat>: 0 active, 2 dialing, 3 alerting, 4 incoming. */
  stat: 0 | 2 | 3 | 4;
  readonly number: string;
  stopRinging?: () => void;
}

export interface CommandContext {
  // ---- what the modem is
  readonly imei: string;
  readonly personality: ModelTraits;
  readonly network: VirtualNetwork;
  readonly delays: Delays;
  readonly timers: TimerSet;
  /** The faults a send can meet (the rest of FaultState acts before a handler runs). */
  readonly faults: Pick<FaultState, "nextSendError" | "sendsWithoutReference">;

  // ---- its state: settings, power, SIM, registration, signal
  readonly settings: ModemSettings;
  cfun: number;
  /** +CPIN sets it to "not-ready" while the verified card is read. */
  simState: SimState;
  readonly sim: SimCard | null;
  readonly activeSlot: number;
  readonly regStat: RegistrationStat;
  readonly registered: boolean;
  readonly rssi: number;
  readonly ber: number;
  /** Where SMS go: +CSCA if set, else the operator's SMSC. */
  readonly smsc: string | null;
  /** The message reference of the next send. */
  nextMr: number;
  readonly calls: ModemCall[];

  // ---- what the handlers ask of it
  resetSettings(): void;
  reboot(): void;
  simReady(quiet?: boolean): void;
  selectSlot(slot: number): void;
  register(): void;
  setRegistration(stat: RegistrationStat): void;
  registrationLine(family: RegistrationFamily, n: number, solicited: boolean): string;
  smsStorage(name: StorageName): MessageStore | null;
  storageChanged(): void;
  awaitUssd(timeoutMs: number): Promise<string | null>;
  nextCallId(): number;
  endAllCalls(reason: "hangup" | "network"): void;
  /** Text for the host, in its +CSCS character set. */
  te(text: string): string;
}

export type CommandHandler = (modem: CommandContext, cmd: AtCommand) => Reply | PromptReply | Promise<Reply>;
