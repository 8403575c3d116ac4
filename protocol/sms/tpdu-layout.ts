import { type Alphabet, smsDcsAlphabet } from "../text/dcs";
import { fail, ok, type Result } from "../result";

/**
 * The structure of an SMS PDU (3GPP TS 23.040 clause 9.2), walked octet by octet with every
 * length checked. node-pdu does not validate lengths (a wrong UDL or UDH comes back as an
 * empty text), so this layout is what lets the facade reject malformed PDUs and read the
 * fields node-pdu gets wrong (time stamps, validity period, address filler).
 */
export type TpduType = "SMS-DELIVER" | "SMS-SUBMIT" | "SMS-STATUS-REPORT";

// Fields are offsets into `octets`, not views: a typed-array view per field cost more than
// the whole walk once node-pdu's parse ran beside it (measured: 0.9 us alone, 2.4 us next
// to node-pdu).

export interface RawAddress {
  /** Type of address octet (TON/NPI), e.g. 0x91 international ISDN. */
  readonly toa: number;
  /** The address length field: useful semi-octets (digits), also for alphanumeric. */
  readonly length: number;
  /** Offset of the first digit octet; ceil(length / 2) octets follow. */
  readonly offset: number;
}

export interface InformationElement {
  readonly iei: number;
  /** Offset and length of the element's data. */
  readonly offset: number;
  readonly length: number;
}

export interface TpduLayout {
  /** The whole PDU, SMSC part included; every offset below points into it. */
  readonly octets: Uint8Array;
  readonly smsc: RawAddress | null;
  /** Offset of the TPDU's first octet; octets before it are the SMSC part. */
  readonly tpduOffset: number;
  readonly tpduLength: number;
  readonly firstOctet: number;
  readonly type: TpduType;
  readonly mr: number | null;
  readonly address: RawAddress;
  readonly pid: number | null;
  readonly dcs: number | null;
  readonly alphabet: Alphabet;
  /** Offset of the 7-octet TP-SCTS. */
  readonly scts: number | null;
  /** TP-VPF: 0 none, 1 enhanced, 2 relative, 3 absolute. */
  readonly vpf: number;
  /** Offset of TP-VP: 1 octet when relative, 7 otherwise. */
  readonly vp: number | null;
  /** Offset of the 7-octet TP-DT of a status report. */
  readonly discharge: number | null;
  readonly status: number | null;
  readonly statusReportRequested: boolean;
  readonly udhi: boolean;
  /** TP-UDL as written: septets for GSM 7-bit, octets otherwise. */
  readonly udl: number;
  /** Offset of the user data, and how many of its octets are present (at most what UDL announces). */
  readonly udOffset: number;
  readonly udLength: number;
  readonly ies: readonly InformationElement[];
  /** Octets taken by the header, including its length octet; 0 without a header. */
  readonly udhLength: number;
  /** True when UDL announced more than the PDU holds and the rest was read leniently. */
  readonly udTruncated: boolean;
  /** Deviations from 23.040 that were tolerated (see readTpdu). */
  readonly anomalies: readonly string[];
}

class Cursor {
  at = 0;
  readonly anomalies: string[] = [];
  constructor(readonly bytes: Uint8Array) {}
  get left(): number {
    return this.bytes.length - this.at;
  }
  byte(what: string): number {
    if (this.at >= this.bytes.length) throw new LayoutError(`truncated before ${what}`);
    return this.bytes[this.at++]!;
  }
  /** Steps over n octets and returns where they start. */
  skip(n: number, what: string): number {
    if (this.at + n > this.bytes.length) throw new LayoutError(`truncated in ${what}`);
    const start = this.at;
    this.at += n;
    return start;
  }
}

class LayoutError extends Error {}

const NIBBLE = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) {
  NIBBLE["0123456789ABCDEF".charCodeAt(i)] = i;
  NIBBLE["0123456789abcdef".charCodeAt(i)] = i;
}

/**
 * Hex -> octets, or null for odd lengths and non-hex characters. On the decoder's hot path:
 * Node's native hex decoder (which stops at the first bad pair, hence the length check) is
 * three times faster than the table below, which serves runtimes without Buffer.
 */
