import { describe, expect, it } from "vitest";
import { decodeCusd } from "../../protocol/ussd/decode";
import { parseClcc } from "../../protocol/at/calls";
import { useFarm } from "../support/sim-farm";

const start = useFarm();
const setup = async (personality = "generic") => {
  const started = await start({ modems: [{ id: "a", personality }, { id: "b", personality: "generic" }] });
  return { ...started, modemA: started.modem, modemB: started.farm.modem("b") };
};

describe("virtual modem: USSD", () => {
  it("answers after OK with the balance, in the +CSCS charset", async () => {
    const { a, modemA } = await setup();
    expect(await a.command('AT+CUSD=1,"*100#",15')).toBe("\r\nOK\r\n");
    const line = await a.waitForLine(/\+CUSD: [\s\S]*?/);
    const reply = decodeCusd(line);
    expect(reply.ok && [reply.value.status, reply.value.text]).toEqual([0, `Balance: ${modemA.sim!.balance.toFixed(2)} USD`]);
    await a.command('AT+CSCS="UCS2"');
    await a.command('AT+CUSD=1,"002A003100310031002A00300038003800370023",15');
    const ucs = decodeCusd(await a.waitForLine(/\+CUSD: [\s\S]*?/), "UCS2");
    expect(ucs.ok && ucs.value.text).toBe(`Your number is ${modemA.sim!.number}`);
  });

  it("keeps a menu session open (+CUSD: 1), takes answers, and ends at a leaf", async () => {
    const { a } = await setup();
    await a.command('AT+CUSD=1,"*123#",15');
    expect(await a.waitForLine(/\+CUSD: [\s\S]*?/)).toBe('+CUSD: 1,"Main menu\n1. Balance\n2. Tariffs\n0. Exit",15');
    await a.command('AT+CUSD=1,"2",15');
    expect(await a.waitForLine(/\+CUSD: [\s\S]*?/)).toMatch(/^\+CUSD: 1,"Tariffs/);
    await a.command('AT+CUSD=1,"1",15');
    expect(await a.waitForLine(/\+CUSD: [\s\S]*?/)).toBe('+CUSD: 0,"Basic: 1.00 per SMS",15');
  });

  it("releases an error service (+CUSD: 2), refuses unknown codes (+CUSD: 4), needs registration", async () => {
    const { a, modemA } = await setup();
    await a.command('AT+CUSD=1,"*999#",15');
    expect(await a.waitForLine(/\+CUSD: [\s\S]*?/)).toMatch(/^\+CUSD: 2,"Service temporarily unavailable/);
    await a.command('AT+CUSD=1,"*555#",15');
    expect(await a.waitForLine(/\+CUSD: [\s\S]*?/)).toBe("+CUSD: 4");
    modemA.overrideRegistration(2);
    expect(await a.command('AT+CUSD=1,"*100#",15')).toBe("\r\n+CME ERROR: 30\r\n");
  });

  it("Huawei: takes a packed request and answers packed GSM 7-bit hex without quotes", async () => {
    const { a, modemA } = await setup("huawei-e173");
    // *100# packed as Huawei sticks expect it.
    await a.command('AT+CUSD=1,"AA180C3602",15');
    const line = await a.waitForLine(/\+CUSD: [\s\S]*?/);
    expect(line).toMatch(/^\+CUSD: 0,[0-9A-F]+,15$/);
    const reply = decodeCusd(line);
    expect(reply.ok && reply.value.text).toBe(`Balance: ${modemA.sim!.balance.toFixed(2)} USD`);
  });

  it("SIMCom: prints the reply before the OK of the request", async () => {
    const { a } = await setup("simcom-sim800");
    const reply = await a.command('AT+CUSD=1,"*123#",15');
    expect(reply).toMatch(/^\r\n\+CUSD: 1,"Main menu[^"]*",15\r\n\r\nOK\r\n$/);
    await a.command("AT+CUSD=2");
  });

  it("a session the user leaves open is closed by the network after its timeout", async () => {
    const { a } = await start({ modems: [{ id: "a" }], timing: { ussdSessionTimeoutMs: 30 } });
    await a.command('AT+CUSD=1,"*123#",15');
    await a.waitForLine(/\+CUSD: 1,[\s\S]*?/);
    expect(await a.waitForLine(/\+CUSD: [\s\S]*?/)).toBe("+CUSD: 2");
  });
});

describe("virtual modem: calls", () => {
  it("an incoming call rings with +CLIP, is answered with ATA, shows in +CLCC, and the far end hangs up", async () => {
    const { a, modemA, farm } = await setup();
    await a.command("AT+CLIP=1");
    const call = farm.network.callSim({ to: modemA.sim!.number, from: "+15550007777", hangupAfterMs: 20 });
    expect(await a.waitForLine(/RING/)).toBe("RING");
    expect(await a.waitForLine(/\+CLIP: .*/)).toBe('+CLIP: "+15550007777",145,,,,0');
    const ringing = parseClcc((await a.info("AT+CLCC")).join("\r\n"));
    expect(ringing.ok && ringing.value.map((c) => [c.direction, c.state, c.number])).toEqual([["incoming", "incoming", "+15550007777"]]);
    expect(await a.command("ATA")).toBe("\r\nOK\r\n");
    expect(call.state).toBe("active");
    expect(await a.waitForLine(/NO CARRIER/)).toBe("NO CARRIER");
    expect(call.endReason).toBe("far-end-hangup");
    expect(await a.info("AT+CLCC")).toEqual([]);
  });

  it("an unanswered call ends with NO CARRIER when the caller gives up", async () => {
    const { a, modemA, farm } = await setup();
    farm.network.callSim({ to: modemA.sim!.number, from: "+15550007777", ringForMs: 10 });
    await a.waitForLine(/RING/);
    expect(await a.waitForLine(/NO CARRIER/)).toBe("NO CARRIER");
  });

  it("modem to modem: A dials B, B rings and answers, A hangs up and B sees NO CARRIER", async () => {
    const { a, modemB, farm, session } = await setup();
    const b = session("b");
    await b.command("ATE0;+CLIP=1");
    expect(await a.command(`ATD${modemB.sim!.number};`)).toBe("\r\nOK\r\n");
    await b.waitForLine(/RING/);
    expect(await b.waitForLine(/\+CLIP: .*/)).toBe(`+CLIP: "${farm.modem("a").sim!.number}",145,,,,0`);
    await b.command("ATA");
    const active = parseClcc((await a.info("AT+CLCC")).join("\r\n"));
    expect(active.ok && active.value.map((c) => [c.direction, c.state])).toEqual([["outgoing", "active"]]);
    expect(await a.command("ATH")).toBe("\r\nOK\r\n");
    expect(await b.waitForLine(/NO CARRIER/)).toBe("NO CARRIER");
  });

  it("outgoing calls to outside numbers end BUSY or NO ANSWER as the number behaves", async () => {
    const { a, farm } = await setup();
    farm.network.setExternalCallBehaviour("+15551110000", { kind: "busy" });
    farm.network.setExternalCallBehaviour("+15552220000", { kind: "no-answer", ringForMs: 10 });
    await a.command("ATD+15551110000;");
    expect(await a.waitForLine(/BUSY|NO ANSWER|NO CARRIER/)).toBe("BUSY");
    await a.command("ATD+15552220000;");
    expect(await a.waitForLine(/BUSY|NO ANSWER|NO CARRIER/)).toBe("NO ANSWER");
    expect(await a.command("ATD+15552220000")).toBe("\r\nNO CARRIER\r\n");
  });
});
