import { parseIccid } from "../../../protocol/at/sim";
import { COMMON_INIT, type VendorProfile } from "../profile";

/**
 * Huawei USB sticks (E1xx, E3xxx). USSD goes out as GSM 7-bit packed hex (gammu
 * tests/at-ussd/01-E160.dump shows the packed reply); ^CURC=0 stops the periodic status
 * lines; the ^-prefixed codes below are the status chatter Huawei's AT reference lists and
 * ModemManager's huawei plugin leaves alone.
 */
export const HUAWEI: VendorProfile = {
  name: "huawei",
  match: { manufacturer: /huawei/i },
  init: [...COMMON_INIT, "AT^CURC=0"],
  iccidCommands: ["AT^ICCID?", "AT+CCID"],
  parseIccid,
  // E1xx sticks take long to answer USSD on busy networks.
  timeouts: { ussd: 30_000 },
  ussdRequest: "packed-gsm7",
  ussdReply: "content",
  urcs: {
    // ^RSSI sets the signal; call state comes from +CLCC, so ^CONN and ^CEND are only news.
    handled: [/^\^RSSI:/i],
    ignored: [/^\^CONN:/i, /^\^CEND:/i, /^\^MODE:/i, /^\^BOOT:/i, /^\^SRVST:/i, /^\^SIMST:/i, /^\^DSFLOWRPT:/i, /^\^HCSQ:/i, /^\^RSSILVL:/i, /^\^HRSSILVL:/i, /^\^ORIG:/i, /^\^CONF:/i, /^\^STIN:/i, /^\^NWTIME:/i, /^\^EONS:/i],
  },
  resetCommand: "AT+CFUN=1,1",
  defaultStorage: "SM",
  sources: ["gammu tests/at-ussd/01-E160.dump, 02-E160.dump", "gammu tests/at-cscs-huawei/huawei-e1752.dump", "Huawei HSPA module AT command interface specification (^CURC, ^RSSI, ^MODE, ^ICCID)"],
};
