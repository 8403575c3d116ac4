import { COMMON_INIT, iccidAfterPrefix, type VendorProfile } from "../profile";

/**
 * Telit modules (HE910, LE910, UE910). AT#CCID prints `#CCID: <digits>`; #QSS reports the
 * SIM's presence; AT#REBOOT restarts the module.
 */
export const TELIT: VendorProfile = {
  name: "telit",
  match: { manufacturer: /telit/i, model: /^(HE|LE|UE|ME|GE)910|^LE866/i },
  init: COMMON_INIT,
  iccidCommands: ["AT#CCID", "AT+CCID"],
  parseIccid: iccidAfterPrefix(/#CCID:/),
  ussdRequest: "text",
  ussdReply: "charset",
  urcs: { handled: [], ignored: [/^#QSS:/i, /^#PSNT:/i, /^#RFSTS:/i] },
  resetCommand: "AT#REBOOT",
  defaultStorage: "SM",
  sources: ["Telit AT commands reference guide, HE910 family (#CCID, #QSS, #REBOOT)", "gammu tests/at-ussd/issue377-HE910-D.dump"],
};
