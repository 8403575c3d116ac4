/**
 * What the AT console adds under a modem's lines for a person: PDUs decoded, USSD decoded,
 * error codes named, and the common status replies said in words (signal, registration,
 * operator, SIM state, stored-message headers and notices). Pure: lines in, notes out.
 */
import { parseFinalResult } from "../../protocol/at/final-result";
import { describeModemError } from "../../protocol/at/errors";
import { afterPrefix, isQuoted, parseDecimal, splitFields } from "../../protocol/at/fields";
import { parseCopsRead, parseCopsTest } from "../../protocol/at/operator";
import { parseRegistration, type RegistrationFamily } from "../../protocol/at/registration";
import { parseCpinRead, parseCsq, type SimLock } from "../../protocol/at/sim";
import { parseCmtiUnsolicited } from "../../protocol/at/sms-storage";
import { decodeSmsPdu } from "../../protocol/sms/decode";
import { decodeCusd } from "../../protocol/ussd/decode";

const PDU_LINE = /^(?:[0-9A-Fa-f]{2}){8,}$/;

/** A one-line summary of an SMS PDU, or null when the line is not one. */
export const describePdu = (line: string): string | null => {
  if (!PDU_LINE.test(line)) return null;
  const pdu = decodeSmsPdu(line, { hasSmsc: true });
  if (!pdu.ok) return `not a readable PDU: ${pdu.error.reason}`;
  const v = pdu.value;
  const part = v.concat ? ` part ${v.concat.seq}/${v.concat.total} (ref ${v.concat.ref})` : "";
  if (v.type === "SMS-STATUS-REPORT") return `status report for reference ${v.mr}: ${v.status === 0 ? "delivered" : `status 0x${(v.status ?? 0).toString(16)}`} to ${v.number}`;
  const who = v.type === "SMS-DELIVER" ? `from ${v.number}` : `to ${v.number}`;
  return `${v.type} ${who}${part} [${v.alphabet}]${v.scts ? ` at ${v.scts}` : ""}: ${JSON.stringify(v.text)}`;
};

const USSD_ENDINGS: Readonly<Record<number, string>> = {
  2: "the network released the session",
  3: "another local client answered",
  4: "operation not supported by the network",
  5: "the network timed out",
};

/** Notes for one line of modem output. */
export const annotate = (line: string, context: AnnotateContext = {}): string[] => {
  const pdu = describePdu(line);
  if (pdu) return [pdu];
  const status = describeStatusLine(line.trim(), context);
  if (status) return status;
  if (/^\+CUSD:/i.test(line)) {
    // The console sets no +CSCS of its own: the modem's default, usually IRA or GSM.
    const reply = decodeCusd(line, "GSM");
    if (!reply.ok) return [];
    const { status, text } = reply.value;
    // 27.007 7.15 <m>: 2, 4 and 5 end the exchange, usually without a text; an empty text
    // would read as a blank answer, so the status is said in words.
    const ended = USSD_ENDINGS[status];
    if (ended && !text) return [`USSD (${status}): ${ended}`];
    return [`USSD (${status}): ${JSON.stringify(text)}${ended ? ` -- ${ended}` : ""}`];
  }
  const final = parseFinalResult(line);
  const error = final ? describeModemError(final) : null;
  if (error && error.code !== null) return [`${error.family} error ${error.code}: ${error.name}${error.retryable ? " (a retry may help)" : ""}`];
  return [];
};

/** What the console knows about where a line came from. */
export interface AnnotateContext {
  /**
   * True for a line of a command's reply, false for one that arrived unasked. It matters
   * for +CREG/+CGREG/+CEREG/+C5GREG only: the reply to a read starts with <n>, the
   * unsolicited code does not. Left out, the shape of the line decides (as for URCs).
   */
  readonly solicited?: boolean;
}

/** 27.007 7.3 <AcT>, in its own words with the common name where one helps. */
const ACCESS: Readonly<Record<string, string>> = {
  GSM: "GSM",
  GSM_COMPACT: "GSM Compact",
  UMTS: "UTRAN (3G)",
  EDGE: "GSM with EGPRS (EDGE)",
  HSDPA: "UTRAN with HSDPA",
  HSUPA: "UTRAN with HSUPA",
  HSPA: "UTRAN with HSDPA and HSUPA",
  LTE: "E-UTRAN (LTE)",
  EC_GSM_IOT: "EC-GSM-IoT",
  LTE_NB_IOT: "E-UTRAN NB-S1 (NB-IoT)",
  LTE_5GCN: "E-UTRA connected to a 5G core",
  "5GNR": "NR connected to a 5G core (5G)",
  NG_RAN: "NG-RAN",
  LTE_NR_DUAL: "E-UTRA-NR dual connectivity",
};

// ---- +CSQ ----

/**
 * A reading of the level for a person. 27.007 gives only the dBm; these bands are the ones
 * GSM module makers print in their application notes, give or take a step: below about
 * -100 dBm SMS starts to fail, above -70 dBm nothing is gained.
 */
const signalQuality = (dbm: number): string =>
  dbm >= -69 ? "excellent" : dbm >= -85 ? "good" : dbm >= -99 ? "fair" : dbm >= -109 ? "marginal" : "very weak";

