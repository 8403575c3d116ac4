import { COMMON_INIT, iccidAfterPrefix, type VendorProfile } from "../profile";

/**
 * SIMCom modules (SIM800, SIM7600). SIM800 prints the ICCID of AT+CCID as bare digits, the
 * SIM7600 answers AT+CICCID with `+ICCID:`; network time and indicator lines arrive
 * unasked once registered. The USSD reply comes before the OK of the request.
 */
export const SIMCOM: VendorProfile = {
  name: "simcom",
  match: { manufacturer: /simcom/i, model: /^(SIMCOM_)?SIM\d{3,4}/i },
  init: COMMON_INIT,
  iccidCommands: ["AT+CCID", "AT+ICCID", "AT+CICCID"],
  parseIccid: iccidAfterPrefix(/\+ICCID:/),
  ussdRequest: "text",
  ussdReply: "charset",
  urcs: { handled: [], ignored: [/^\*PSUTTZ:/i, /^DST:/i, /^\+CTZV:/i, /^\+CIEV:/i, /^\+CPSI:/i, /^PB DONE$/i] },
  resetCommand: "AT+CFUN=1,1",
  defaultStorage: "SM",
  sources: ["SIMCom SIM800 series AT command manual (AT+CCID, *PSUTTZ, DST)", "SIMCom SIM7600 series AT command manual (AT+CICCID)", "FuriLabs phonesim src/default.xml (+CUSD before OK)"],
};
