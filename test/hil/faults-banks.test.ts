import { describe, expect, it } from "vitest";
import { AtFramer } from "../../protocol/at/framer";
import { encodeSubmit } from "../../protocol/sms/encode";
import { SrController } from "../../hil/bank/sr-controller";
import { useFarm } from "../support/sim-farm";
import { eventually } from "../support/eventually";

const start = useFarm();

const setup = (personality = "generic") => start({ modems: [{ id: "a", personality }] });

describe("fault injection", () => {
  it("a hung modem answers nothing (no echo either) until the fault is cleared", async () => {
    const { a, modem } = await setup();
    modem.faults.hanging = true;
    await expect(a.command("AT", 100)).rejects.toThrow(/timed out/);
    modem.faults.clear();
    expect(await a.command("AT")).toBe("\r\nOK\r\n");
  });

  it("a late modem answers after the delay", async () => {
    const { a, modem } = await setup();
    modem.faults.lateMs = 80;
    const started = Date.now();
    expect(await a.command("AT+CSQ")).toContain("+CSQ: 20,99");
    expect(Date.now() - started).toBeGreaterThanOrEqual(70);
  });

  it("a URC lands between the information lines and OK, and the framer still separates them", async () => {
    const { a, modem } = await setup();
    modem.faults.injectUrcInResponse('+CMTI: "SM",5');
    const reply = await a.command("AT+CSQ");
    expect(reply).toBe('\r\n+CSQ: 20,99\r\n\r\n+CMTI: "SM",5\r\n\r\nOK\r\n');
    const events = new AtFramer().push(reply);
    expect(events.map((e) => ("text" in e ? e.text : e.kind))).toEqual(["+CSQ: 20,99", '+CMTI: "SM",5', "OK"]);
  });

  it("a URC arrives just before the > prompt, and the send still completes", async () => {
    const { a, modem } = await setup();
    modem.faults.injectUrcAtPrompt("RING");
    const parts = encodeSubmit({ to: "+15550001", text: "prompt race" });
    if (!parts.ok) throw parts.error;
    a.stream.write(`AT+CMGS=${parts.value[0]!.tpduLength}\r`);
    await a.waitUntil((b) => b.includes("> "));
    expect(a.buffer).toBe("\r\nRING\r\n\r\n> ");
    a.buffer = "";
    a.stream.write(`${parts.value[0]!.pdu}\x1a`);
    expect(await a.waitForLine(/\+CMGS: \d+/)).toMatch(/^\+CMGS: \d+$/);
  });

  it("the Nth send fails with +CMS ERROR: 500, the others go through", async () => {
    const { a, modem, farm } = await setup();
    modem.faults.failSend(2, 500);
    const [part] = (encodeSubmit({ to: "+15550001", text: "n" }) as { ok: true; value: { pdu: string; tpduLength: number }[] }).value;
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await a.withPrompt(`AT+CMGS=${part!.tpduLength}`, part!.pdu));
    expect(results.map((r) => /\+CMGS|\+CMS ERROR: \d+/.exec(r)![0])).toEqual(["+CMGS", "+CMS ERROR: 500", "+CMGS"]);
    expect(farm.network.submitted).toHaveLength(2);
  });

  it("garbage bytes on the line do not stop the modem answering", async () => {
    const { a, modem } = await setup();
    modem.injectGarbage();
    expect(await a.command("AT")).toMatch(/\r\nOK\r\n$/);
  });

  it("a spontaneous reboot prints the boot lines and loses settings", async () => {
    const { a, modem } = await setup("simcom-sim800");
    await a.command("AT+CREG=1");
    modem.reboot();
    for (const line of ["RDY", "+CFUN: 1", "+CPIN: READY", "Call Ready", "SMS Ready"]) await a.waitForLine(new RegExp(line.replace("+", "\\+")));
    expect(modem.settings.reg.CREG).toBe(0);
    expect(await a.command("AT")).toBe("AT\r\r\nOK\r\n");
  });

  it("a SIM pulled mid-operation: NOT READY, then SIM errors, then back after insertion", async () => {
    const { a, modem } = await setup();
    await a.command("AT+CREG=1");
    const sim = modem.sim!;
    modem.setSim(null);
    expect(await a.waitForLine(/\+CPIN: NOT READY/)).toBe("+CPIN: NOT READY");
    expect(await a.waitForLine(/\+CREG: \d/)).toBe("+CREG: 0");
    expect(await a.command("AT+CIMI")).toBe("\r\n+CME ERROR: 10\r\n");
    expect(await a.command("AT+CMGL=4")).toBe("\r\n+CMS ERROR: 310\r\n");
    modem.setSim(sim);
    expect(await a.waitForLine(/\+CPIN: READY/)).toBe("+CPIN: READY");
    expect(await a.waitForLine(/\+CREG: 1/)).toBe("+CREG: 1");
  });

  it("a registration restarted (AT+COPS=0) while a new card is being read does not leave the card unread", async () => {
    const { a, modem } = await start({ modems: [{ id: "a" }], timing: { simSwitchMs: 150 } });
    const sim = modem.sim!;
    modem.setSim(null);
    modem.setSim(sim);
    // Drivers send their init (automatic operator selection among it) as soon as the card changes.
    expect(await a.command("AT+COPS=0")).toBe("\r\nOK\r\n");
    await eventually(() => modem.simState === "ready", "the card read after the switch");
    await eventually(() => modem.registered, "registration with the new card");
  });

  it("a PIN-locked SIM asks for the PIN and registers after +CPIN", async () => {
    const started = await start({
      modems: [{ id: "a" }],
      sims: [{ iccid: "8900101000000000011", imsi: "001010000000001", number: "+15550000001", operator: "simnet", pin: "1234" }],
    });
    const a = started.a;
    await eventually(() => started.modem.simState === "pin", "the SIM to ask for its PIN");
    expect(await a.info("AT+CPIN?")).toEqual(["+CPIN: SIM PIN"]);
    expect(await a.command('AT+CPIN="0000"')).toBe("\r\n+CME ERROR: 16\r\n");
    expect(await a.command('AT+CPIN="1234"')).toBe("\r\nOK\r\n");
    await started.farm.settled();
    expect(await a.info("AT+CREG?")).toEqual(["+CREG: 0,1"]);
  });

  it("registration follows the control surface: roaming, denied, searching", async () => {
    const { a, modem } = await setup();
    await a.command("AT+CREG=1");
    for (const [stat, word] of [[5, "5"], [3, "3"], [2, "2"], [1, "1"]] as const) {
      modem.overrideRegistration(stat);
      expect(await a.waitForLine(/\+CREG: \d/)).toBe(`+CREG: ${word}`);
    }
  });
});

