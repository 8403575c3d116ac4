import { describe, expect, it } from "vitest";
import { decodeSmsPdu } from "../../protocol/sms/decode";
import { encodeSubmit } from "../../protocol/sms/encode";
import { Delays, TIMING_REALISTIC } from "../../hil/timing";
import { useFarm } from "../support/sim-farm";
import { eventually } from "../support/eventually";

const start = useFarm();

const setup = (personality = "generic") => start({ modems: [{ id: "a", personality }, { id: "b" }] });

describe("virtual modem: more of 27.005/27.007", () => {
  it("+CMGW stores a draft as STO UNSENT; +CMSS sends it (to another number too) and marks it STO SENT", async () => {
    const { a, farm } = await setup();
    const parts = encodeSubmit({ to: "+15550004444", text: "stored draft" });
    if (!parts.ok) throw parts.error;
    const written = await a.withPrompt(`AT+CMGW=${parts.value[0]!.tpduLength}`, parts.value[0]!.pdu);
    const index = Number(/\+CMGW: (\d+)/.exec(written)![1]);
    expect(await a.info("AT+CMGL=2")).toHaveLength(2);
    expect(await a.info(`AT+CMSS=${index}`)).toEqual([expect.stringMatching(/^\+CMSS: \d+$/)]);
    expect(await a.info(`AT+CMSS=${index},"+15550005555"`)).toEqual([expect.stringMatching(/^\+CMSS: \d+$/)]);
    expect(farm.network.submitted.map((m) => [m.to, m.text])).toEqual([
      ["+15550004444", "stored draft"],
      ["+15550005555", "stored draft"],
    ]);
    expect(await a.info("AT+CMGL=2")).toEqual([]);
    expect((await a.info("AT+CMGL=3"))[0]).toMatch(new RegExp(`^\\+CMGL: ${index},3,,`));
    expect(await a.command("AT+CMSS=29")).toBe("\r\n+CMS ERROR: 321\r\n");
  });

  it("with +CNMI ds=2 a status report is stored in SR and announced with +CDSI", async () => {
    const { a } = await setup();
    await a.command("AT+CNMI=2,1,0,2,0");
    const parts = encodeSubmit({ to: "+15550004444", text: "report me", statusReport: true });
    if (!parts.ok) throw parts.error;
    const mr = Number(/\+CMGS: (\d+)/.exec(await a.withPrompt(`AT+CMGS=${parts.value[0]!.tpduLength}`, parts.value[0]!.pdu))![1]);
    const notice = await a.waitForLine(/\+CDSI: "SR",\d+/);
    await a.command('AT+CPMS="SR"');
    const [header, pdu] = await a.info(`AT+CMGR=${notice.split(",")[1]}`);
    expect(header).toMatch(/^\+CMGR: 0,,\d+$/);
    const report = decodeSmsPdu(pdu!, { hasSmsc: true });
    expect(report.ok && [report.value.type, report.value.mr, report.value.number]).toEqual(["SMS-STATUS-REPORT", mr, "+15550004444"]);
  });

  it("AT+CFUN=1,1 answers OK, then the module restarts with its boot lines; CFUN=0 deregisters", async () => {
    const { a, modem, farm } = await setup("quectel-ec25");
    await a.command("AT+CREG=1");
    expect(await a.command("AT+CFUN=0")).toBe("\r\nOK\r\n");
    expect(await a.waitForLine(/\+CREG: \d/)).toBe("+CREG: 0");
    expect(await a.info("AT+CSQ")).toEqual(["+CSQ: 99,99"]);
    expect(await a.command("AT+CFUN=1,1")).toBe("\r\nOK\r\n");
    for (const line of ["RDY", "+CPIN: READY", "+QUSIM: 1", "+QIND: SMS DONE"]) await a.waitForLine(new RegExp(line.replace("+", "\\+")));
    await farm.settled();
    expect(modem.registered).toBe(true);
  });

  it("the storage-full fault holds incoming SMS at the SMSC until it is cleared", async () => {
    const { a, modem, farm } = await setup();
    modem.faults.storageFull = true;
    farm.network.sendSms({ to: modem.sim!.number, from: "+15550001", text: "held" });
    await eventually(() => farm.network.pendingFor(modem.sim!) === 1, "the SMSC to hold the message");
    expect(a.buffer).not.toContain("+CMTI");
    modem.faults.storageFull = false;
    modem.storageChanged();
    expect(await a.waitForLine(/\+CMTI: .*/)).toBe('+CMTI: "SM",0');
  });

  it("Huawei prints ^RSSI when the signal changes; +CSQ follows", async () => {
    const { a, modem } = await setup("huawei-e173");
    modem.setSignal(7);
    expect(await a.waitForLine(/\^RSSI: \d+/)).toBe("^RSSI: 7");
    expect(await a.info("AT+CSQ")).toEqual(["+CSQ: 7,99"]);
  });
});

describe("timing model", () => {
  it("is deterministic for a seed and stays within the jitter", () => {
    const draw = (seed: number) => {
      const d = new Delays(TIMING_REALISTIC, seed);
      return Array.from({ length: 50 }, () => d.of("ussdMs"));
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
    for (const ms of draw(7)) {
      expect(ms).toBeGreaterThanOrEqual(TIMING_REALISTIC.ussdMs * (1 - TIMING_REALISTIC.jitter) - 1);
      expect(ms).toBeLessThanOrEqual(TIMING_REALISTIC.ussdMs * (1 + TIMING_REALISTIC.jitter) + 1);
    }
  });
});
