import { parse as nodePduParse } from "node-pdu";
import type { Alphabet } from "../text/dcs";
import { unpackGsm7Text } from "../text/gsm7";
import { fail, ok, type Result } from "../result";
import {
  type Concatenation,
  formatAddress,
  formatTimestamp,
  type NumberType,
  numberTypeOf,
  type Ports,
  readHeaderElements,
  relativeValidityMinutes,
} from "./fields";
import { readTpdu, type TpduLayout, type TpduType } from "./tpdu-layout";

/** A decoded SMS PDU in one normalised shape for DELIVER, SUBMIT and STATUS-REPORT. */
export interface SmsPdu {
  readonly type: TpduType;
  readonly smsc: string | null;
  /** Originator (DELIVER), destination (SUBMIT) or recipient (STATUS-REPORT). */
  readonly number: string;
  readonly numberType: NumberType;
  readonly toa: number;
  readonly pid: number | null;
  readonly dcs: number | null;
  readonly alphabet: Alphabet;
  /** Service centre time stamp, ISO-8601 with the stamp's own offset. */
  readonly scts: string | null;
  readonly udl: number;
  /** The text (GSM 7-bit or UCS2), or the 8-bit data read as Latin-1. */
  readonly text: string;
  /** User data after the header, as hex (what 8-bit payloads are about). */
  readonly dataHex: string;
  readonly concat: Concatenation | null;
  readonly ports: Ports | null;
  readonly mr: number | null;
  readonly statusReportRequested: boolean;
  readonly validity:
    | { readonly kind: "none" }
    | { readonly kind: "relative"; readonly octet: number; readonly minutes: number }
    | { readonly kind: "absolute"; readonly at: string | null }
    | { readonly kind: "enhanced"; readonly hex: string };
  /** STATUS-REPORT: when the SMSC delivered or gave up (TP-DT), and TP-ST. */
  readonly discharge: string | null;
  readonly status: number | null;
  /** TPDU octets without the SMSC part: the <length> of AT+CMGS / AT+CMGW. */
  readonly tpduLength: number;
  /** UDL announced more than the PDU held; the text is what was there. */
  readonly truncated: boolean;
}

/**
 * Decodes an SMS PDU. node-pdu parses it; this facade first walks the layout (rejecting
 * malformed PDUs node-pdu would accept), then takes from node-pdu what it gets right (the
 * text, unless its GSM table or its DCS reading is at fault) and reads the rest from the
 * layout, where node-pdu is wrong: addresses ('*', '#' and 'a'-'c' digits, F fillers,
 * alphanumeric senders), time zones and validity periods.
 * See test/protocol/sms/node-pdu-defects.test.ts.
 */
export const decodeSmsPdu = (input: string, opts: { hasSmsc?: boolean } = {}): Result<SmsPdu> => {
  const hex = cleanHex(input);
  const hasSmsc = opts.hasSmsc ?? true;
  const layout = readTpdu(hex, hasSmsc);
  if (!layout.ok) return layout;
  const l = layout.value;

  let parsed: ReturnType<typeof nodePduParse>;
  try {
    parsed = nodePduParse(hasSmsc ? hex : `00${hex}`);
  } catch (e) {
    return fail("PDU", e instanceof Error ? e.message : String(e), input);
  }

  const { concat, ports } = readHeaderElements(l.octets, l.ies);
  // The body's hex is a slice of the input, not a re-encoding of the octets.
  const bodyStart = (l.udOffset + l.udhLength) * 2;
  const numberType = numberTypeOf(l.address.toa);
  return ok({
    type: l.type,
    smsc: l.smsc ? formatAddress(l.octets, l.smsc) || null : null,
    number: formatAddress(l.octets, l.address),
    numberType,
    toa: l.address.toa,
    pid: l.pid,
    dcs: l.dcs,
    alphabet: l.alphabet,
    scts: formatTimestamp(l.octets, l.scts),
    udl: l.udl,
    text: textOf(l, parsed),
    dataHex: hex.slice(bodyStart, (l.udOffset + l.udLength) * 2),
    concat,
    ports,
    mr: l.mr,
    statusReportRequested: l.statusReportRequested,
    validity: validityOf(l),
    discharge: formatTimestamp(l.octets, l.discharge),
    status: l.status,
    tpduLength: l.tpduLength,
    truncated: l.udTruncated,
  });
};

