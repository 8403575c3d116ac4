import { COMMON_INIT, iccidAfterPrefix, type VendorProfile } from "../profile";

/**
 * u-blox cellular modules (SARA, LARA, TOBY). AT+CCID prints `+CCID: <digits>`; AT+CFUN=16
 * resets the module together with the SIM interface; the +UU codes below are data-socket
 * and PDP notices, never part of an SMS or USSD exchange.
 */
export const UBLOX: VendorProfile = {
  name: "u-blox",
  match: { manufacturer: /u-?blox/i, model: /^(SARA|LARA|TOBY|LISA)-/i },
  init: COMMON_INIT,
  iccidCommands: ["AT+CCID"],
  parseIccid: iccidAfterPrefix(/\+CCID:/),
  ussdRequest: "text",
  ussdReply: "charset",
  urcs: { handled: [], ignored: [/^\+UUPSDA:/i, /^\+UUPSDD:/i, /^\+UUSORD:/i, /^\+UUSORF:/i, /^\+UUSOCL:/i, /^\+UUSIMSTAT:/i] },
  resetCommand: "AT+CFUN=16",
  defaultStorage: "SM",
  sources: ["u-blox SARA-U2/LARA-R2 AT commands manual (+CCID, +CFUN=16, +UUSORD, +UUPSDD)"],
};
