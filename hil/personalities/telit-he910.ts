import { ok, OK } from "../modem/reply";
import type { Personality } from "../modem/personality";

/**
 * A Telit HE910-like module.
 * - USSD replies in UCS2 hex with DCS 17 (`+CUSD: 2,"0613...",17`): gammu
 *   tests/at-ussd/issue377-HE910-D.dump.
 * - `+CREG` as gammu tests/at-creg/telit.dump prints it.
 * - `#CCID: <digits>`, `#QSS` SIM status and `AT#REBOOT` follow Telit's AT commands reference
 *   guide for the HE910 family; no capture of them is in the vectors.
 */
export const TELIT_HE910: Personality = {
  name: "telit-he910",
  manufacturer: "Telit",
  model: "HE910-D",
  revision: "12.00.024",
  tac: "35621104",
  ati: ["Telit", "HE910-D", "12.00.024"],
  bootLines: [],
  simReadyLines: ["#QSS: 1"],
  iccid: { "#CCID": (iccid) => `#CCID: ${iccid}` },
  firstIndex: 1,
  meCapacity: 100,
  srCapacity: 20,
  cpmsTest: '+CPMS: ("SM","ME","SR"),("SM","ME"),("SM","ME")',
  cnmiTest: "+CNMI: (0-3),(0-3),(0,2,3),(0-2),(0,1)",
  charsets: ["GSM", "IRA", "UCS2", "8859-1"],
  defaults: { cscs: "IRA", cmee: 0, cnmi: [2, 1, 0, 0, 0], storage: "SM" },
  cusd: { packedHex: false, quoteHex: true, beforeOk: false },
  quotedEmptyAlpha: false,
  registration: { families: ["CREG", "CGREG"], act: null },
  extraCommands: {
    "#QSS": (m, cmd) => (cmd.form === "read" ? ok(`#QSS: 0,${m.simState === "ready" ? 1 : 0}`) : OK),
    "#REBOOT": (m) => {
      m.timers.after(0, () => m.reboot());
      return OK;
    },
  },
  sources: ["gammu tests/at-ussd/issue377-HE910-D.dump", "gammu tests/at-creg/telit.dump", "Telit AT commands reference guide, HE910 family (#CCID, #QSS, #REBOOT)"],
};
