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

const DEFAULT_CODE = new Map<string, number>();
for (let i = 0; i < GSM7_DEFAULT.length; i++) if (i !== ESCAPE) DEFAULT_CODE.set(GSM7_DEFAULT[i]!, i);
const EXTENSION_CODE = new Map<string, number>([...EXTENSION].map(([code, ch]) => [ch, code]));

/** Septets for one character: 1 (default table), 2 (ESC + extension) or null (not GSM). */
export const gsm7Width = (ch: string): 1 | 2 | null =>
  DEFAULT_CODE.has(ch) ? 1 : EXTENSION_CODE.has(ch) ? 2 : null;

export const isGsm7Text = (text: string): boolean => {
  for (const ch of text) if (gsm7Width(ch) === null) return false;
  return true;
};

/** Septet count of a text that is known to be GSM 7-bit. */
export const gsm7Length = (text: string): number => {
  let n = 0;
  for (const ch of text) n += gsm7Width(ch) ?? 1;
  return n;
};

/** Text -> septet values; characters outside the alphabet are rejected by the caller first. */
export const textToSeptets = (text: string): number[] => {
  const out: number[] = [];
  for (const ch of text) {
    const code = DEFAULT_CODE.get(ch);
    if (code !== undefined) out.push(code);
    else {
      const ext = EXTENSION_CODE.get(ch);
      if (ext === undefined) throw new RangeError(`not a GSM 7-bit character: ${JSON.stringify(ch)}`);
      out.push(ESCAPE, ext);
    }
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
  let bit = fillBits;
  for (let n = 0; n < count; n++, bit += 7) {
    const byte = offset + (bit >> 3);
    const shift = bit & 7;
    const lo = (octets[byte] ?? 0) >> shift;
    const hi = shift > 1 ? (octets[byte + 1] ?? 0) << (8 - shift) : 0;
    out[n] = (lo | hi) & 0x7f;
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
