import type { CommandContext } from "../command-context";
import { cme, cms, type Reply } from "../reply";

/** The error a command gets while the SIM cannot answer (absent, waiting for a PIN, busy). */
const simGuard =
  (absent: Reply, pin: Reply, busy: Reply) =>
  (m: CommandContext): Reply | null =>
    m.simState === "ready" ? null : m.simState === "absent" ? absent : m.simState === "pin" ? pin : busy;

/** SIM commands report +CME codes (27.007 9.2). */
export const simError = simGuard(cme(10), cme(11), cme(14));

/** SMS commands report +CMS codes (27.005 3.2.5). */
export const simSmsError = simGuard(cms(310), cms(311), cms(313));

/** Parses an integer in [min, max]; null when absent, NaN when malformed or out of range. */
export const int = (value: string | undefined, min: number, max: number): number | null => {
  if (value === undefined || value.trim() === "") return null;
  if (!/^\s*\d+\s*$/.test(value)) return Number.NaN;
  const n = Number(value);
  return n >= min && n <= max ? n : Number.NaN;
};
