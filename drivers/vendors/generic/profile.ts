import { parseIccid } from "../../../protocol/at/sim";
import { COMMON_INIT, type VendorProfile } from "../profile";

/** Any module: 27.007/27.005 as written, and every ICCID command seen in the field. */
export const GENERIC: VendorProfile = {
  name: "generic",
  match: {},
  init: COMMON_INIT,
  iccidCommands: ["AT+CCID", "AT+ICCID", "AT^ICCID?", "AT+QCCID", "AT+CICCID"],
  parseIccid,
  ussdRequest: "text",
  ussdReply: "charset",
  urcs: { handled: [], ignored: [] },
  resetCommand: "AT+CFUN=1,1",
  defaultStorage: "SM",
  sources: ["3GPP TS 27.007 (+CFUN=1,1 reset, 9.2 errors)", "3GPP TS 27.005"],
};