describe("SIM banks", () => {
  it("SR-Train: row:N switches a whole row; modems 9-16 take row N+3; each modem sees the SIM leave and arrive", async () => {
    const started = await start({ banks: [{ id: "train", model: "sr-train", rows: 8 }] }, "train-m01");
    const bank = started.farm.banks.get("train")!;
    const controller = new SrController(bank);
    const m1 = started.session("train-m01");
    await m1.command("ATE0;+CREG=1");
    expect(bank.positionOf(1)).toBe("1-1");
    expect(bank.positionOf(9)).toBe("4-1");
    expect(await controller.execute("row:2")).toEqual(["1"]);
    expect(await m1.waitForLine(/\+CPIN: NOT READY/)).toBe("+CPIN: NOT READY");
    expect(await m1.waitForLine(/\+CPIN: READY/)).toBe("+CPIN: READY");
    expect(await m1.waitForLine(/\+CREG: 1/)).toBe("+CREG: 1");
    expect(bank.modemList.map((_, i) => bank.positionOf(i + 1))).toEqual([
      ...[1, 2, 3, 4, 5, 6, 7, 8].map((p) => `2-${p}`),
      ...[1, 2, 3, 4, 5, 6, 7, 8].map((p) => `5-${p}`),
    ]);
    expect(started.farm.modem("train-m01").sim).toBe(bank.cardAt("2-1"));
    expect(await controller.execute("row:99")).toEqual(["NULL"]);
    expect(await controller.execute("modem>card:3")).toEqual(["NULL"]);
  });

  it("SR-Box-Bank over its own line: select, card, status, pass-through, && chaining", async () => {
    const started = await start({ banks: [{ id: "box", model: "sr-box-bank", rows: 4 }] }, "box-m01");
    const bank = started.farm.banks.get("box")!;
    const controller = new SrController(bank);
    let out = "";
    controller.attachHost((b) => (out += b.toString("latin1")));
    controller.input("modem>select:3&&modem>card:4&&modem>status\r\n");
    await eventually(() => out.split("\r\n").length > 3, "three replies");
    expect(out).toBe("1\r\n1\r\nON:C4\r\n");
    expect(started.farm.modem("box-m03").sim).toBe(bank.cardAt("C4"));
    await started.farm.settled();
    out = "";
    controller.input("AT+CIMI\r\n");
    await eventually(() => out.endsWith("OK\r\n"), "the modem's reply through the controller");
    expect(out).toBe(`${bank.cardAt("C4")!.spec.imsi}\r\nOK\r\n`);
    out = "";
    controller.input("modem>off&&modem>status&&AT&&modem>on&&bogus\r\n");
    await eventually(() => out.split("\r\n").length > 5, "five replies");
    expect(out).toBe("1\r\nOFF:C4\r\nNULL\r\n1\r\nNULL\r\n");
  });

  it("Quectel dual-SIM: AT+QDSIM switches slots; the other SIM registers", async () => {
    const started = await start({
      modems: [{ id: "q", personality: "quectel-ec25-dsim", sim: "8900101000000000011", sim2: "8900102000000000019" }],
      sims: [
        { iccid: "8900101000000000011", imsi: "001010000000001", number: "+15550000001", operator: "simnet" },
        { iccid: "8900102000000000019", imsi: "001020000000002", number: "+15550000002", operator: "lumen" },
      ],
    }, "q");
    const q = started.a;
    expect(await q.info("AT+QDSIM?")).toEqual(["+QDSIM: 0"]);
    expect(await q.info("AT+QCCID")).toEqual(["+QCCID: 8900101000000000011"]);
    await q.command("AT+QDSIM=1");
    await q.waitForLine(/\+CPIN: NOT READY/);
    await q.waitForLine(/\+QIND: SMS DONE/);
    await started.farm.settled();
    expect(await q.info("AT+QCCID")).toEqual(["+QCCID: 8900102000000000019"]);
    expect(await q.info("AT+COPS?")).toEqual(['+COPS: 0,0,"Lumen Mobile",7']);
    expect(await q.command("AT+QDSIM=2")).toBe("\r\n+CME ERROR: 50\r\n");
  });
});
