import { splitArgs } from "../modem/command-line";
import { cme, OK, ok } from "../modem/reply";
import type { Personality } from "../modem/personality";

/**
 * A Quectel EC25-like LTE module.
 * - USSD replies in UCS2 hex after `AT+CSCS="UCS2"`: gammu tests/at-ussd/Uissue358-Quectel_M35.dump
 *   (a Quectel M35, same firmware family).
 * - `+CEREG` with a 7-digit cell id and AcT 7: ModemManager test-modem-helpers.c CEREG=2 vectors.
 * - `+CSCA` in UCS2 when +CSCS is UCS2: gammu tests/at-smsc/05.dump.
 * - Boot `RDY`, `+QIND: SMS DONE` and the `+QCCID` command follow Quectel's published AT manual;
 *   no capture of them is in the vectors.
 */
export const QUECTEL_EC25: Personality = {
  name: "quectel-ec25",
  manufacturer: "Quectel",
  model: "EC25",
  revision: "EC25EFAR06A06M4G",
  tac: "86425104",
  ati: ["Quectel", "EC25", "Revision: EC25EFAR06A06M4G"],
  bootLines: ["RDY"],
  simReadyLines: ["+QUSIM: 1", "+QIND: SMS DONE", "+QIND: PB DONE"],
  iccid: { "+QCCID": (iccid) => `+QCCID: ${iccid}`, "+CCID": (iccid) => `+CCID: ${iccid}` },
  firstIndex: 0,
  meCapacity: 255,
  srCapacity: 20,
  cpmsTest: '+CPMS: ("SM","ME","SR","MT"),("SM","ME","SR","MT"),("SM","ME","SR","MT")',
  cnmiTest: "+CNMI: (0-2),(0-3),(0,2),(0-2),(0,1)",
  charsets: ["GSM", "IRA", "UCS2"],
  defaults: { cscs: "GSM", cmee: 1, cnmi: [2, 1, 0, 0, 0], storage: "ME" },
  cusd: { packedHex: false, quoteHex: true, beforeOk: false },
  quotedEmptyAlpha: false,
  registration: { families: ["CREG", "CGREG", "CEREG"], act: 7 },
  sources: ["gammu tests/at-ussd/Uissue358-Quectel_M35.dump", "gammu tests/at-smsc/05.dump", "ModemManager CEREG=2 vectors"],
};

/**
 * An EC25 with two SIM slots (Quectel's DSSS variants): `AT+QDSIM=<0|1>` switches the active
 * slot; the old SIM leaves (+CPIN: NOT READY) and the new one is read and registers.
 */
export const QUECTEL_EC25_DSIM: Personality = {
  ...QUECTEL_EC25,
  name: "quectel-ec25-dsim",
  dualSim: true,
  extraCommands: {
    "+QDSIM": (m, cmd) => {
      if (cmd.form === "read") return ok(`+QDSIM: ${m.activeSlot}`);
      if (cmd.form === "test") return ok("+QDSIM: (0,1)");
      const [slot] = splitArgs(cmd.args);
      if (slot !== "0" && slot !== "1") return cme(50);
      m.timers.after(0, () => m.selectSlot(Number(slot)));
      return OK;
    },
  },
};
