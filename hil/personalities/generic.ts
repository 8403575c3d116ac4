import type { Personality } from "../modem/personality";

/**
 * A plain 27.007/27.005 module: what the standards say, with the layouts most captures share.
 * - `+CMGL: 0,1,,147` (empty alpha, index from 0): ModemManager
 *   src/tests/test-modem-helpers.c test_cmgl_response_generic_multiple.
 * - `+CPMS: ("SM","ME"), ("SM","ME"), ("SM","ME")`: gammu tests/at-cpms/generic.dump.
 * - `+CNMI: (0-2),(0,1,3),(0),(0,1),(0,1)`: gammu tests/at-cnmi/02.dump.
 * - `+CSCA: "+79168999100",145`: gammu tests/at-smsc/02.dump.
 */
export const GENERIC: Personality = {
  name: "generic",
  manufacturer: "SIMGATE",
  model: "VIRTUAL-3GPP",
  revision: "1.0.0",
  tac: "35999900",
  ati: ["Manufacturer: SIMGATE", "Model: VIRTUAL-3GPP", "Revision: 1.0.0", "IMEI: {imei}", "+GCAP: +CGSM"],
  bootLines: [],
  simReadyLines: [],
  iccid: { "+CCID": (iccid) => `+CCID: ${iccid}`, "+ICCID": (iccid) => `+ICCID: ${iccid}` },
  firstIndex: 0,
  meCapacity: 100,
  srCapacity: 20,
  cpmsTest: '+CPMS: ("SM","ME","SR"),("SM","ME"),("SM","ME")',
  cnmiTest: "+CNMI: (0-2),(0-3),(0),(0-2),(0,1)",
  charsets: ["GSM", "IRA", "UCS2", "8859-1"],
  defaults: { cscs: "IRA", cmee: 0, cnmi: [2, 1, 0, 0, 0], storage: "SM" },
  cusd: { packedHex: false, quoteHex: true, beforeOk: false },
  quotedEmptyAlpha: false,
  registration: { families: ["CREG", "CGREG"], act: null },
  sources: [
    "ModemManager src/tests/test-modem-helpers.c test_cmgl_response_generic_multiple",
    "gammu tests/at-cpms/generic.dump",
    "gammu tests/at-cnmi/02.dump",
    "gammu tests/at-smsc/02.dump",
  ],
};