export const hexToBytes = (hex: string): Uint8Array | null => {
  if (hex.length % 2 !== 0) return null;
  if (typeof Buffer !== "undefined") {
    const bytes = Buffer.from(hex, "hex");
    // A plain view: Buffer's own subarray is slower, and callers need no Buffer methods.
    return bytes.length * 2 === hex.length ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length) : null;
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) {
    const a = hex.charCodeAt(i * 2);
    const b = hex.charCodeAt(i * 2 + 1);
    const hi = a < 128 ? NIBBLE[a]! : -1;
    const lo = b < 128 ? NIBBLE[b]! : -1;
    if (hi < 0 || lo < 0) return null;
    out[i] = (hi << 4) | lo;
  }
  return out;
};

/**
 * Walks a PDU; `hasSmsc` says whether it starts with the SMSC part (as +CMGR gives it).
 *
 * Real devices bend the rules, and one deviation is read through: a type-of-address octet
 * without bit 8 (oFono's charset vector), a UDHI flag with no user data (gammu at-sms 20),
 * a UDL that overstates the data (python-gsmmodem), octets after the user data. Two or more
 * at once mean the octets are not a PDU at all (ModemManager's invalid-PDU vectors).
 */
export const readTpdu = (hex: string, hasSmsc: boolean): Result<TpduLayout> => {
  const bytes = hexToBytes(hex);
  if (!bytes) return fail("PDU", "not an even-length hex string", hex);
  if (bytes.length === 0) return fail("PDU", "empty", hex);
  try {
    const cursor = new Cursor(bytes);
    const layout = walk(cursor, hasSmsc);
    if (cursor.left > 0) cursor.anomalies.push(`${cursor.left} octets after the user data`);
    if (cursor.anomalies.length >= 2) return fail("PDU", `malformed: ${cursor.anomalies.join("; ")}`, hex);
    return ok(layout);
  } catch (e) {
    if (e instanceof LayoutError) return fail("PDU", e.message, hex);
    throw e;
  }
};

const walk = (c: Cursor, hasSmsc: boolean): TpduLayout => {
  let smsc: RawAddress | null = null;
  if (hasSmsc) {
    const len = c.byte("SMSC length");
    if (len > 11) throw new LayoutError(`SMSC length ${len} exceeds 11 octets`);
    if (len > 0) {
      const toa = c.byte("SMSC type");
      smsc = { toa, length: (len - 1) * 2, offset: c.skip(len - 1, "SMSC address") };
    }
  }
  const tpduOffset = c.at;
  const first = c.byte("first octet");
  const mti = first & 0x03;
  const udhi = (first & 0x40) !== 0;
  if (mti === 0x03) throw new LayoutError("reserved message type indicator 3");

  if (mti === 0x02) {
    // SMS-STATUS-REPORT (23.040 9.2.2.3): MR, RA, SCTS, DT, ST, then optional PI/PID/DCS/UD.
    const mr = c.byte("TP-MR");
    const address = readAddress(c, "TP-RA");
    const scts = c.skip(7, "TP-SCTS");
    const discharge = c.skip(7, "TP-DT");
    const status = c.byte("TP-ST");
    let pid: number | null = null;
    let dcs: number | null = null;
    let udOffset = c.at;
    let udLength = 0;
    let udl = 0;
    let ies: InformationElement[] = [];
    let udhLength = 0;
    if (c.left > 0) {
      const pi = c.byte("TP-PI");
      if (pi & 0x01) pid = c.left > 0 ? c.byte("TP-PID") : null;
      if (pi & 0x02) dcs = c.left > 0 ? c.byte("TP-DCS") : null;
      if (pi & 0x04 && c.left > 0) {
        const user = readUserData(c, dcs ?? 0, udhi);
        ({ udOffset, udLength, udl, ies, udhLength } = user);
      }
    }
    // Both branches spell the whole layout out: building it from spreads of shared parts
    // measured 3x slower for the whole decode (bench:protocol 3.7 instead of 1.2).
    return {
      octets: c.bytes,
      smsc,
      tpduOffset,
      tpduLength: c.bytes.length - tpduOffset,
      firstOctet: first,
      type: "SMS-STATUS-REPORT",
      mr,
      address,
      pid,
      dcs,
      alphabet: smsDcsAlphabet(dcs ?? 0),
      scts,
      vpf: 0,
      vp: null,
      discharge,
      status,
      statusReportRequested: false,
      udhi,
      udl,
      udOffset,
      udLength,
      ies,
      udhLength,
      udTruncated: false,
      anomalies: c.anomalies,
    };
  }

  const isSubmit = mti === 0x01;
  const mr = isSubmit ? c.byte("TP-MR") : null;
  const address = readAddress(c, isSubmit ? "TP-DA" : "TP-OA");
  const pid = c.byte("TP-PID");
  const dcs = c.byte("TP-DCS");
  let scts: number | null = null;
  let vp: number | null = null;
  const vpf = isSubmit ? (first >> 3) & 0x03 : 0;
  if (isSubmit) {
    if (vpf === 2) vp = c.skip(1, "TP-VP");
    else if (vpf === 1 || vpf === 3) vp = c.skip(7, "TP-VP");
  } else scts = c.skip(7, "TP-SCTS");
  const user = readUserData(c, dcs, udhi);
  return {
    octets: c.bytes,
    smsc,
    tpduOffset,
    tpduLength: c.bytes.length - tpduOffset,
    firstOctet: first,
    type: isSubmit ? "SMS-SUBMIT" : "SMS-DELIVER",
    mr,
    address,
    pid,
    dcs,
    alphabet: smsDcsAlphabet(dcs),
    scts,
    vpf,
    vp,
    discharge: null,
    status: null,
    statusReportRequested: (first & 0x20) !== 0,
    udhi,
    ...user,
    anomalies: c.anomalies,
  };
};

