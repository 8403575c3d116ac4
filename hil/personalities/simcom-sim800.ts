import type { Personality } from "../modem/personality";

/**
 * A SIMCom SIM800-like 2G module.
 * - `+CMGR: 0,"",50` (quoted empty alpha): ModemManager test-modem-helpers.c
 *   test_cmgr_response_telit; SIMCom prints the same layout.
 * - `+CNMI: (0-3),(0-3),(0-3),(0,1),(0,1)`: gammu tests/at-cnmi/03.dump.
 * - USSD reply printed before the OK of the request: FuriLabs phonesim src/default.xml
 *   (`+CUSD: 0,"...",15` then `OK`), the order python-gsmmodem issue #14 reports from SIMCom.
 * - Boot `RDY`, `+CFUN: 1`, `Call Ready`, `SMS Ready`, indices from 1 and `AT+CCID` printing
 *   bare digits follow SIMCom's published AT manual; no capture of them is in the vectors.
 */
export const SIMCOM_SIM800: Personality = {
  name: "simcom-sim800",
  manufacturer: "SIMCOM_Ltd",
  model: "SIMCOM_SIM800L",
  revision: "Revision:1418B04SIM800L24",
  tac: "86252003",
  ati: ["SIM800 R14.18"],
  bootLines: ["RDY", "+CFUN: 1"],
  simReadyLines: ["Call Ready", "SMS Ready"],
  iccid: { "+CCID": (iccid) => iccid, "+ICCID": (iccid) => `+ICCID: ${iccid}` },
  firstIndex: 1,
  meCapacity: 50,
  srCapacity: 20,
  cpmsTest: '+CPMS: ("SM","ME","SR"),("SM","ME"),("SM","ME")',
  cnmiTest: "+CNMI: (0-3),(0-3),(0-3),(0,1),(0,1)",
  charsets: ["GSM", "UCS2", "IRA", "8859-1"],
  defaults: { cscs: "IRA", cmee: 0, cnmi: [2, 1, 0, 0, 0], storage: "SM" },
  cusd: { packedHex: false, quoteHex: true, beforeOk: true },
  quotedEmptyAlpha: true,
  registration: { families: ["CREG", "CGREG"], act: null },
  sources: [
    "ModemManager src/tests/test-modem-helpers.c test_cmgr_response_telit",
    "gammu tests/at-cnmi/03.dump",
    "FuriLabs phonesim src/default.xml (+CUSD before OK)",
  ],
};
