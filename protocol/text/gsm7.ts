/**
 * The GSM 7-bit default alphabet and its extension table (3GPP TS 23.038 clause 6.2.1).
 * Position 0x1B is the escape to the extension table. 0x5F is '§' (node-pdu has '`').
 */
export const GSM7_DEFAULT =
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
  "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

const ESCAPE = 0x1b;

/** Extension table: septet after ESC -> character. */
const EXTENSION: ReadonlyMap<number, string> = new Map([
  [0x0a, "\f"],
  [0x14, "^"],
  [0x28, "{"],
  [0x29, "}"],
  [0x2f, "\\"],
  [0x3c, "["],
  [0x3d, "~"],
  [0x3e, "]"],
  [0x40, "|"],
  [0x65, "€"],
]);

// Code unit -> septet code (0..127), 0x100 | extension code, or -1 (not GSM). Every GSM
// character is a single UTF-16 unit, so one table lookup per unit answers all questions.
const EXTENDED = 0x100;
const CODE_OF = new Int16Array(0x10000).fill(-1);
for (let i = 0; i < GSM7_DEFAULT.length; i++) if (i !== ESCAPE) CODE_OF[GSM7_DEFAULT.charCodeAt(i)] = i;
for (const [code, ch] of EXTENSION) CODE_OF[ch.charCodeAt(0)] = EXTENDED | code;

/** Septets for one UTF-16 code unit: 1 (default table), 2 (ESC + extension) or 0 (not GSM). */
export const gsm7UnitWidth = (unit: number): 0 | 1 | 2 => {
  const code = CODE_OF[unit]!;
  return code < 0 ? 0 : code & EXTENDED ? 2 : 1;
};

export const isGsm7Text = (text: string): boolean => {
  for (let i = 0; i < text.length; i++) if (CODE_OF[text.charCodeAt(i)]! < 0) return false;
  return true;
};

/** Septet count of a text that is known to be GSM 7-bit (other units count 1). */
export const gsm7Length = (text: string): number => {
  let n = 0;
  for (let i = 0; i < text.length; i++) n += CODE_OF[text.charCodeAt(i)]! & EXTENDED ? 2 : 1;
  return n;
};

/** Text -> septet values; characters outside the alphabet are rejected by the caller first. */
export const textToSeptets = (text: string): number[] => {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const code = CODE_OF[text.charCodeAt(i)]!;
    if (code < 0) throw new RangeError(`not a GSM 7-bit character: ${JSON.stringify(text[i])}`);
    if (code & EXTENDED) out.push(ESCAPE, code & 0x7f);
    else out.push(code);
  }
  return out;
};

/**
 * Septet values -> text. An escape followed by a code the extension table lacks shows the
 * default-table character (23.038 6.2.1.1); a trailing lone escape is dropped.
 */
export const septetsToText = (septets: ArrayLike<number>): string => {
  let out = "";
  for (let i = 0; i < septets.length; i++) {
    const s = septets[i]! & 0x7f;
    if (s === ESCAPE) {
      const next = septets[i + 1];
      if (next === undefined) break;
      i++;
      out += EXTENSION.get(next & 0x7f) ?? GSM7_DEFAULT[next & 0x7f]!;
    } else out += GSM7_DEFAULT[s]!;
  }
  return out;
};

/**
 * Unpacks `count` septets from octets, skipping `fillBits` leading bits (the padding that
 * aligns text after a user data header, 23.040 9.2.3.24).
 */
export const unpackSeptets = (octets: ArrayLike<number>, count: number, fillBits = 0, offset = 0): number[] => {
  const out: number[] = new Array(count);
  for (let n = 0; n < count; n++) out[n] = septetAt(octets, offset, fillBits + n * 7);
  return out;
};

/** The septet starting `bit` bits after `offset` (bits run from the low end of each octet). */
const septetAt = (octets: ArrayLike<number>, offset: number, bit: number): number => {
  const byte = offset + (bit >> 3);
  const shift = bit & 7;
  const lo = (octets[byte] ?? 0) >> shift;
  const hi = shift > 1 ? (octets[byte + 1] ?? 0) << (8 - shift) : 0;
  return (lo | hi) & 0x7f;
};

/**
 * unpackSeptets followed by septetsToText, without the intermediate array: the SMS text
 * decoder's hot path.
 */
export const unpackGsm7Text = (octets: ArrayLike<number>, count: number, fillBits = 0, offset = 0): string => {
  let out = "";
  let escaped = false;
  for (let n = 0; n < count; n++) {
    const s = septetAt(octets, offset, fillBits + n * 7);
    if (escaped) {
      out += EXTENSION.get(s) ?? GSM7_DEFAULT[s]!;
      escaped = false;
    } else if (s === ESCAPE) escaped = true;
    else out += GSM7_DEFAULT[s]!;
  }
  return out;
};

/**
 * Packs septets into octets after `fillBits` zero bits. `padWithCr` fills 7 spare bits at the
 * end with CR instead of zeros, which USSD needs so the receiver does not read an '@'
 * (23.038 6.1.2.3.1).
 */
export const packSeptets = (septets: readonly number[], fillBits = 0, padWithCr = false): Uint8Array => {
  const totalBits = fillBits + septets.length * 7;
  let list = septets;
  if (padWithCr && totalBits % 8 === 1 && fillBits === 0) list = [...septets, 0x0d];
  const out = new Uint8Array(Math.ceil((fillBits + list.length * 7) / 8));
  let bit = fillBits;
  for (const s of list) {
    const byte = bit >> 3;
    const shift = bit & 7;
    out[byte]! |= (s << shift) & 0xff;
    if (shift > 1) out[byte + 1]! |= s >> (8 - shift);
    bit += 7;
  }
  return out.subarray(0, Math.ceil(totalBits / 8));
};

/** Decodes a string whose bytes are GSM default-alphabet codes (an AT reply under +CSCS="GSM"). */
export const gsmBytesToText = (text: string): string => {
  const codes: number[] = [];
  for (let i = 0; i < text.length; i++) codes.push(text.charCodeAt(i) & 0x7f);
  return septetsToText(codes);
};