/** Trims, drops quotes a modem may leave around the PDU, upper-cases only when needed. */
const cleanHex = (input: string): string => {
  let s = input.trim();
  if (s.startsWith('"')) s = s.slice(1);
  if (s.endsWith('"')) s = s.slice(0, -1);
  return /[a-f]/.test(s) ? s.toUpperCase() : s;
};

// node-pdu's DCS.ALPHABET_DEFAULT / _8BIT / _UCS2.
const NODE_PDU_ALPHABETS: readonly Alphabet[] = ["gsm7", "8bit", "ucs2"];

const textOf = (l: TpduLayout, parsed: ReturnType<typeof nodePduParse>): string => {
  if (l.type === "SMS-STATUS-REPORT" && l.udLength === 0) return "";
  // node-pdu's text is used only when it read the same alphabet: it classifies some
  // reserved DCS values differently (gammu at-sms 14: 0xF9, GSM 7-bit by 23.038).
  const sameAlphabet = NODE_PDU_ALPHABETS[parsed.dataCodingScheme.textAlphabet] === l.alphabet;
  // An empty address (length 0, 23.040 9.1.2.5) still has its type octet; node-pdu skips
  // it and reads the user data one octet early, so its text is not used then.
  const fromNodePdu =
    "data" in parsed && sameAlphabet && !l.udTruncated && l.type !== "SMS-STATUS-REPORT" && l.address.length > 0 ? parsed.data.getText() : null;
  if (l.alphabet === "gsm7") {
    // node-pdu's septet decoding is right except for its table: 0x5F and unknown extension
    // codes both come out as '`', a character GSM 7-bit cannot carry. Only then decode again.
    if (fromNodePdu !== null && !fromNodePdu.includes("`")) return fromNodePdu;
    // Septets after the header start at the next septet boundary (23.040 9.2.3.24 fill bits).
    const headerSeptets = Math.ceil((l.udhLength * 8) / 7);
    const available = Math.floor((l.udLength * 8) / 7);
    const count = Math.max(0, Math.min(l.udl, available) - headerSeptets);
    return unpackGsm7Text(l.octets, count, headerSeptets * 7 - l.udhLength * 8, l.udOffset + l.udhLength);
  }
  return fromNodePdu ?? ownText(l);
};

// node-pdu keeps only its own idea of the data for truncated PDUs and has no user data for
// status reports; the layout's octets are the truth either way.
const ownText = (l: TpduLayout): string => {
  const body = l.octets.subarray(l.udOffset + l.udhLength, l.udOffset + l.udLength);
  if (l.alphabet === "ucs2") {
    let out = "";
    for (let i = 0; i + 1 < body.length; i += 2) out += String.fromCharCode((body[i]! << 8) | body[i + 1]!);
    return out;
  }
  return String.fromCharCode(...body);
};

const validityOf = (l: TpduLayout): SmsPdu["validity"] => {
  if (l.vp === null) return { kind: "none" };
  if (l.vpf === 2) return { kind: "relative", octet: l.octets[l.vp]!, minutes: relativeValidityMinutes(l.octets[l.vp]!) };
  if (l.vpf === 3) return { kind: "absolute", at: formatTimestamp(l.octets, l.vp) };
  return { kind: "enhanced", hex: toHex(l.octets.subarray(l.vp, l.vp + 7)) };
};

const HEX_OCTETS = Array.from({ length: 256 }, (_, b) => b.toString(16).toUpperCase().padStart(2, "0"));
const toHex = (bytes: Uint8Array): string => {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += HEX_OCTETS[bytes[i]!];
  return out;
};
