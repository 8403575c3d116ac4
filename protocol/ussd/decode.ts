import { type Alphabet, cbsDcsAlphabet } from "../text/dcs";
import { septetsToText, unpackSeptets } from "../text/gsm7";
import { decodeTeString, type TeCharset } from "../text/charset";
import { type CusdLine, parseCusdAll, selectUssdAnswer } from "./cusd";
import type { Result } from "../result";

export interface UssdText {
  readonly text: string;
  /** How the payload was read: as it stood, or decoded from hex. */
  readonly encoding: "text" | Alphabet;
  /** ISO 639 language from a DCS 0x10/0x11 prefix, when present. */
  readonly language: string | null;
}

export interface UssdReply extends CusdLine, UssdText {}

const HEX = /^(?:[0-9A-Fa-f]{2})+$/;

/**
 * Decides what a +CUSD payload is. Modems disagree about who decodes: some hand over the
 * text, some the packed GSM 7-bit octets as hex (Huawei), some UCS2 hex because +CSCS is
 * UCS2 (Quectel), some UCS2 hex under a DCS that says GSM (ZTE MF286D). The DCS is a hint,
 * the content decides:
 * 1. not hex -> the text itself (read in the TE charset);
 * 2. UCS2 when every code unit lies in a script range and the DCS or the TE charset says
 *    UCS2, or the text is script-consistent (most units share one high byte);
 * 3. 8-bit when the DCS says so and the bytes are printable;
 * 4. only decimal digits -> the text itself (a numeric answer, not packed septets);
 * 5. packed GSM 7-bit when it decodes to clean text, else 8-bit when printable;
 * 6. otherwise packed GSM 7-bit if the DCS says GSM or is absent (Huawei), else the text.
 */
export interface UssdDecodeOptions {
  /**
   * "content" (the default): the payload's look decides, for modems known to send hex the
   * DCS and +CSCS do not announce (Huawei's packed GSM 7-bit, ZTE's UCS2 under a GSM DCS).
   * "charset": the modem presents text in its +CSCS, as 27.007 7.15 says; hex is read only
   * where the +CSCS is UCS2 or the DCS itself says UCS2 or 8-bit, so a reply "0041" under
   * +CSCS="GSM" is the text "0041".
   */
  readonly trust?: "content" | "charset";
}

export const decodeUssdPayload = (payload: string, dcs: number | null, charset: TeCharset = "IRA", options: UssdDecodeOptions = {}): UssdText => {
  const plain: UssdText = { text: decodeTeString(payload, charset === "UCS2" ? "IRA" : charset), encoding: "text", language: null };
  if (!HEX.test(payload)) return plain;
  const hinted = dcs === null ? null : cbsDcsAlphabet(dcs);
  const bytes = hexBytes(payload);
  if (options.trust === "charset") {
    if (charset === "UCS2" || hinted?.alphabet === "ucs2") {
      const ucs2 = readUcs2(bytes, hinted?.languagePrefix === true && hinted.alphabet === "ucs2");
      return ucs2 ? ucs2.value : plain;
    }
    if (hinted?.alphabet === "8bit") return { text: latin1(bytes), encoding: "8bit", language: null };
    return plain;
  }

  const ucs2 = readUcs2(bytes, hinted?.languagePrefix === true && hinted.alphabet === "ucs2");
  if (ucs2 && (hinted?.alphabet === "ucs2" || charset === "UCS2" || ucs2.consistent)) return ucs2.value;
  if (hinted?.alphabet === "8bit" && isPrintable(bytes)) return { text: latin1(bytes), encoding: "8bit", language: null };
  if (/^\d+$/.test(payload)) return plain;

  const packed = readPacked(bytes, hinted?.languagePrefix === true && hinted.alphabet === "gsm7");
  if (packed.clean) return packed.value;
  if (isPrintable(bytes)) return { text: latin1(bytes), encoding: "8bit", language: null };
  if (hinted === null || hinted.alphabet === "gsm7") return packed.value;
  return plain;
};

