import { MessageStore } from "./message-store";

export interface SimCardSpec {
  readonly iccid: string;
  readonly imsi: string;
  /** MSISDN, international form with `+`. */
  readonly number: string;
  /** Operator id (see OperatorSpec). */
  readonly operator: string;
  /** Many prepaid SIMs do not carry their own number: +CNUM then answers nothing. */
  readonly numberOnSim?: boolean;
  /** When set, the SIM asks for this PIN before anything else works. */
  readonly pin?: string;
  readonly balance?: number;
  /** Registers as roaming (+CREG stat 5) instead of home (1). */
  readonly roaming?: boolean;
  /** The network refuses registration (+CREG stat 3). */
  readonly denied?: boolean;
  /** SM memory size; 30 is typical for older SIMs, 50 for newer ones. */
  readonly smsCapacity?: number;
}

/** A SIM card: identity plus what lives on the card itself (the SM message memory). */
export class SimCard {
  readonly storage: MessageStore;
  balance: number;
  pinVerified: boolean;
  constructor(readonly spec: SimCardSpec) {
    this.storage = new MessageStore("SM", spec.smsCapacity ?? 30, 0);
    this.balance = spec.balance ?? 100;
    this.pinVerified = spec.pin === undefined;
  }
  get iccid(): string {
    return this.spec.iccid;
  }
  get number(): string {
    return this.spec.number;
  }
}

/** Digits only, so `+79001234567` and `79001234567` name the same subscriber. */
export const numberKey = (number: string): string => number.replace(/[^0-9]/g, "");
