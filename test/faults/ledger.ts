/**
 * The ledger: every message the campaign put into the system, with the card it is for, the
 * fault it was sent into and when. Inbound messages are recorded as the network takes them;
 * sends as the API answered (or failed to answer) them. At the end the report compares this
 * with the database, the virtual network and what is left on the SIMs and in the modems.
 */
import type { FaultKind, MessageKind } from "./schedule";

export interface Origin {
  readonly fault: FaultKind;
  /** The schedule's episode, null for background traffic. */
  readonly episode: number | null;
  /** The faulted modem, when the fault was on one. */
  readonly modem: string | null;
}

/** A message the network sent to a card (from an outside sender). */
export interface InboundEntry extends Origin {
  readonly tag: number;
  readonly kind: MessageKind;
  readonly iccid: string;
  readonly number: string;
  readonly sender: string;
  readonly text: string;
  readonly parts: number;
  /** Epoch ms: when the network took it. */
  readonly at: number;
}

/** A send through one of the APIs: accepted, refused, or with its answer lost. */
export interface OutboundEntry extends Origin {
  readonly tag: number;
  readonly kind: MessageKind;
  readonly api: "simfolder" | "srnav";
  readonly iccid: string;
  readonly number: string;
  readonly to: string;
  /** A farm SIM's ICCID when the addressee is one (SIM-to-SIM). */
  readonly toIccid: string | null;
  readonly text: string;
  readonly at: number;
  /** true: the API took it (an sms_id, SENT or SENDING); false: refused; null: no answer. */
  apiAccepted: boolean | null;
  answer: string;
  smsId: number | null;
}

/** A service kill, a crash, or killed database connections, with the sends in flight then. */
export interface KillRecord {
  readonly kind: "service-kill" | "db-kill" | "crash";
  readonly at: number;
  /** sms_out ids in state "sending" right after the kill. */
  readonly inFlight: readonly number[];
  readonly detail: string;
}

/** One injected fault as it ran. */
export interface FaultRecord extends Origin {
  readonly at: number;
  readonly card: string | null;
  cleared: number | null;
}

export class Ledger {
  private next = 1;
  readonly inbound: InboundEntry[] = [];
  readonly outbound: OutboundEntry[] = [];
  readonly kills: KillRecord[] = [];
  readonly faults: FaultRecord[] = [];

  newTag(): number {
    return this.next++;
  }

  addInbound(entry: InboundEntry): void {
    this.inbound.push(entry);
  }

  addOutbound(entry: OutboundEntry): OutboundEntry {
    this.outbound.push(entry);
    return entry;
  }

  addKill(kill: KillRecord): void {
    this.kills.push(kill);
  }

  addFault(fault: FaultRecord): FaultRecord {
    this.faults.push(fault);
    return fault;
  }
}