/** 27.007 8.5 <ber>: RXQUAL classes 0..7 (GSM 05.08), as the error rate each stands for. */
const BER = ["under 0.2%", "0.2-0.4%", "0.4-0.8%", "0.8-1.6%", "1.6-3.2%", "3.2-6.4%", "6.4-12.8%", "over 12.8%"];

const describeCsq = (line: string): string[] | null => {
  const body = afterPrefix(line, "+CSQ") ?? afterPrefix(line, "^RSSI");
  if (body === null) return null;
  const raw = parseDecimal(splitFields(body)[0]);
  const csq = parseCsq(line);
  if (!csq.ok || raw === null) return [];
  const { rssi, dbm, ber } = csq.value;
  const berNote = ber !== null && ber <= 7 ? `, bit error rate ${BER[ber]} (RXQUAL ${ber})` : "";
  if (rssi !== null && dbm !== null) {
    // 0 and 31 are the ends of the scale: at or beyond them.
    const level = rssi === 0 ? "-113 dBm or less" : rssi === 31 ? "-51 dBm or more" : `${dbm} dBm`;
    return [`signal ${level} (${signalQuality(dbm)})${berNote}`];
  }
  if (raw === 99) return ["signal not known or not detectable"];
  // 27.007 adds 100..191 for TD-SCDMA: -116 dBm or less up to -25 dBm or more.
  if (raw >= 100 && raw <= 191) return [`signal ${raw === 100 ? "-116 dBm or less" : raw === 191 ? "-25 dBm or more" : `${raw - 216} dBm`} (TD-SCDMA scale)`];
  return [`signal value ${raw} is outside the 27.007 scale`];
};

// ---- +CREG / +CGREG / +CEREG / +C5GREG ----

const REGISTRATION_STATES = [
  "not registered",
  "registered (home)",
  "searching",
  "registration denied",
  "unknown",
  "registered (roaming)",
  "registered for SMS only (home)",
  "registered for SMS only (roaming)",
  "emergency services only",
  "registered (home), CSFB not preferred",
  "registered (roaming), CSFB not preferred",
  "attached for access to RLOS",
];

const REGISTRATION_DOMAIN: Readonly<Record<RegistrationFamily, string>> = {
  CREG: "network",
  CGREG: "GPRS",
  CEREG: "LTE (EPS)",
  C5GREG: "5G",
};

/** 27.007 7.2 <n>: what the modem reports unasked. */
const REPORTS = ["no unsolicited reports", "reports changes", "reports changes with location", "reports changes with location and cause"];

const hexAndDecimal = (n: number, width: number): string => `${n.toString(16).toUpperCase().padStart(width, "0")} (${n})`;

const describeRegistration = (line: string, solicited: boolean | undefined): string[] | null => {
  const m = /^\+(CREG|CGREG|CEREG|C5GREG):/i.exec(line);
  if (!m) return null;
  const parsed = parseRegistration(line, { solicited: solicited ?? false });
  if (!parsed.ok) return [];
  const r = parsed.value;
  const state = r.stat === null ? "state not given" : (REGISTRATION_STATES[r.stat] ?? `state ${r.stat} (not in 27.007)`);
  // The parser gives 0 for an absent or unreadable location, which no cell uses.
  const where = r.lac !== 0 || r.ci !== 0 ? `, ${r.family === "CREG" || r.family === "CGREG" ? "LAC" : "TAC"} ${hexAndDecimal(r.lac, 4)}, cell ${hexAndDecimal(r.ci, 4)}` : "";
  const act = r.actCode !== null ? `, ${ACCESS[r.act] ?? r.act}` : "";
  const mode = r.mode !== null && REPORTS[r.mode] ? `; ${REPORTS[r.mode]}` : "";
  return [`${REGISTRATION_DOMAIN[r.family]}: ${state}${where}${act}${mode}`];
};

// ---- +COPS ----

const COPS_MODES = ["automatic network selection", "manual network selection", "deregistered from the network", "name format setting", "manual selection, automatic if it fails"];
const COPS_FORMATS = ["long name", "short name", "numeric"];
const COPS_STATUS: Readonly<Record<string, string>> = { UNKNOWN: "status unknown", AVAILABLE: "available", CURRENT: "current", FORBIDDEN: "forbidden" };

