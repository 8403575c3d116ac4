import { OK, ok } from "../modem/reply";
import type { Personality } from "../modem/personality";

/**
 * A ZTE MF190-like USB stick.
 * - `+ZGETICCID: <iccid>`, the `+ZPASR`/`+ZUSIMR` status lines after the SIM is read and
 *   `AT+ZOPRT` follow ZTE's MF series AT command reference; ModemManager's zte plugin treats
 *   the same codes as noise to ignore. No capture of them is in the vectors.
 * - `+CPMS: ("SM","ME"),("SM","ME"),("SM","ME")` as gammu tests/at-cpms/generic.dump.
 * - USSD answered as text in the +CSCS charset (DCS 15), as gammu tests/at-ussd/03-unknown.dump
 *   shows from a stick of unknown make.
 */
export const ZTE_MF190: Personality = {
  name: "zte-mf190",
  manufacturer: "ZTE INCORPORATED",
  model: "MF190",
  revision: "BD_MF190V1.0.0B04",
  tac: "86199101",
  ati: ["Manufacturer: ZTE INCORPORATED", "Model: MF190", "Revision: BD_MF190V1.0.0B04", "IMEI: {imei}", "+GCAP: +CGSM,+DS,+ES"],
  bootLines: [],
  simReadyLines: ['+ZPASR: "UMTS"', "+ZUSIMR:2"],
  iccid: { "+ZGETICCID": (iccid) => `+ZGETICCID: ${iccid}` },
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
    "+ZOPRT": (_m, cmd) => (cmd.form === "read" ? ok("+ZOPRT: 5") : OK),
  },
  sources: ["ZTE MF series AT command reference (+ZGETICCID, +ZPASR, +ZUSIMR, +ZOPRT)", "gammu tests/at-cpms/generic.dump", "gammu tests/at-ussd/03-unknown.dump"],
};
