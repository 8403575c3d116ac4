/**
 * Data coding schemes (3GPP TS 23.038 clause 4 for SMS, clause 5 for cell broadcast/USSD).
 * Only the alphabet matters for decoding; compression is not supported by anyone in practice.
 */
export type Alphabet = "gsm7" | "8bit" | "ucs2";

/** Alphabet of an SMS TP-DCS (23.038 clause 4). Reserved codings fall back to GSM 7-bit. */
export const smsDcsAlphabet = (dcs: number): Alphabet => {
  const group = dcs >> 4;
  if (group <= 0x7) {
    // General data coding (00xx) and automatic deletion (01xx): bits 3..2 are the alphabet.
    const a = (dcs >> 2) & 3;
    return a === 1 ? "8bit" : a === 2 ? "ucs2" : "gsm7";
  }
  if (group === 0xc || group === 0xd) return "gsm7"; // message waiting, discard/store GSM
  if (group === 0xe) return "ucs2"; // message waiting, store UCS2
  if (group === 0xf) return dcs & 0x04 ? "8bit" : "gsm7";
  return "gsm7";
};

/** Alphabet of a CBS/USSD DCS (23.038 clause 5), with the language-prefixed variants. */
export const cbsDcsAlphabet = (dcs: number): { alphabet: Alphabet; languagePrefix: boolean } => {
  const group = dcs >> 4;
  if (group === 0x0 || group === 0x2 || group === 0x3) return { alphabet: "gsm7", languagePrefix: false };
  if (group === 0x1) {
    if (dcs === 0x10) return { alphabet: "gsm7", languagePrefix: true };
    if (dcs === 0x11) return { alphabet: "ucs2", languagePrefix: true };
    return { alphabet: "gsm7", languagePrefix: false };
  }
  if (group >= 0x4 && group <= 0x7) {
    const a = (dcs >> 2) & 3;
    return { alphabet: a === 1 ? "8bit" : a === 2 ? "ucs2" : "gsm7", languagePrefix: false };
  }
  if (group === 0x9) {
    const a = (dcs >> 2) & 3;
    return { alphabet: a === 1 ? "8bit" : a === 2 ? "ucs2" : "gsm7", languagePrefix: false };
  }
  if (group === 0xf) return { alphabet: dcs & 0x04 ? "8bit" : "gsm7", languagePrefix: false };
  return { alphabet: "gsm7", languagePrefix: false };
};
