import type { VirtualModem } from "../modem";
import { cme, cms, type Reply } from "../reply";

/** The CME error a SIM command gets when the SIM cannot answer, or null when it can. */
export const simError = (m: VirtualModem): Reply | null => {
  switch (m.simState) {
    case "ready":
      return null;
    case "absent":
      return cme(10);
    case "pin":
      return cme(11);
    default:
      return cme(14);
  }
};

/** The same for SMS commands, which report +CMS codes (27.005 3.2.5). */
export const simSmsError = (m: VirtualModem): Reply | null => {
  switch (m.simState) {
    case "ready":
      return null;
    case "absent":
      return cms(310);
    case "pin":
      return cms(311);
    default:
      return cms(313);
  }
};

/** Parses an integer in [min, max]; null when absent, NaN when malformed or out of range. */
export const int = (value: string | undefined, min: number, max: number): number | null => {
  if (value === undefined || value.trim() === "") return null;
  if (!/^\s*\d+\s*$/.test(value)) return Number.NaN;
  const n = Number(value);
  return n >= min && n <= max ? n : Number.NaN;
};
