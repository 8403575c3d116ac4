import { utils as nodePdu } from "node-pdu";
import { gsm7Length, gsm7UnitWidth, isGsm7Text, packSeptets, textToSeptets } from "../text/gsm7";
import { fail, ok, type Result } from "../result";
import { relativeValidityOctet } from "./fields";

export interface SubmitRequest {
  /** Destination: digits with an optional leading `+` (international). */
  readonly to: string;
  readonly text: string;
  /** Service centre; omitted means the modem's own (+CSCA). */
  readonly smsc?: string;
  readonly statusReport?: boolean;
  /** Relative validity in minutes; omitted means none (the SMSC default). */
  readonly validityMinutes?: number;
  /**
   * Concatenation reference shared by all parts (0..255). Required when the text needs more
   * than one part: it must differ between messages in flight to the same recipient, which
   * only the caller (the modem actor's counter) can know.
   */
  readonly reference?: number;
  /** Class 0 (shown, not stored). */
  readonly flash?: boolean;
}

export interface EncodedPart {
  /** The whole PDU as hex: SMSC part then TPDU. */
  readonly pdu: string;
  /** `<length>` for AT+CMGS: TPDU octets, excluding the SMSC part (27.005 3.5.1). */
  readonly tpduLength: number;
  readonly seq: number;
  readonly total: number;
  readonly text: string;
}

/** Characters per part: one part holds 160 septets or 70 UCS2 units; a concatenation header
 * (6 octets) leaves 153 or 67. */
export const LIMITS = { gsm7: { single: 160, multi: 153 }, ucs2: { single: 70, multi: 67 } } as const;
const MAX_PARTS = 255;

/**
 * Splits text into parts at the real limits, counted in septets (GSM) or UTF-16 units
 * (UCS2). An escape pair is one character here and a surrogate pair is kept together, so
 * neither is ever cut across two parts.
 */
export const splitForSms = (text: string): { alphabet: "gsm7" | "ucs2"; parts: string[] } => {
  const alphabet = isGsm7Text(text) ? "gsm7" : "ucs2";
  const limits = LIMITS[alphabet];
  const total = alphabet === "gsm7" ? gsm7Length(text) : text.length;
  if (total <= limits.single) return { alphabet, parts: [text] };
  const parts: string[] = [];
  let start = 0;
  let used = 0;
  for (let i = 0; i < text.length; ) {
    const unit = text.charCodeAt(i);
    const units = unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length ? 2 : 1;
    const width = alphabet === "gsm7" ? gsm7UnitWidth(unit) : units;
    if (used + width > limits.multi) {
      parts.push(text.slice(start, i));
      start = i;
      used = 0;
    }
    used += width;
    i += units;
  }
  parts.push(text.slice(start));
  return { alphabet, parts };
};

/**
 * Encodes SMS-SUBMIT PDUs for a text. node-pdu builds the address fields; the user data,
 * the alphabet choice, the split and the validity period are ours, because node-pdu counts
 * characters instead of septets, splits at 140/133/63, turns non-GSM Latin-1 characters
 * into spaces and corrupts validity periods beyond 30 days.
 */
export const encodeSubmit = (req: SubmitRequest): Result<EncodedPart[]> => {
  const to = req.to.trim();
  if (!/^\+?[0-9*#]{1,20}$/.test(to)) return fail("SMS-SUBMIT", `destination '${req.to}' is not a phone number`, req.to);
  if (req.smsc !== undefined && !/^\+?[0-9]{1,20}$/.test(req.smsc))
    return fail("SMS-SUBMIT", `service centre '${req.smsc}' is not a phone number`, req.smsc);
  if (req.reference !== undefined && !(Number.isInteger(req.reference) && req.reference >= 0 && req.reference <= 255))
    return fail("SMS-SUBMIT", "reference must be 0..255", String(req.reference));
  if (req.validityMinutes !== undefined && !(req.validityMinutes > 0))
    return fail("SMS-SUBMIT", "validity must be a positive number of minutes", String(req.validityMinutes));

  const { alphabet, parts } = splitForSms(req.text);
  if (parts.length > MAX_PARTS) return fail("SMS-SUBMIT", `text needs ${parts.length} parts; at most ${MAX_PARTS}`, req.text);

  const smscPart = req.smsc ? nodePduAddress(req.smsc, true) : "00";
  const destination = nodePduAddress(to, false);
  const dcs = (alphabet === "ucs2" ? 0x08 : 0x00) | (req.flash ? 0x10 : 0x00);
  const vp = req.validityMinutes === undefined ? null : relativeValidityOctet(req.validityMinutes);
  const multi = parts.length > 1;
  if (multi && req.reference === undefined)
    return fail("SMS-SUBMIT", `text needs ${parts.length} parts and no concatenation reference was given`, req.text);
  const reference = req.reference ?? 0;

  const out = parts.map((text, i) => {
    const header = multi ? Uint8Array.of(0x05, 0x00, 0x03, reference, parts.length, i + 1) : null;
    const { udl, ud } = alphabet === "gsm7" ? gsmUserData(text, header) : ucs2UserData(text, header);
    const first = 0x01 | (vp !== null ? 0x10 : 0) | (req.statusReport ? 0x20 : 0) | (header ? 0x40 : 0);
    // TP-MR 00: the modem assigns the message reference and reports it in +CMGS.
    const tpdu =
      hex(first) + "00" + destination + "00" + hex(dcs) + (vp !== null ? hex(vp) : "") + hex(udl) + toHex(ud);
    return { pdu: smscPart + tpdu, tpduLength: tpdu.length / 2, seq: i + 1, total: parts.length, text };
  });
  return ok(out);
};

/** Address field (length, type, swapped digits) via node-pdu; `+` marks international. */
const nodePduAddress = (number: string, isServiceCentre: boolean): string => {
  const sca = new nodePdu.SCA(!isServiceCentre);
  sca.setPhone(number.replace(/^\+/, ""), false, isServiceCentre);
  sca.type.setType(number.startsWith("+") ? nodePdu.SCAType.TYPE_INTERNATIONAL : nodePdu.SCAType.TYPE_UNKNOWN);
  sca.type.setPlan(nodePdu.SCAType.PLAN_ISDN);
  return sca.toString();
};

const gsmUserData = (text: string, header: Uint8Array | null) => {
  const septets = textToSeptets(text);
  if (!header) return { udl: septets.length, ud: packSeptets(septets) };
  const headerSeptets = Math.ceil((header.length * 8) / 7);
  const fill = headerSeptets * 7 - header.length * 8;
  const body = packSeptets(septets, fill);
  const ud = new Uint8Array(header.length + body.length);
  ud.set(header);
  ud.set(body, header.length);
  // packSeptets leaves the fill bits zero (23.040 9.2.3.24).
  return { udl: headerSeptets + septets.length, ud };
};

const ucs2UserData = (text: string, header: Uint8Array | null) => {
  const body = new Uint8Array(text.length * 2);
  for (let i = 0; i < text.length; i++) {
    const u = text.charCodeAt(i);
    body[i * 2] = u >> 8;
    body[i * 2 + 1] = u & 0xff;
  }
  const ud = new Uint8Array((header?.length ?? 0) + body.length);
  if (header) ud.set(header);
  ud.set(body, header?.length ?? 0);
  return { udl: ud.length, ud };
};

const hex = (n: number): string => n.toString(16).toUpperCase().padStart(2, "0");
const toHex = (bytes: Uint8Array): string => {
  let out = "";
  for (const b of bytes) out += hex(b);
  return out;
};
