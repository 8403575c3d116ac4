/** What the rest of simgate can watch about a modem. */
import type { RegistrationState } from "../../protocol/at/registration";
import type { SignalQuality, SimLock } from "../../protocol/at/sim";

export interface ModemIdentity {
  readonly manufacturer: string;
  readonly model: string;
  readonly revision: string;
  readonly imei: string;
  /** Fields no command answered (they are ""): bring-up goes on without them. */
  readonly unreadable?: readonly ("manufacturer" | "model" | "revision" | "imei")[];
}

export interface SimIdentity {
  /** READY, SIM PIN, ... or ABSENT when no card answers. */
  readonly lock: SimLock | "ABSENT" | "NOT READY";
  /**
   * The card's key: its ICCID, or `imsi:<IMSI>` when no ICCID could be read (then
   * `iccidSource` says "imsi-fallback"; the card is re-keyed once its ICCID is readable).
   */
  readonly iccid: string | null;
  /** Absent when a command read the ICCID; "sim-file" from EF_ICCID (+CRSM). */
  readonly iccidSource?: "sim-file" | "imsi-fallback";
  readonly imsi: string | null;
  /** From +CNUM when the card carries it. */
  readonly number: string | null;
}

export interface ModemSnapshot {
  readonly port: "opening" | "ready" | "unresponsive" | "gone";
  readonly identity: ModemIdentity | null;
  readonly profile: string | null;
  readonly sim: SimIdentity | null;
  readonly registration: RegistrationState | null;
  readonly operator: string | null;
  readonly signal: SignalQuality | null;
}

export const INITIAL_SNAPSHOT: ModemSnapshot = {
  port: "opening",
  identity: null,
  profile: null,
  sim: null,
  registration: null,
  operator: null,
  signal: null,
};

/**
 * SimFolder's simStatus codes: -3 off, -1 turning on, 0 not registered, 1 active,
 * 2 registering, 3 blocked, 4 registration error, 5 roaming, 6 absent.
 */
export type SimStatus = -3 | -1 | 0 | 1 | 2 | 3 | 4 | 5 | 6;

export const simStatusOf = (s: ModemSnapshot): SimStatus => {
  if (s.port === "gone" || s.port === "unresponsive") return -3;
  if (s.port === "opening" || !s.sim) return -1;
  if (s.sim.lock === "ABSENT") return 6;
  if (s.sim.lock === "NOT READY") return -1;
  if (s.sim.lock !== "READY") return 3;
  switch (s.registration) {
    case "HOME":
    case "HOME_SMS_ONLY":
    case "HOME_CSFB_NOT_PREFERRED":
      return 1;
    case "ROAMING":
    case "ROAMING_SMS_ONLY":
    case "ROAMING_CSFB_NOT_PREFERRED":
      return 5;
    case "SEARCHING":
      return 2;
    case "DENIED":
      return 4;
    default:
      return 0;
  }
};