/**
 * Parses the `+CUSD:` codes of a block, picks the answer (see selectUssdAnswer) and decodes
 * its payload, keeping the raw payload alongside.
 */
export const decodeCusd = (input: string, charset: TeCharset = "IRA"): Result<UssdReply> => {
  const parsed = parseCusdAll(input);
  if (!parsed.ok) return parsed;
  const line = selectUssdAnswer(parsed.value)!;
  const text = line.payload === "" ? { text: "", encoding: "text" as const, language: null } : decodeUssdPayload(line.payload, line.dcs, charset);
  return { ok: true, value: { ...line, ...text } };
};

const hexBytes = (hex: string): Uint8Array => {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
};

const latin1 = (bytes: Uint8Array): string => String.fromCharCode(...bytes);

const isPrintable = (bytes: Uint8Array): boolean =>
  bytes.length > 0 && bytes.every((b) => (b >= 0x20 && b < 0x7f) || b === 0x0a || b === 0x0d);

// Code-unit ranges that real UCS2 texts are made of; random octets mostly fall outside.
const SCRIPT_RANGES: readonly [number, number][] = [
  [0x0009, 0x000d],
  [0x0020, 0x007e],
  [0x00a0, 0x06ff], // Latin-1 .. Arabic
  [0x0900, 0x0e7f], // Indic, Thai
  [0x10a0, 0x10ff],
  [0x1e00, 0x206f],
  [0x20a0, 0x20cf],
  [0x2100, 0x21ff],
  [0x3000, 0x30ff],
  [0x4e00, 0x9fff],
  [0xac00, 0xd7a3],
  [0xff00, 0xffef],
];

const inScript = (u: number): boolean => SCRIPT_RANGES.some(([lo, hi]) => u >= lo && u <= hi);

const readUcs2 = (bytes: Uint8Array, languagePrefix: boolean): { value: UssdText; consistent: boolean } | null => {
  let start = 0;
  let language: string | null = null;
  if (languagePrefix && bytes.length >= 2) {
    // DCS 0x11: two GSM 7-bit characters packed into two octets name the language.
    language = septetsToText(unpackSeptets(bytes, 2)).trim() || null;
    start = 2;
  }
  if ((bytes.length - start) % 2 !== 0 || bytes.length - start < 2) return null;
  const units: number[] = [];
  for (let i = start; i + 1 < bytes.length; i += 2) {
    const u = (bytes[i]! << 8) | bytes[i + 1]!;
    // A NUL ends the text; Telit HE910 pads the rest with garbage.
    if (u === 0) break;
    units.push(u);
  }
  if (units.length === 0 || !units.every(inScript)) return null;
  const counts = new Map<number, number>();
  for (const u of units) counts.set(u >> 8, (counts.get(u >> 8) ?? 0) + 1);
  const consistent = Math.max(...counts.values()) * 2 >= units.length;
  return { value: { text: String.fromCharCode(...units), encoding: "ucs2", language }, consistent };
};

const ORDINARY = /[A-Za-z0-9 \n\r.,:;!?'"()%*#+\-/=@£$€&äöüñàèéùìòÅåÄÖÑÜßÆæØøÇÉ]/;

const readPacked = (bytes: Uint8Array, languagePrefix: boolean): { value: UssdText; clean: boolean } => {
  const count = Math.floor((bytes.length * 8) / 7);
  let text = septetsToText(unpackSeptets(bytes, count));
  // A whole octet of spare bits decodes as a trailing '@' or, when padded properly, a CR.
  if (count % 8 === 0 && /[@\r]$/.test(text)) text = text.slice(0, -1);
  let language: string | null = null;
  if (languagePrefix) {
    language = text.slice(0, 2);
    text = text.slice(3);
  }
  let ordinary = 0;
  for (const ch of text) if (ORDINARY.test(ch)) ordinary++;
  const clean = text.length > 0 && ordinary / text.length >= 0.9;
  return { value: { text, encoding: "gsm7", language }, clean };
};
