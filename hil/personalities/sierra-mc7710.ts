import { OK } from "../modem/reply";
import type { Personality } from "../modem/personality";

/**
 * A Sierra Wireless MC7710-like module.
 * - `+CREG: 2,1,"0001","0000C2E3"`-style registration with an 8-digit cell id: gammu
 *   tests/at-creg/sierra312u.dump (a Sierra USB 312U) prints its cell ids this way; the
 *   simulator prints its own 4-digit ones in the same quoted layout.
 * - `AT!ICCID?` answering `ICCID: <digits>` and `AT!RESET` follow Sierra's AT command
 *   reference for the MC/EM series; no capture of them is in the vectors.
 */
export const SIERRA_MC7710: Personality = {
  name: "sierra-mc7710",
  manufacturer: "Sierra Wireless, Incorporated",
  model: "MC7710",
  revision: "SWI9200X_03.05.10.02AP R4684 CARMD-EV-FRMWR2 2012/01/04",
  tac: "01234500",
  ati: ["Manufacturer: Sierra Wireless, Incorporated", "Model: MC7710", "Revision: SWI9200X_03.05.10.02AP", "IMEI: {imei}", "+GCAP: +CGSM,+DS,+ES"],
  bootLines: [],
  simReadyLines: [],
  iccid: { "!ICCID": (iccid) => `ICCID: ${iccid}` },
  firstIndex: 0,
  meCapacity: 100,
  srCapacity: 20,
  cpmsTest: '+CPMS: ("SM","ME","SR"),("SM","ME"),("SM","ME")',
  cnmiTest: "+CNMI: (0-2),(0-3),(0,2),(0-2),(0,1)",
  charsets: ["GSM", "IRA", "UCS2"],
  defaults: { cscs: "IRA", cmee: 0, cnmi: [2, 1, 0, 0, 0], storage: "SM" },
  cusd: { packedHex: false, quoteHex: true, beforeOk: false },
  quotedEmptyAlpha: false,
  registration: { families: ["CREG", "CGREG"], act: null },
  extraCommands: {
    "!RESET": (m) => {
      m.timers.after(0, () => m.reboot());
      return OK;
    },
  },
  sources: ["gammu tests/at-creg/sierra312u.dump", "Sierra Wireless AT command set for MC/EM series (!ICCID, !RESET)"],
};
