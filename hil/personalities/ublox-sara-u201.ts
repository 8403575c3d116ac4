import { GENERAL } from "../modem/commands/general";
import { OK } from "../modem/reply";
import type { Personality } from "../modem/personality";

/**
 * A u-blox SARA-U201-like module.
 * - `+CCID: <digits>` for AT+CCID, `AT+CFUN=16` as the module reset, and indices from 1
 *   follow u-blox's SARA-U2 AT commands manual; no capture of them is in the vectors.
 * - `+CPMS` and `+CNMI` ranges as gammu tests/at-cpms/generic.dump and at-cnmi/02.dump.
 */
const GENERAL_CFUN = GENERAL["+CFUN"]!;

export const UBLOX_SARA_U201: Personality = {
  name: "ublox-sara-u201",
  manufacturer: "u-blox",
  model: "SARA-U201",
  revision: "23.60",
  tac: "35700808",
  ati: ["SARA-U201-63B-00"],
  bootLines: [],
  simReadyLines: [],
  iccid: { "+CCID": (iccid) => `+CCID: ${iccid}` },
  firstIndex: 1,
  meCapacity: 100,
  srCapacity: 20,
  cpmsTest: '+CPMS: ("SM","ME","SR"),("SM","ME"),("SM","ME")',
  cnmiTest: "+CNMI: (0-2),(0,1,3),(0),(0,1),(0,1)",
  charsets: ["GSM", "IRA", "UCS2", "8859-1"],
  defaults: { cscs: "IRA", cmee: 0, cnmi: [2, 1, 0, 0, 0], storage: "SM" },
  cusd: { packedHex: false, quoteHex: true, beforeOk: false },
  quotedEmptyAlpha: false,
  registration: { families: ["CREG", "CGREG"], act: null },
  extraCommands: {
    // +CFUN=16: reset of the module and the SIM interface (u-blox's own level).
    "+CFUN": (m, cmd) => {
      if (cmd.form === "set" && cmd.args.trim() === "16") {
        m.timers.after(0, () => m.reboot());
        return OK;
      }
      return GENERAL_CFUN(m, cmd);
    },
  },
  sources: ["u-blox SARA-U2 AT commands manual (+CCID, +CFUN=16)", "gammu tests/at-cpms/generic.dump", "gammu tests/at-cnmi/02.dump"],
};
