import { COMMON_INIT, iccidAfterPrefix, type VendorProfile } from "../profile";

/**
 * Sierra Wireless modules (MC/EM 73xx, 74xx, AirPrime). AT!ICCID? prints `ICCID: <digits>`;
 * AT!RESET restarts the module (AT+CFUN=1,1 is not honoured by every firmware).
 */
export const SIERRA: VendorProfile = {
  name: "sierra",
  match: { manufacturer: /sierra/i, model: /^(MC|EM)7\d{3}|^AirPrime/i },
  init: COMMON_INIT,
  iccidCommands: ["AT!ICCID?", "AT+CCID"],
  parseIccid: iccidAfterPrefix(/!?ICCID:/),
  ussdRequest: "text",
  ussdReply: "charset",
  urcs: { handled: [], ignored: [/^!PCINFO:/i, /^\+PACSP\d$/i] },
  resetCommand: "AT!RESET",
  defaultStorage: "SM",
  sources: ["Sierra Wireless AT command set for MC/EM series (!ICCID, !RESET)"],
};
