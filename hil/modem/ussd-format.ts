/**
 * How a modem prints a USSD message from the network (+CUSD, 27.007 7.15), and reads the
 * host's request string. Text that fits the GSM alphabet goes out with DCS 15; anything else
 * as UCS2 hex with DCS 72, which is what modules print whatever +CSCS says.
 */
import { isGsm7Text, textToSeptets, unpackGsm7Text } from "../../protocol/text/gsm7";
import { packSeptets } from "../../protocol/text/gsm7";
import { textToUcs2Hex, ucs2HexToText } from "../../protocol/text/charset";
import type { ModelTraits } from "./model-traits";
import { fromTe, toTe } from "./te-charset";

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex").toUpperCase();

export const formatCusd = (status: number, text: string, cscs: string, personality: ModelTraits): string => {
  if (text === "" && status !== 0) return `+CUSD: ${status}`;
  if (!isGsm7Text(text)) return `+CUSD: ${status},"${textToUcs2Hex(text)}",72`;
  if (personality.cusd.packedHex) {
    // Huawei: packed GSM 7-bit as hex, CR-padded (23.038 6.1.2.3.1).
    const packed = hex(packSeptets(textToSeptets(text), 0, true));
    return personality.cusd.quoteHex ? `+CUSD: ${status},"${packed}",15` : `+CUSD: ${status},${packed},15`;
  }
  return `+CUSD: ${status},"${toTe(text, cscs)}",15`;
};

/**
 * The host's USSD string as text: in the +CSCS charset, as UCS2 hex with DCS 72, or (on
 * Huawei sticks) as packed GSM 7-bit hex.
 */
export const readUssdRequest = (str: string, dcs: number | null, cscs: string, personality: ModelTraits): string => {
  const isHex = /^[0-9A-Fa-f]+$/.test(str) && str.length % 2 === 0;
  if (dcs === 72 && isHex && str.length % 4 === 0) return ucs2HexToText(str) ?? str;
  if (personality.cusd.packedHex && isHex) {
    const octets = Buffer.from(str, "hex");
    const count = Math.floor((octets.length * 8) / 7);
    const text = unpackGsm7Text(octets, count).replace(/\r$/, "");
    // A packed request reads as a service code; hex that does not is taken as text.
    if (/^[0-9*#]+$/.test(text.replace(/@$/, ""))) return text.replace(/@$/, "");
  }
  return fromTe(str, cscs);
};
