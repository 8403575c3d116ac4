import { describe, expect, it } from "vitest";
import { decodeSmsPdu } from "../../protocol/sms/decode";
import { encodeSubmit, type EncodedPart } from "../../protocol/sms/encode";
import { parseCmglPdu, parseCmgrPdu, parseCpmsRead } from "../../protocol/at/sms-storage";
import { Reassembler } from "../../protocol/sms/reassembly";
import { useFarm } from "../support/sim-farm";
import { eventually } from "../support/eventually";

const start = useFarm();
const setup = async (personality = "generic", extra: Record<string, unknown> = {}) => {
  const started = await start({ modems: [{ id: "a", personality }, { id: "b", personality }], ...extra });
  return { ...started, modemA: started.modem, modemB: started.farm.modem("b") };
};

const submitPdus = (to: string, text: string, statusReport = false): EncodedPart[] => {
  const parts = encodeSubmit({ to, text, statusReport, reference: 7 });
  if (!parts.ok) throw parts.error;
  return parts.value;
};

const pdusOf = (listing: string) => {
  const parsed = parseCmglPdu(listing);
  if (!parsed.ok) throw parsed.error;
  return parsed.value;
};

describe("virtual modem: receiving SMS", () => {
  it("stores each part, announces it with +CMTI, and +CMGR/+CMGL return PDUs that decode to the text", async () => {
    const { a, modemA, farm } = await setup();
    const text = `${"A long message that needs three parts. ".repeat(10)}€ end`;
    farm.network.sendSms({ to: modemA.sim!.number, from: "+15550009999", text });
    const notices = [await a.waitForLine(/\+CMTI: "SM",\d+/), await a.waitForLine(/\+CMTI: "SM",\d+/), await a.waitForLine(/\+CMTI: "SM",\d+/)];
    expect(notices).toEqual(['+CMTI: "SM",0', '+CMTI: "SM",1', '+CMTI: "SM",2']);
    const read = parseCmgrPdu((await a.info("AT+CMGR=1")).join("\r\n"), 1);
    expect(read.ok && read.value.status).toBe(0);
    const reassembler = new Reassembler();
    let whole = "";
    for (const entry of pdusOf((await a.info("AT+CMGL=4")).join("\r\n"))) {
      const pdu = decodeSmsPdu(entry.pdu, { hasSmsc: true });
      if (!pdu.ok) throw pdu.error;
      expect(pdu.value.number).toBe("+15550009999");
      expect(pdu.value.tpduLength).toBe(entry.length);
      const outcome = reassembler.add({ sender: pdu.value.number, ref: pdu.value.concat!.ref, total: pdu.value.concat!.total, seq: pdu.value.concat!.seq, text: pdu.value.text, receivedAt: 0 });
      if (outcome.kind === "complete") whole = outcome.message.text;
    }
    expect(whole).toBe(text);
    // Reading marked them read: a second unread listing is empty.
    expect(await a.info("AT+CMGL=0")).toEqual([]);
  });

  it("keeps SM, ME and SR apart with true +CPMS counts, and +CMGD frees slots", async () => {
    const { a, modemA, farm } = await setup();
    farm.network.sendSms({ to: modemA.sim!.number, from: "+15550001", text: "one" });
    farm.network.sendSms({ to: modemA.sim!.number, from: "+15550001", text: "two" });
    await a.waitForLine(/\+CMTI: "SM",1/);
    const usage = parseCpmsRead((await a.info("AT+CPMS?"))[0]!);
    expect(usage.ok && usage.value.map((u) => [u.storage, u.used, u.total])).toEqual([
      ["SM", 2, 30],
      ["SM", 2, 30],
      ["SM", 2, 30],
    ]);
    expect(await a.info('AT+CPMS="ME","ME","ME"')).toEqual(["+CPMS: 0,100,0,100,0,100"]);
    expect(await a.info("AT+CMGL=4")).toEqual([]);
    farm.network.sendSms({ to: modemA.sim!.number, from: "+15550001", text: "three" });
    await a.waitForLine(/\+CMTI: "ME",0/);
    await a.command('AT+CPMS="SM","SM","SM"');
    expect(await a.command("AT+CMGD=0")).toBe("\r\nOK\r\n");
    expect(await a.info("AT+CPMS?")).toEqual(['+CPMS: "SM",1,30,"SM",1,30,"SM",1,30']);
    expect(await a.command("AT+CMGD=99")).toBe("\r\n+CMS ERROR: 321\r\n");
    expect(await a.command("AT+CMGR=0")).toBe("\r\nOK\r\n");
    await a.command("AT+CMGD=0,4");
    expect(await a.info("AT+CPMS?")).toEqual(['+CPMS: "SM",0,30,"SM",0,30,"SM",0,30']);
  });

  it("when the SIM memory is full, +CMGW fails with 322 and the network holds incoming SMS until a slot frees", async () => {
    const { a, modemA, farm } = await setup("generic", { sims: [{ iccid: "8900101000000000011", imsi: "001010000000001", number: "+15550000001", operator: "simnet", smsCapacity: 2 }] });
    const sim = modemA.sim!;
    expect(sim.storage.capacity).toBe(2);
    for (const text of ["m1", "m2", "m3"]) farm.network.sendSms({ to: sim.number, from: "+1555000", text });
    await a.waitForLine(/\+CMTI: "SM",1/);
    await eventually(() => farm.network.pendingFor(sim) === 1, "the third message to wait at the SMSC");
    // Refused before the prompt: nothing is typed into a full memory.
    expect(await a.command("AT+CMGW=20")).toBe("\r\n+CMS ERROR: 322\r\n");
    await a.command("AT+CMGD=0");
    expect(await a.waitForLine(/\+CMTI: "SM",0/)).toBe('+CMTI: "SM",0');
    expect(farm.network.pendingFor(sim)).toBe(0);
    const texts = pdusOf((await a.info("AT+CMGL=4")).join("\r\n")).map((e) => {
      const d = decodeSmsPdu(e.pdu, { hasSmsc: true });
      return d.ok ? d.value.text : "?";
    });
    expect(texts).toEqual(["m3", "m2"]);
  });

  it("routes by +CNMI: +CMT delivers directly, nothing is stored", async () => {
    const { a, modemA, farm } = await setup();
    await a.command("AT+CNMI=2,2,0,0,0");
    farm.network.sendSms({ to: modemA.sim!.number, from: "+15550001", text: "direct" });
    const header = await a.waitForLine(/\+CMT: ,\d+/);
    const pduLine = await a.waitForLine(/[0-9A-F]+/);
    const pdu = decodeSmsPdu(pduLine, { hasSmsc: true });
    expect(pdu.ok && [pdu.value.text, pdu.value.tpduLength]).toEqual(["direct", Number(header.split(",")[1])]);
    expect(modemA.sim!.storage.used).toBe(0);
  });

  it("a polling client that ignores +CMTI still finds every message with +CMGL (mt=0 stores silently)", async () => {
    const { a, modemA, farm } = await setup();
    await a.command("AT+CNMI=0,0,0,0,0");
    for (let i = 0; i < 5; i++) farm.network.sendSms({ to: modemA.sim!.number, from: "+15550001", text: `poll ${i}` });
    await eventually(() => modemA.sim!.storage.used === 5, "five stored messages");
    expect(a.buffer).not.toContain("+CMTI");
    expect(pdusOf((await a.info("AT+CMGL=4")).join("\r\n"))).toHaveLength(5);
  });
});

