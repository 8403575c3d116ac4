import { parseIccid } from "../../../protocol/at/sim";
import { COMMON_INIT, type VendorProfile } from "../profile";

/**
 * Quectel modules (EC2x, UC20, M35, BG9x). New messages go to the module's own memory (ME)
 * until +CPMS says otherwise; +QCCID reads the ICCID; +QIND and +QUSIM report boot and SIM
 * progress. LTE registration comes as +CEREG.
 */
export const QUECTEL: VendorProfile = {
  name: "quectel",
  match: { manufacturer: /quectel/i, model: /^(EC2\d|EG\d\d|UC\d\d|BG9\d|M35|M66)/i },
  init: [...COMMON_INIT, "AT+CEREG=2"],
  iccidCommands: ["AT+QCCID", "AT+CCID"],
  parseIccid,
  ussdRequest: "text",
  ussdReply: "charset",
  urcs: { handled: [], ignored: [/^\+QIND:/i, /^\+QUSIM:/i, /^\+QSTK:/i, /^\+QNITZ:/i, /^POWERED DOWN$/i] },
  resetCommand: "AT+CFUN=1,1",
  defaultStorage: "ME",
  sources: ["Quectel EC25 AT commands manual (+QCCID, +QIND, +QUSIM, RDY)", "gammu tests/at-ussd/Uissue358-Quectel_M35.dump"],
};
