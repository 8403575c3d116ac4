import type { Personality } from "../modem/personality";

/**
 * A Huawei E173-like USB stick.
 * - USSD as GSM 7-bit packed hex, printed without quotes: gammu tests/at-ussd/01-E160.dump
 *   (`+CUSD: 0, 49B41C...`); the quoted form with DCS 15 is 02-E160.dump. Requests are taken
 *   packed too (the host sends `AA180C3602` for `*100#`), and plain text is also accepted.
 * - `+CSCS: "GSM"` out of the box: gammu tests/at-cscs-huawei/huawei-e1752.dump.
 * - `+CPMS: ("SM","ME"),("SM","ME"),("SM","ME")`: gammu tests/at-cpms/brovi-e3372-325.dump
 *   (a Huawei-built E3372).
 * - `+CREG: 2,1,"8BE3","00E6BAE1"`-style registration with two-part cell ids and no AcT:
 *   ModemManager test-modem-helpers.c, Huawei E160G CREG=2.
 * - Indices from 0 with an empty alpha (`+CMGL: 0,1,,147`), as the generic capture.
 * The `^RSSI` and `^CONN` lines follow Huawei's published AT command reference; no capture of
 * them is in the vectors.
 */
export const HUAWEI_E173: Personality = {
  name: "huawei-e173",
  manufacturer: "huawei",
  model: "E173",
  revision: "11.126.16.04.284",
  tac: "35614104",
  ati: ["Manufacturer: huawei", "Model: E173", "Revision: 11.126.16.04.284", "IMEI: {imei}", "+GCAP: +CGSM,+DS,+ES"],
  bootLines: ["^BOOT:12345678,0,0,0,6"],
  simReadyLines: ["^SIMST: 1", "^SRVST: 2"],
  iccid: { "^ICCID": (iccid) => `^ICCID: ${iccid}`, "+CCID": (iccid) => `+CCID: ${iccid}` },
  firstIndex: 0,
  meCapacity: 50,
  srCapacity: 20,
  cpmsTest: '+CPMS: ("SM","ME","SR"),("SM","ME"),("SM","ME")',
  cnmiTest: "+CNMI: (0,1,2),(0,1,2,3),(0,2),(0,1,2),(0,1)",
  charsets: ["IRA", "GSM", "UCS2"],
  defaults: { cscs: "GSM", cmee: 1, cnmi: [2, 1, 0, 2, 0], storage: "SM" },
  cusd: { packedHex: true, quoteHex: false, beforeOk: false },
  quotedEmptyAlpha: false,
  registration: { families: ["CREG", "CGREG"], act: null },
  callConnectedLine: "^CONN:1,0",
  rssiUrc: true,
  extraCommands: {
    "^SYSINFO": (m) => ({
      lines: [`^SYSINFO: ${m.registered ? 2 : 0},${m.registered ? 3 : 0},${m.regStat === 5 ? 1 : 0},3,${m.simState === "ready" ? 1 : 255}`],
      final: "OK",
    }),
    "^CURC": () => ({ lines: [], final: "OK" }),
    "^U2DIAG": () => ({ lines: [], final: "OK" }),
  },
  sources: [
    "gammu tests/at-ussd/01-E160.dump",
    "gammu tests/at-ussd/02-E160.dump",
    "gammu tests/at-cscs-huawei/huawei-e1752.dump",
    "gammu tests/at-cpms/brovi-e3372-325.dump",
    "ModemManager src/tests/test-modem-helpers.c (Huawei E160G CREG=2)",
  ],
};