const readAddress = (c: Cursor, what: string): RawAddress => {
  const length = c.byte(`${what} length`);
  if (length > 20) throw new LayoutError(`${what} length ${length} exceeds 20 digits`);
  const toa = c.byte(`${what} type`);
  if ((toa & 0x80) === 0) c.anomalies.push(`${what} type octet 0x${hex2(toa)} lacks bit 8`);
  return { toa, length, offset: c.skip(Math.ceil(length / 2), what) };
};

const readUserData = (c: Cursor, dcs: number, udhi: boolean) => {
  const udl = c.byte("TP-UDL");
  const alphabet = smsDcsAlphabet(dcs);
  const announced = alphabet === "gsm7" ? Math.ceil((udl * 7) / 8) : udl;
  // Some modems store PDUs whose UDL overstates the data, even beyond the 140-octet limit
  // (python-gsmmodem's UCS2 vector says 160); the text that is there is still read, and the
  // layout says it was truncated.
  const present = Math.min(announced, c.left);
  const udTruncated = present < announced;
  if (udTruncated && present === 0) throw new LayoutError(`TP-UDL ${udl} but no user data`);
  if (udTruncated) c.anomalies.push(`TP-UDL ${udl} overstates the user data`);
  // 140 octets is all an SM can carry (23.040 9.2.3.16); more is an encoder bug, such as
  // node-pdu's parts of 133 extension characters (266 septets).
  if (present > 140) throw new LayoutError(`user data of ${present} octets exceeds 140`);
  const udOffset = c.skip(present, "TP-UD");
  const udLength = present;
  let ies: InformationElement[] = [];
  let udhLength = 0;
  if (udhi && udLength === 0) c.anomalies.push("TP-UDHI set but no user data");
  else if (udhi) {
    const udhl = c.bytes[udOffset]!;
    udhLength = udhl + 1;
    const udlOctets = alphabet === "gsm7" ? Math.ceil((udl * 7) / 8) : udl;
    if (udhLength > udLength || udhLength > udlOctets) throw new LayoutError(`UDH length ${udhl} exceeds the user data`);
    ies = readInformationElements(c.bytes, udOffset + 1, udOffset + udhLength);
  }
  if (udTruncated && alphabet === "ucs2" && (udLength - udhLength) % 2 !== 0)
    throw new LayoutError("truncated UCS2 user data ends inside a character");
  return { udl, udOffset, udLength, ies, udhLength, udTruncated };
};

/** The elements between `from` and `end` (exclusive), each checked to fit the header. */
const readInformationElements = (octets: Uint8Array, from: number, end: number): InformationElement[] => {
  const ies: InformationElement[] = [];
  let i = from;
  while (i < end) {
    if (i + 2 > end) throw new LayoutError("UDH ends inside an information element header");
    const iei = octets[i]!;
    const length = octets[i + 1]!;
    if (i + 2 + length > end) throw new LayoutError(`UDH element 0x${hex2(iei)} overruns the header`);
    ies.push({ iei, offset: i + 2, length });
    i += 2 + length;
  }
  return ies;
};

const hex2 = (n: number): string => n.toString(16).toUpperCase().padStart(2, "0");