describe("virtual modem: sending SMS", () => {
  it("+CMGS with the prompt: the network gets the text, the recipient SIM gets it, and the status report comes as +CDS", async () => {
    const { a, modemB, farm, session } = await setup();
    const b = session("b");
    await a.command("AT+CNMI=2,1,0,1,0");
    const [part] = submitPdus(modemB.sim!.number, "Привет, B!", true);
    const reply = await a.withPrompt(`AT+CMGS=${part!.tpduLength}`, part!.pdu);
    const mr = Number(/\+CMGS: (\d+)/.exec(reply)![1]);
    expect(farm.network.submitted.at(-1)).toMatchObject({ to: modemB.sim!.number, text: "Привет, B!", parts: 1, statusReport: true });
    await b.waitForLine(/\+CMTI: "SM",0/);
    const stored = decodeSmsPdu(modemB.sim!.storage.get(0)!.pdu, { hasSmsc: true });
    expect(stored.ok && [stored.value.text, stored.value.number]).toEqual(["Привет, B!", farm.modem("a").sim!.number]);
    await a.waitForLine(/\+CDS: \d+/);
    const report = decodeSmsPdu(await a.waitForLine(/[0-9A-F]+/), { hasSmsc: true });
    expect(report.ok && [report.value.type, report.value.mr, report.value.status]).toEqual(["SMS-STATUS-REPORT", mr, 0]);
  });

  it("message references count up and wrap at 255", async () => {
    const { a, modemA } = await setup();
    modemA.nextMr = 254;
    const [part] = submitPdus("+15551230000", "x");
    const refs: string[] = [];
    for (let i = 0; i < 3; i++) refs.push(/\+CMGS: (\d+)/.exec(await a.withPrompt(`AT+CMGS=${part!.tpduLength}`, part!.pdu))![1]!);
    expect(refs).toEqual(["254", "255", "0"]);
  });

  it("refuses a PDU whose length does not match, and ESC cancels without sending", async () => {
    const { a, farm } = await setup();
    const [part] = submitPdus("+15551230000", "length");
    expect(await a.withPrompt(`AT+CMGS=${part!.tpduLength + 1}`, part!.pdu)).toContain("+CMS ERROR: 304");
    expect(await a.withPrompt("AT+CMGS=10", "0011ZZ")).toContain("+CMS ERROR: 304");
    a.stream.write(`AT+CMGS=${part!.tpduLength}\r`);
    await a.waitUntil((buf) => buf.includes("> "));
    a.buffer = "";
    a.stream.write(`${part!.pdu}\x1b`);
    await a.waitForLine(/OK/);
    expect(farm.network.submitted).toHaveLength(0);
  });

  it("text mode: +CMGS with a number and a text; +CMGL prints text entries", async () => {
    const { a, modemA, farm } = await setup();
    await a.command("AT+CMGF=1");
    expect(await a.withPrompt('AT+CMGS="+15557654321"', "Text mode hello")).toMatch(/\+CMGS: \d+/);
    expect(farm.network.submitted.at(-1)).toMatchObject({ to: "+15557654321", text: "Text mode hello" });
    farm.network.sendSms({ to: modemA.sim!.number, from: "+15550001", text: "Incoming text" });
    await a.waitForLine(/\+CMTI: "SM",0/);
    const listing = await a.info('AT+CMGL="ALL"');
    expect(listing[0]).toMatch(/^\+CMGL: 0,"REC UNREAD","\+15550001",,"\d\d\/\d\d\/\d\d,\d\d:\d\d:\d\d\+00"$/);
    expect(listing[1]).toBe("Incoming text");
  });
});

describe("virtual modem: storage numbering follows the modem, not the card", () => {
  it("a SIM moved from a SIMCom (indices from 1) to a Huawei (from 0) shows the same message at each one's index", async () => {
    const started = await start({ modems: [{ id: "s", personality: "simcom-sim800" }, { id: "h", personality: "huawei-e173", sim: null }] }, "s");
    const s = started.a;
    const sim = started.farm.modem("s").sim!;
    started.farm.network.sendSms({ to: sim.number, from: "+15550001", text: "moves with the card" });
    expect(await s.waitForLine(/\+CMTI: .*/)).toBe('+CMTI: "SM",1');
    started.farm.modem("s").setSim(null);
    started.farm.modem("h").setSim(sim);
    await started.farm.settled();
    const h = started.session("h");
    await h.command("ATE0");
    // 34 TPDU octets: first octet, 6 of address, PID, DCS, 7 of time stamp, UDL, 17 of text.
    expect((await h.info("AT+CMGR=0"))[0]).toBe("+CMGR: 0,,34");
    expect(await h.command("AT+CMGR=1")).toBe("\r\nOK\r\n");
  });
});
