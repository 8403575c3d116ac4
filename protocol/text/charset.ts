import { gsmBytesToText } from "./gsm7";

/** TE character sets of +CSCS (27.007 clause 5.5) that simgate reads. */
export type TeCharset = "GSM" | "IRA" | "UCS2" | "8859-1";

/** Decodes "UCS2" hex (four hex digits per UTF-16 code unit); null when it is not such hex. */
export const ucs2HexToText = (hex: string): string | null => {
  if (hex.length === 0 || hex.length % 4 !== 0 || !/^[0-9a-fA-F]+$/.test(hex)) return null;
  let out = "";
  for (let i = 0; i < hex.length; i += 4) out += String.fromCharCode(Number.parseInt(hex.slice(i, i + 4), 16));
  return out;
};

export const textToUcs2Hex = (text: string): string => {
  let out = "";
  for (let i = 0; i < text.length; i++) out += text.charCodeAt(i).toString(16).toUpperCase().padStart(4, "0");
  return out;
};

/** A string parameter of an AT reply, read in the charset the modem was told to use. */
export const decodeTeString = (value: string, charset: TeCharset): string => {
  switch (charset) {
    case "GSM":
      return gsmBytesToText(value);
    case "UCS2":
      return ucs2HexToText(value) ?? value;
    default:
      return value;
  }
};
