import { gsm7Length, isGsm7Text, packSeptets, textToSeptets } from "../text/gsm7";
import { textToUcs2Hex } from "../text/charset";
import { fail, ok, type Result } from "../result";

/** How a modem wants the <str> of `AT+CUSD=1,<str>,<dcs>`. */
export type UssdRequestEncoding = "text" | "packed-gsm7" | "ucs2";

export interface UssdRequest {
  readonly str: string;
  readonly dcs: number;
}

/**
 * Builds the <str> and <dcs> for a USSD request. Huawei and older Qualcomm firmwares expect
 * the septets packed and hex-encoded; most others take the text in the TE charset; under
 * +CSCS="UCS2" the text goes as UCS2 hex. The DCS stays 15 (GSM 7-bit, language unspecified).
 */
export const encodeUssdRequest = (text: string, encoding: UssdRequestEncoding): Result<UssdRequest> => {
  if (text.length === 0) return fail("USSD request", "empty", text);
  // A USSD string carries 160 octets: 182 septets, or 80 UCS2 units (24.080, 23.038).
  if (encoding === "ucs2") {
    if (text.length > 80) return fail("USSD request", "longer than 80 UCS2 characters", text);
    return ok({ str: textToUcs2Hex(text), dcs: 15 });
  }
  if (!isGsm7Text(text)) return fail("USSD request", "not representable in the GSM 7-bit alphabet", text);
  if (gsm7Length(text) > 182) return fail("USSD request", "longer than 182 GSM 7-bit septets", text);
  if (encoding === "text") {
    // The text goes inside the quotes of AT+CUSD; a quote would end the parameter early.
    if (text.includes('"')) return fail("USSD request", "a double quote cannot be sent in text form", text);
    return ok({ str: text, dcs: 15 });
  }
  return ok({ str: packedHex(text), dcs: 15 });
};

/** Packed GSM 7-bit hex with CR padding of spare bits (23.038 6.1.2.3.1). */
export const packedHex = (text: string): string => {
  const bytes = packSeptets(textToSeptets(text), 0, true);
  let hex = "";
  for (const b of bytes) hex += b.toString(16).toUpperCase().padStart(2, "0");
  return hex;
};

/** The full command line, quoting as 27.007 requires. */
export const buildCusdWrite = (request: UssdRequest): string => `AT+CUSD=1,"${request.str}",${request.dcs}`;