const describeCops = (line: string): string[] | null => {
  const body = afterPrefix(line, "+COPS");
  if (body === null) return null;
  if (body.startsWith("(")) {
    // AT+COPS=? lists operators, then the supported modes and formats (not operators).
    const scan = parseCopsTest(line);
    if (!scan.ok) return [];
    return scan.value.map((o) => `${o.long ?? o.short ?? o.plmn} (${o.plmn}, ${ACCESS[o.act] ?? o.act}): ${COPS_STATUS[o.status] ?? o.status}`);
  }
  const read = parseCopsRead(line);
  if (!read.ok) return [];
  const { mode, format, operator, actCode, act } = read.value;
  const modeText = mode !== null ? (COPS_MODES[mode] ?? `mode ${mode} (not in 27.007)`) : "mode not given";
  if (operator === null) return [`${modeText}, no operator${mode === 0 || mode === 1 || mode === 4 ? " (not registered)" : ""}`];
  // A numeric operator is MCC (3 digits) and MNC (2 or 3); 6 digits mean a 3-digit MNC.
  const who =
    format === 2 && /^\d{5,6}$/.test(operator)
      ? `operator ${operator} (MCC ${operator.slice(0, 3)}, MNC ${operator.slice(3)})`
      : `operator "${operator}"${format !== null && COPS_FORMATS[format] ? ` (${COPS_FORMATS[format]})` : ""}`;
  return [`${modeText}, ${who}${actCode !== null ? `, ${ACCESS[act] ?? act}` : ""}`];
};

// ---- +CPIN ----

const PIN_STATES: Readonly<Record<SimLock, string>> = {
  READY: "the SIM is ready: no PIN or PUK is needed",
  SIM_PIN: "the SIM waits for its PIN (3 wrong tries block it)",
  SIM_PUK: "the SIM is blocked: it needs its PUK and a new PIN (10 wrong PUKs destroy it)",
  SIM_PIN2: "the SIM waits for PIN2 (3 wrong tries block it)",
  SIM_PUK2: "PIN2 is blocked: the SIM needs PUK2",
  PH_SIM_PIN: "the modem is locked to another SIM: it waits for its phone-to-SIM password",
  PH_FSIM_PIN: "the modem waits for its phone-to-first-SIM password",
  PH_FSIM_PUK: "the modem waits for its phone-to-first-SIM unblocking key",
  PH_NET_PIN: "the modem is locked to a network: it waits for the network personalisation password",
  PH_NET_PUK: "the modem's network lock is blocked: it waits for the network personalisation unblocking key",
  PH_NETSUB_PIN: "the modem is locked to a network subset: it waits for that personalisation password",
  PH_NETSUB_PUK: "the modem's network subset lock is blocked: it waits for its unblocking key",
  PH_SP_PIN: "the modem is locked to a service provider: it waits for that personalisation password",
  PH_SP_PUK: "the modem's service provider lock is blocked: it waits for its unblocking key",
  PH_CORP_PIN: "the modem is locked to a corporate SIM: it waits for that personalisation password",
  PH_CORP_PUK: "the modem's corporate lock is blocked: it waits for its unblocking key",
  NOT_READY: "the SIM is not ready yet (starting, or being read)",
  NOT_INSERTED: "no SIM is inserted, or it is not making contact",
  UNKNOWN: "a SIM state 27.007 does not name",
};

const describeCpin = (line: string): string[] | null => {
  if (afterPrefix(line, "+CPIN") === null) return null;
  const pin = parseCpinRead(line);
  return pin.ok ? [PIN_STATES[pin.value.lock]] : [];
};

// ---- stored messages ----

/** 27.005 3.1 <stat> in PDU mode. */
const MESSAGE_STATES = ["received unread", "received read", "stored unsent", "stored sent"];

/** A text-mode header names its <stat> in words already ("REC UNREAD"): nothing to add. */
const isTextModeHeader = (f: readonly string[]): boolean => f.some((x) => isQuoted(x) && /^"(REC|STO)/i.test(x.trim()));

const describeStored = (line: string): string[] | null => {
  const cmgl = afterPrefix(line, "+CMGL");
  if (cmgl !== null) {
    const f = splitFields(cmgl);
    const index = parseDecimal(f[0]);
    const stat = parseDecimal(f[1]);
    if (isTextModeHeader(f) || index === null || stat === null) return [];
    return [`message ${index}: ${MESSAGE_STATES[stat] ?? `status ${stat}`}`];
  }
  const cmgr = afterPrefix(line, "+CMGR");
  if (cmgr !== null) {
    // Some modems put the PDU on the header's line, after a space.
    const [header, pdu] = cmgr.split(/\s+(?=[0-9A-Fa-f]{20,}$)/);
    const f = splitFields(header!);
    // Samsung repeats the index first (four fields); one field is the length alone.
    const stat = f.length === 1 ? null : parseDecimal(f.length >= 4 ? f[1] : f[0]);
    if (isTextModeHeader(f) || stat === null) return [];
    const decoded = pdu ? describePdu(pdu) : null;
    return [MESSAGE_STATES[stat] ?? `status ${stat}`, ...(decoded ? [decoded] : [])];
  }
  if (afterPrefix(line, "+CMTI") !== null || afterPrefix(line, "+CDSI") !== null) {
    const notice = parseCmtiUnsolicited(line);
    if (!notice.ok) return [];
    const what = /^\+CDSI/i.test(line) ? "status report" : "message";
    return [`new ${what} stored in ${notice.value.storage || "its storage"} at index ${notice.value.index}`];
  }
  return null;
};

/** Notes for the status replies and notices, or null when the line is none of them. */
const describeStatusLine = (line: string, context: AnnotateContext): string[] | null =>
  describeCsq(line) ?? describeRegistration(line, context.solicited) ?? describeCops(line) ?? describeCpin(line) ?? describeStored(line);
