import { septetsToText, unpackSeptets } from "../text/gsm7";
import type { InformationElement, RawAddress } from "./tpdu-layout";

/** Type of number (23.040 9.1.2.5), bits 7..5 of the type-of-address octet. */
export type NumberType =
  | "unknown"
  | "international"
  | "national"
  | "network-specific"
  | "subscriber"
  | "alphanumeric"
  | "abbreviated"
  | "reserved";

const NUMBER_TYPES: readonly NumberType[] = [
  "unknown",
  "international",
  "national",
  "network-specific",
  "subscriber",
  "alphanumeric",
  "abbreviated",
  "reserved",
];

export const numberTypeOf = (toa: number): NumberType => NUMBER_TYPES[(toa >> 4) & 0x07]!;

// Semi-octet digits (23.040 9.1.2.3); 0xF is the filler of an odd-length number.
const DIGITS = "0123456789*#abc";

/** `count` BCD digits from `offset` with nibbles swapped; the F filler is dropped. */
export const swappedDigits = (octets: Uint8Array, offset: number, count: number): string => {
  let out = "";
  for (let i = 0; i < count; i++) {
    const octet = octets[offset + (i >> 1)] ?? 0xff;
    const nibble = i & 1 ? octet >> 4 : octet & 0x0f;
    if (nibble === 0x0f) continue;
    out += DIGITS[nibble];
  }
  return out;
};

/**
 * An address as people write it: `+` for international numbers, the GSM 7-bit text of an
 * alphanumeric sender. The length field counts useful semi-octets, but some encoders count
 * the F filler too (python-gsmmodem's vector): fillers never reach the number.
 */
export const formatAddress = (octets: Uint8Array, address: RawAddress): string => {
  const type = numberTypeOf(address.toa);
  if (type === "alphanumeric") {
    const septets = Math.floor((address.length * 4) / 7);
    return septetsToText(unpackSeptets(octets, septets, 0, address.offset));
  }
  const digits = swappedDigits(octets, address.offset, address.length);
  return type === "international" && digits.length > 0 ? `+${digits}` : digits;
};

/**
 * A 7-octet time stamp (23.040 9.2.3.11) as ISO-8601 with the stamp's own offset, or null
 * when the digits are not a date. The zone is in quarter hours; bit 3 of the first (low)
 * nibble is the sign. Nothing here consults the host's time zone.
 */
export const formatTimestamp = (octets: Uint8Array, offset: number | null): string | null => {
  if (offset === null || offset + 7 > octets.length) return null;
  const fields = [0, 0, 0, 0, 0, 0];
  for (let i = 0; i < 6; i++) {
    const lo = octets[offset + i]! & 0x0f;
    const hi = octets[offset + i]! >> 4;
    if (lo > 9 || hi > 9) return null;
    fields[i] = lo * 10 + hi;
  }
  const [yy, mo, dd, hh, mi, ss] = fields as [number, number, number, number, number, number];
  if (mo < 1 || mo > 12 || dd < 1 || dd > 31 || hh > 23 || mi > 59 || ss > 59) return null;
  const tz = octets[offset + 6]!;
  const minutes = ((tz & 0x07) * 10 + (tz >> 4)) * 15;
  const sign = tz & 0x08 ? "-" : "+";
  // 23.040 leaves the century open; SMS time stamps are after 2000 in every capture we have,
  // and 90-99 are read as 1990s for old phones' stored messages.
  const year = yy >= 90 ? 1900 + yy : 2000 + yy;
  return `${year}-${two(mo)}-${two(dd)}T${two(hh)}:${two(mi)}:${two(ss)}${sign}${two(Math.floor(minutes / 60))}:${two(minutes % 60)}`;
};

const two = (n: number): string => (n < 10 ? `0${n}` : String(n));

/**
 * Relative validity period octet -> minutes (23.040 9.2.3.12.1):
 * 0..143: (VP+1) x 5 min; 144..167: 12 h + (VP-143) x 30 min; 168..196: (VP-166) days;
 * 197..255: (VP-192) weeks.
 */
export const relativeValidityMinutes = (vp: number): number => {
  if (vp <= 143) return (vp + 1) * 5;
  if (vp <= 167) return 12 * 60 + (vp - 143) * 30;
  if (vp <= 196) return (vp - 166) * 24 * 60;
  return (vp - 192) * 7 * 24 * 60;
};

/** The smallest relative VP octet whose period is at least `minutes` (capped at 63 weeks). */
export const relativeValidityOctet = (minutes: number): number => {
  if (minutes <= 0) return 0;
  if (minutes <= 720) return Math.max(0, Math.ceil(minutes / 5) - 1);
  if (minutes <= 1440) return 143 + Math.ceil((minutes - 720) / 30);
  if (minutes <= 30 * 1440) return Math.max(168, 166 + Math.ceil(minutes / 1440));
  return Math.min(255, Math.max(197, 192 + Math.ceil(minutes / (7 * 1440))));
};

export interface Concatenation {
  readonly ref: number;
  readonly total: number;
  readonly seq: number;
  readonly refBits: 8 | 16;
}

export interface Ports {
  readonly src: number;
  readonly dst: number;
}

/** Concatenation (IEI 0x00 / 0x08) and application ports (0x04 / 0x05), 23.040 9.2.3.24. */
export const readHeaderElements = (
  octets: Uint8Array,
  ies: readonly InformationElement[],
): { concat: Concatenation | null; ports: Ports | null } => {
  let concat: Concatenation | null = null;
  let ports: Ports | null = null;
  for (const { iei, offset: o, length } of ies) {
    const a = octets[o]!;
    const b = octets[o + 1]!;
    if (iei === 0x00 && length === 3) concat = { ref: a, total: b, seq: octets[o + 2]!, refBits: 8 };
    else if (iei === 0x08 && length === 4) concat = { ref: (a << 8) | b, total: octets[o + 2]!, seq: octets[o + 3]!, refBits: 16 };
    else if (iei === 0x05 && length === 4) ports = { dst: (a << 8) | b, src: (octets[o + 2]! << 8) | octets[o + 3]! };
    else if (iei === 0x04 && length === 2) ports = { dst: a, src: b };
  }
  return { concat, ports };
};
