import { COMMON_INIT, iccidAfterPrefix, type VendorProfile } from "../profile";

/**
 * ZTE USB sticks (MF1xx, MF6xx). +ZGETICCID reads the ICCID; the +Z codes below report
 * service, SIM and call state on their own and carry nothing simgate needs (ModemManager's
 * zte plugin ignores the same family). USSD replies can come as UCS2 hex under a GSM DCS
 * (obsy/sms_tool issue 13, an MF286D), so their content decides how they are read.
 */
export const ZTE: VendorProfile = {
  name: "zte",
  match: { manufacturer: /\bzte\b/i, model: /^MF\d{3}/i },
  init: COMMON_INIT,
  iccidCommands: ["AT+ZGETICCID", "AT+CCID"],
  parseIccid: iccidAfterPrefix(/\+ZGETICCID:/),
  ussdRequest: "text",
  ussdReply: "content",
  urcs: { handled: [], ignored: [/^\+ZPASR:/i, /^\+ZUSIMR:/i, /^\+ZDONR:/i, /^\+ZPSTM:/i, /^\+ZEND$/i, /^\+ZEMCI:/i] },
  resetCommand: "AT+CFUN=1,1",
  defaultStorage: "SM",
  sources: ["ZTE MF series AT command reference (+ZGETICCID, +ZPASR, +ZUSIMR)", "ModemManager src/plugins/zte (unsolicited codes ignored)"],
};
