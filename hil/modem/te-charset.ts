/**
 * Strings in AT replies are written in the TE character set chosen with +CSCS (27.007 5.5);
 * host strings arrive in it too. The simulator's output is bytes, carried here as a Latin-1
 * string (one char per byte).
 */
import { gsmBytesToText, isGsm7Text, textToSeptets } from "../../protocol/text/gsm7";
import { textToUcs2Hex, ucs2HexToText } from "../../protocol/text/charset";

export const toTe = (text: string, cscs: string): string => {
  switch (cscs) {
    case "UCS2":
      return textToUcs2Hex(text);
    case "GSM": {
      // GSM default alphabet codes as bytes; what has no code becomes '?'.
      let out = "";
      for (const ch of text) out += isGsm7Text(ch) ? String.fromCharCode(...textToSeptets(ch)) : "?";
      return out;
    }
    case "8859-1":
      return text.replace(/[^\u0000-\u00ff]/g, "?");
    default:
      return text.replace(/[^\u0000-\u007f]/g, "?");
  }
};

export const fromTe = (value: string, cscs: string): string => {
  switch (cscs) {
    case "UCS2":
      return ucs2HexToText(value) ?? value;
    case "GSM":
      return gsmBytesToText(value);
    default:
      return value;
  }
};
