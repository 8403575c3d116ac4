import { type AccessTechnology, accessTechnologyFromCode } from "./access-technology";
import { parseDecimal, parseHex, replyLines, unquote } from "./fields";
import { fail, ok, type Result } from "../result";

/** <stat> of the registration family, 27.007 clause 7.2 (names as ModemManager uses them). */
export type RegistrationState =
  | "IDLE"
  | "HOME"
  | "SEARCHING"
  | "DENIED"
  | "UNKNOWN"
  | "ROAMING"
  | "HOME_SMS_ONLY"
  | "ROAMING_SMS_ONLY"
  | "EMERGENCY_ONLY"
  | "HOME_CSFB_NOT_PREFERRED"
  | "ROAMING_CSFB_NOT_PREFERRED"
  | "ATTACHED_RLOS";

const STATES: readonly RegistrationState[] = [
  "IDLE",
  "HOME",
  "SEARCHING",
  "DENIED",
  "UNKNOWN",
  "ROAMING",
  "HOME_SMS_ONLY",
  "ROAMING_SMS_ONLY",
  "EMERGENCY_ONLY",
  "HOME_CSFB_NOT_PREFERRED",
  "ROAMING_CSFB_NOT_PREFERRED",
  "ATTACHED_RLOS",
];

export type RegistrationFamily = "CREG" | "CGREG" | "CEREG" | "C5GREG";

export interface Registration {
  readonly family: RegistrationFamily;
  /** <n> when the line carried it (solicited form), else null. */
  readonly mode: number | null;
  readonly stat: number | null;
  readonly state: RegistrationState;
  /** LAC or TAC; 0 when absent or unreadable. */
  readonly lac: number;
  readonly ci: number;
  readonly actCode: number | null;
  readonly act: AccessTechnology;
}

const LINE = /^\+(CREG|CGREG|CEREG|C5GREG):\s*(.*)$/i;

/**
 * Parses the first registration line of a reply (`AT+CREG?`, solicited) or an unsolicited
 * `+CREG:`/`+CGREG:`/`+CEREG:`/`+C5GREG:` code.
 *
 * Field positions cannot be read off the 27.007 text alone: devices add fields (Samsung
 * adds two after the cell id, Novatel and some LTE modules a 2-digit RAC before it) and
 * several send the solicited `<n>,<stat>` shape in URCs. The rules, each proven by a
 * captured vector in test/fixtures/at-responses.json:
 * - a solicited reply always starts with <n>;
 * - an unsolicited line starts with <n> only when its first field is 0..3 and its second is
 *   a bare 1-2 digit <stat> (so `+CREG: 2,5,"0502",...` is n=2 stat=5, but
 *   `+CREG: 10,0001,0010,0` is stat=10 lac=1);
 * - after <stat>: the LAC/TAC, then the cell id (skipping a short RAC-like field that sits
 *   before a longer one), then <AcT> when it is a bare decimal.
 */
export const parseRegistration = (input: string, opts: { solicited: boolean }): Result<Registration> => {
  const line = replyLines(input).find((l) => LINE.test(l));
  if (!line) return fail("registration", "no +CREG/+CGREG/+CEREG/+C5GREG line", input);
  const m = LINE.exec(line)!;
  const family = m[1]!.toUpperCase() as RegistrationFamily;
  // Mismatched quotes are common (gammu at-creg-corner), so split on every comma.
  const fields = m[2]!.split(",").map((f) => f.trim());
  if (fields.length === 0 || (fields.length === 1 && fields[0] === ""))
    return fail("registration", "no fields", input);

  const nFirst = opts.solicited ? fields.length >= 2 : startsWithMode(fields);
  const mode = nFirst ? parseDecimal(fields[0]) : null;
  const rest = nFirst ? fields.slice(1) : fields;
  const statField = rest[0] ?? "";
  const stat = unquote(statField) === "" ? null : parseDecimal(statField);
  if (unquote(statField) !== "" && stat === null) return fail("registration", `bad <stat> '${statField}'`, input);

  const after = rest.slice(1);
  const lac = parseHex(after[0]) ?? 0;
  let ciAt = 1;
  // A 1-2 character field followed by a longer one is a RAC, not the cell id.
  if (after.length > ciAt + 1 && unquote(after[ciAt]).length <= 2 && unquote(after[ciAt + 1]).length > 2) ciAt++;
  const ci = parseHex(after[ciAt]) ?? 0;
  const actField = after[ciAt + 1];
  const actValue = actField !== undefined && /^\s*\d{1,3}\s*$/.test(actField) ? Number(actField) : null;
  const actCode = actValue !== null && actValue <= 13 ? actValue : null;

  return ok({
    family,
    mode,
    stat,
    state: stat === null ? "UNKNOWN" : (STATES[stat] ?? "UNKNOWN"),
    lac,
    ci,
    actCode,
    act: accessTechnologyFromCode(actCode),
  });
};

const startsWithMode = (fields: string[]): boolean => {
  if (fields.length < 2) return false;
  const first = parseDecimal(fields[0]);
  const second = fields[1]!;
  return first !== null && first <= 3 && /^\d{1,2}$/.test(second.trim());
};

/** True for a registered state (home or roaming, including the SMS-only and CSFB variants). */
export const isRegistered = (state: RegistrationState): boolean =>
  state === "HOME" ||
  state === "ROAMING" ||
  state === "HOME_SMS_ONLY" ||
  state === "ROAMING_SMS_ONLY" ||
  state === "HOME_CSFB_NOT_PREFERRED" ||
  state === "ROAMING_CSFB_NOT_PREFERRED";

export const isRoaming = (state: RegistrationState): boolean =>
  state === "ROAMING" || state === "ROAMING_SMS_ONLY" || state === "ROAMING_CSFB_NOT_PREFERRED";
