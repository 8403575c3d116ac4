import { type Alphabet, smsDcsAlphabet } from "../text/dcs";
import { fail, ok, type Result } from "../result";

/**
 * The structure of an SMS PDU (3GPP TS 23.040 clause 9.2), walked octet by octet with every
 * length checked. node-pdu does not validate lengths (a wrong UDL or UDH comes back as an
 * empty text), so this layout is what lets the facade reject malformed PDUs and read the
 * fields node-pdu gets wrong (time stamps, validity period, address filler).
 */
export type TpduType = "SMS-DELIVER" | "SMS-SUBMIT" | "SMS-STATUS-REPORT";

export interface RawAddress {
  /** Type of address octet (TON/NPI), e.g. 0x91 international ISDN. */
  readonly toa: number;
  /** The address length field: useful semi-octets (digits), also for alphanumeric. */
  readonly length: number;
  readonly octets: Uint8Array;
}

export interface InformationElement {
  readonly iei: number;
  readonly data: Uint8Array;
}

export interface TpduLayout {
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
  readonly scts: Uint8Array | null;
  /** TP-VPF: 0 none, 1 enhanced, 2 relative, 3 absolute. */
  readonly vpf: number;
  readonly vp: Uint8Array | null;
  readonly discharge: Uint8Array | null;
  readonly status: number | null;
  readonly statusReportRequested: boolean;
  readonly udhi: boolean;
  /** TP-UDL as written: septets for GSM 7-bit, octets otherwise. */
  readonly udl: number;
  /** User data octets actually present (at most what UDL announces). */
  readonly ud: Uint8Array;
  /** Octet offset of `ud` within the PDU. */
  readonly udOffset: number;
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
  take(n: number, what: string): Uint8Array {
    if (this.at + n > this.bytes.length) throw new LayoutError(`truncated in ${what}`);
    const out = this.bytes.subarray(this.at, this.at + n);
    this.at += n;
    return out;
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
      smsc = { toa, length: (len - 1) * 2, octets: c.take(len - 1, "SMSC address") };
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
    const scts = c.take(7, "TP-SCTS");
    const discharge = c.take(7, "TP-DT");
    const status = c.byte("TP-ST");
    let pid: number | null = null;
    let dcs: number | null = null;
    let ud: Uint8Array = new Uint8Array(0);
    let udOffset = c.at;
    let udl = 0;
    let ies: InformationElement[] = [];
    let udhLength = 0;
    if (c.left > 0) {
      const pi = c.byte("TP-PI");
      if (pi & 0x01) pid = c.left > 0 ? c.byte("TP-PID") : null;
      if (pi & 0x02) dcs = c.left > 0 ? c.byte("TP-DCS") : null;
      if (pi & 0x04 && c.left > 0) {
        const user = readUserData(c, dcs ?? 0, udhi);
        ({ ud, udOffset, udl, ies, udhLength } = user);
      }
    }
    return {
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
      ud,
      udOffset,
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
  let scts: Uint8Array | null = null;
  let vp: Uint8Array | null = null;
  const vpf = isSubmit ? (first >> 3) & 0x03 : 0;
  if (isSubmit) {
    if (vpf === 2) vp = c.take(1, "TP-VP");
    else if (vpf === 1 || vpf === 3) vp = c.take(7, "TP-VP");
  } else scts = c.take(7, "TP-SCTS");
  const user = readUserData(c, dcs, udhi);
  return {
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
  return { toa, length, octets: c.take(Math.ceil(length / 2), what) };
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
  const udOffset = c.at;
  const ud = c.take(present, "TP-UD");
  let ies: InformationElement[] = [];
  let udhLength = 0;
  if (udhi && ud.length === 0) c.anomalies.push("TP-UDHI set but no user data");
  else if (udhi) {
    const udhl = ud[0]!;
    udhLength = udhl + 1;
    const udlOctets = alphabet === "gsm7" ? Math.ceil((udl * 7) / 8) : udl;
    if (udhLength > ud.length || udhLength > udlOctets) throw new LayoutError(`UDH length ${udhl} exceeds the user data`);
    ies = readInformationElements(ud.subarray(1, udhLength));
  }
  if (udTruncated && alphabet === "ucs2" && (ud.length - udhLength) % 2 !== 0)
    throw new LayoutError("truncated UCS2 user data ends inside a character");
  return { udl, ud, udOffset, ies, udhLength, udTruncated };
};

const readInformationElements = (udh: Uint8Array): InformationElement[] => {
  const ies: InformationElement[] = [];
  let i = 0;
  while (i < udh.length) {
    if (i + 2 > udh.length) throw new LayoutError("UDH ends inside an information element header");
    const iei = udh[i]!;
    const len = udh[i + 1]!;
    if (i + 2 + len > udh.length) throw new LayoutError(`UDH element 0x${hex2(iei)} overruns the header`);
    ies.push({ iei, data: udh.subarray(i + 2, i + 2 + len) });
    i += 2 + len;
  }
  return ies;
};

const hex2 = (n: number): string => n.toString(16).toUpperCase().padStart(2, "0");
