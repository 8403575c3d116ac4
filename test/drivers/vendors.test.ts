import { describe, expect, it } from "@effect/vitest";
import { Effect } from "effect";
import { bringUp } from "../../drivers/modem/bring-up";
import { HUAWEI, pickVendor, QUECTEL, SIERRA, SIMCOM, TELIT, UBLOX, VENDORS, ZTE } from "../../drivers/vendors";
import { PERSONALITIES } from "../../hil/personalities";
import { portTo, useSimFarm } from "./sim-line";

// Vendor knowledge as data (issue 18): the matcher, each vendor's ICCID reply, its own
// unsolicited codes, and bring-up on every simulator personality.
const start = useSimFarm();

describe("the vendor matcher", () => {
  for (const [manufacturer, model, vendor] of [
    ["huawei", "E173", "huawei"],
    ["HUAWEI", "E3372", "huawei"],
    ["Quectel", "EC25", "quectel"],
    ["", "EC25", "quectel"],
    ["SIMCOM_Ltd", "SIMCOM_SIM800L", "simcom"],
    ["SIMCOM INCORPORATED", "SIMCOM_SIM7600E-H", "simcom"],
    ["ZTE INCORPORATED", "MF190", "zte"],
    ["ZTE CORPORATION", "MF626", "zte"],
    ["Sierra Wireless, Incorporated", "MC7710", "sierra"],
    ["", "EM7455", "sierra"],
    ["Telit", "HE910-D", "telit"],
    ["u-blox", "SARA-U201", "u-blox"],
    ["", "LARA-R211", "u-blox"],
    ["SIMGATE", "VIRTUAL-3GPP", "generic"],
    ["Nokia", "Nokia 5210", "generic"],
  ] as const)
    it(`${JSON.stringify(manufacturer)} ${JSON.stringify(model)} -> ${vendor}`, () => expect(pickVendor(manufacturer, model).name).toBe(vendor));

  it("every vendor but the generic one names its sources, and every profile sets the storages first", () => {
    for (const v of VENDORS) {
      expect(v.sources.length, v.name).toBeGreaterThan(0);
      expect(v.init[0], v.name).toBe("AT+CMGF=0");
    }
  });
});

describe("each vendor reads its own ICCID reply", () => {
  for (const [vendor, reply, iccid] of [
    [HUAWEI, "^ICCID: 98231420326409614067", "89324102234690160476"],
    [QUECTEL, "+QCCID: 898602F9091830030220", "898602F9091830030220"],
    [SIMCOM, "89014103211118510720", "89014103211118510720"],
    [SIMCOM, "+ICCID: 89014103211118510720", "89014103211118510720"],
    [ZTE, "+ZGETICCID: 89860009191190000108", "89860009191190000108"],
    [SIERRA, "ICCID: 8944200053671052499F", "8944200053671052499"],
    [TELIT, "#CCID: 89390100001234567890", "89390100001234567890"],
    [UBLOX, "+CCID: 8939104520000000001", "8939104520000000001"],
  ] as const)
    it(`${vendor.name}: ${reply}`, () => expect(vendor.parseIccid(reply)).toEqual({ ok: true, value: iccid }));

  it("a reply that is no ICCID is refused, not guessed", () => {
    expect(TELIT.parseIccid("#CCID: 0044200053671052499").ok).toBe(false);
    expect(ZTE.parseIccid("+ZGETICCID: ").ok).toBe(false);
  });
});

describe("vendor unsolicited codes", () => {
  for (const [vendor, line] of [
    [HUAWEI, "^RSSI: 17"],
    [HUAWEI, "^DSFLOWRPT:00000118,00000000,00000000,00000000000000A2,00000000000000B5,0003E800,0003E800"],
    [QUECTEL, "+QUSIM: 1"],
    [QUECTEL, "+QIND: SMS DONE"],
    [SIMCOM, '*PSUTTZ: 2024,3,1,12,0,0,"+8",0'],
    [ZTE, "+ZUSIMR:2"],
    [TELIT, "#QSS: 1"],
    [UBLOX, "+UUPSDD: 0"],
  ] as const)
    it(`${vendor.name} knows ${line}`, () => expect([...vendor.urcs.handled, ...vendor.urcs.ignored].some((p) => p.test(line))).toBe(true));

  it("no vendor code swallows a 27.007 reply", () => {
    for (const v of VENDORS)
      for (const line of ["+CREG: 2,1", "+CSQ: 20,99", "+CPIN: READY", "+CMGS: 4", "+CUSD: 0,\"x\",15", "OK", "+CCID: 8939104520000000001"])
        expect([...v.urcs.handled, ...v.urcs.ignored].some((p) => p.test(line)), `${v.name}: ${line}`).toBe(false);
  });
});

const EXPECTED_VENDOR: Readonly<Record<string, string>> = {
  generic: "generic",
  "huawei-e173": "huawei",
  "quectel-ec25": "quectel",
  "quectel-ec25-dsim": "quectel",
  "simcom-sim800": "simcom",
  "zte-mf190": "zte",
  "sierra-mc7710": "sierra",
  "telit-he910": "telit",
  "ublox-sara-u201": "u-blox",
};

describe("bring-up on every simulator personality", () => {
  it("every personality has an expected vendor here", () => expect(Object.keys(PERSONALITIES).sort()).toEqual(Object.keys(EXPECTED_VENDOR).sort()));

  for (const name of Object.keys(PERSONALITIES))
    it.scopedLive(`${name}: identity, vendor, the ICCID by the vendor's own command, registration`, () =>
      Effect.gen(function* () {
        const farm = yield* Effect.promise(() => start({ modems: [{ id: "a", personality: name }] }));
        const modem = farm.modem("a");
        const up = yield* bringUp(yield* portTo(modem));
        expect(up.snapshot.identity).toMatchObject({ manufacturer: modem.personality.manufacturer, model: modem.personality.model, imei: modem.imei });
        expect(up.profile.name).toBe(EXPECTED_VENDOR[name]);
        expect(up.snapshot.sim).toEqual({ lock: "READY", iccid: modem.sim!.iccid, imsi: modem.sim!.spec.imsi, number: modem.sim!.number });
        expect(up.snapshot.registration).toBe("HOME");
        expect(modem.received()).not.toContain("AT+CRSM=176,12258,0,0,10");
      }),
    );
});
