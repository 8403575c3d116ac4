/**
 * Builds the PDUs the network delivers to a modem: SMS-DELIVER (3GPP 23.040 9.2.2.1) and
 * SMS-STATUS-REPORT (9.2.2.3), each preceded by the SMSC address as +CMGR and +CMT print it.
 * The structure is assembled here from the simulator's own state; only the GSM 7-bit packing
 * and UCS2 conversion come from protocol/, whose tests pin them to published vectors.
 */
import { isGsm7Text, packSeptets, textToSeptets } from "../../protocol/text/gsm7";
import { textToUcs2Hex } from "../../protocol/text/charset";

const hex2 = (n: number): string => (n & 0xff).toString(16).toUpperCase().padStart(2, "0");

/** Semi-octets, low digit first, F-filled (23.040 9.1.2.3). */
const semiOctets = (digits: string): string => {
  const padded = digits.length % 2 ? `${digits}F` : digits;
  let out = "";
  for (let i = 0; i < padded.length; i += 2) out += padded[i + 1]! + padded[i]!;
  return out;
};

const isNumeric = (address: string): boolean => /^\+?[0-9*#]+$/.test(address);

/** TP-OA / TP-RA: length in useful semi-octets, type of address, value. */
export const encodeAddress = (address: string): string => {
  if (isNumeric(address)) {
    const international = address.startsWith("+");
    const digits = (international ? address.slice(1) : address).replace(/\*/g, "A").replace(/#/g, "B");
    return hex2(digits.length) + (international ? "91" : "81") + semiOctets(digits);
  }
  // Alphanumeric sender (23.040 9.1.2.5): GSM 7-bit packed, length counts semi-octets used.
  const name = [...address.slice(0, 11)].map((ch) => (isGsm7Text(ch) ? ch : "?")).join("");
  const septets = textToSeptets(name);
  const packed = packSeptets(septets);
  return hex2(Math.ceil((septets.length * 7) / 4)) + "D0" + Buffer.from(packed).toString("hex").toUpperCase();
};

/** The SMSC part that precedes the TPDU: length in octets including the type octet. */
export const encodeSmsc = (number: string): string => {
  const digits = number.replace(/^\+/, "");
  const body = (number.startsWith("+") ? "91" : "81") + semiOctets(digits);
  return hex2(body.length / 2) + body;
};

/** TP-SCTS: local time of the SMSC with its offset in quarter hours (23.040 9.2.3.11). */
export const encodeTimestamp = (at: Date, offsetMinutes: number): string => {
  const local = new Date(at.getTime() + offsetMinutes * 60_000);
  const two = (n: number) => semiOctets(String(n).padStart(2, "0"));
  const quarters = Math.round(Math.abs(offsetMinutes) / 15);
  const tz = semiOctets(String(quarters).padStart(2, "0"));
  const tzOctet = offsetMinutes < 0 ? hex2(parseInt(tz, 16) | 0x08) : tz;
  return (
    two(local.getUTCFullYear() % 100) +
    two(local.getUTCMonth() + 1) +
    two(local.getUTCDate()) +
    two(local.getUTCHours()) +
    two(local.getUTCMinutes()) +
    two(local.getUTCSeconds()) +
    tzOctet
  );
};

export interface DeliverSpec {
  readonly smsc: string;
  readonly from: string;
  readonly text: string;
  readonly alphabet: "gsm7" | "ucs2";
  readonly at: Date;
  readonly offsetMinutes: number;
  /** Present on parts of a concatenated message (8-bit reference). */
  readonly concat?: { readonly ref: number; readonly seq: number; readonly total: number };
  /** Class 0: shown, not stored. */
  readonly flash?: boolean;
}

export interface BuiltPdu {
  readonly pdu: string;
  readonly tpduLength: number;
}

const withSmsc = (smsc: string, tpdu: string): BuiltPdu => ({
  pdu: encodeSmsc(smsc) + tpdu,
  tpduLength: tpdu.length / 2,
});

export const buildDeliver = (spec: DeliverSpec): BuiltPdu => {
  const udh = spec.concat ? `050003${hex2(spec.concat.ref)}${hex2(spec.concat.total)}${hex2(spec.concat.seq)}` : "";
  // TP-MTI 00, TP-MMS set (no more messages waiting), TP-UDHI when a header is present.
  const firstOctet = 0x04 | (udh ? 0x40 : 0);
  const dcs = (spec.alphabet === "ucs2" ? 0x08 : 0x00) | (spec.flash ? 0x10 : 0);
  let udl: number;
  let ud: string;
  if (spec.alphabet === "ucs2") {
    ud = udh + textToUcs2Hex(spec.text);
    udl = ud.length / 2;
  } else {
    const septets = textToSeptets(spec.text);
    // The header is padded to a septet boundary; UDL counts septets, header included.
    const headerOctets = udh.length / 2;
    const fill = headerOctets ? (7 - ((headerOctets * 8) % 7)) % 7 : 0;
    const headerSeptets = headerOctets ? Math.ceil((headerOctets * 8) / 7) : 0;
    ud = udh + Buffer.from(packSeptets(septets, fill)).toString("hex").toUpperCase();
    udl = headerSeptets + septets.length;
  }
  const tpdu =
    hex2(firstOctet) + encodeAddress(spec.from) + "00" + hex2(dcs) + encodeTimestamp(spec.at, spec.offsetMinutes) + hex2(udl) + ud;
  return withSmsc(spec.smsc, tpdu);
};

export interface StatusReportSpec {
  readonly smsc: string;
  /** TP-MR of the submitted message this reports on. */
  readonly mr: number;
  readonly recipient: string;
  readonly submittedAt: Date;
  readonly dischargedAt: Date;
  readonly offsetMinutes: number;
  /** TP-ST: 0x00 delivered, 0x20..0x25 still trying, 0x40.. permanent failure. */
  readonly status: number;
}

export const buildStatusReport = (spec: StatusReportSpec): BuiltPdu => {
  // TP-MTI 10, TP-MMS set.
  const tpdu =
    "06" +
    hex2(spec.mr) +
    encodeAddress(spec.recipient) +
    encodeTimestamp(spec.submittedAt, spec.offsetMinutes) +
    encodeTimestamp(spec.dischargedAt, spec.offsetMinutes) +
    hex2(spec.status);
  return withSmsc(spec.smsc, tpdu);
};
