import { afterEach, describe, expect, it } from "vitest";
import { Farm } from "../../hil/farm";
import { openDuplex } from "../../hil/transport/duplex";
import { AtSession } from "../support/at-session";

// These start from a fresh session (echo on, errors as ERROR), so they do not use useFarm.
let farm: Farm | undefined;
afterEach(() => farm?.stop());

const start = async (personality = "generic") => {
  farm = new Farm({ modems: [{ personality }] });
  farm.start();
  await farm.settled();
  const modem = farm.modem("modem-01");
  return { modem, at: new AtSession(openDuplex(modem)) };
};

describe("virtual modem: command line and result layout", () => {
  it("echoes the command and frames the reply as \\r\\n<info>\\r\\n\\r\\nOK\\r\\n", async () => {
    const { modem, at } = await start();
    expect(await at.command("AT+CGSN")).toBe(`AT+CGSN\r\r\n${modem.imei}\r\n\r\nOK\r\n`);
    expect(await at.command("ATE0")).toBe("ATE0\r\r\nOK\r\n");
    expect(await at.command("AT")).toBe("\r\nOK\r\n");
  });

  it("runs ;-chained commands and stops at the first failure", async () => {
    const { modem, at } = await start();
    await at.command("ATE0");
    expect(await at.command("AT+CMEE=1;+CREG=2")).toBe("\r\nOK\r\n");
    expect(modem.settings.cmee).toBe(1);
    expect(modem.settings.reg.CREG).toBe(2);
    expect(await at.command("AT+CMEE=2;+CFOO;+CREG=0")).toBe("\r\nERROR\r\n");
    expect(modem.settings.reg.CREG).toBe(2);
    expect(await at.command("ATE0V1Q0")).toBe("\r\nOK\r\n");
  });

  it("answers unknown commands with ERROR whatever +CMEE says", async () => {
    const { at } = await start();
    await at.command("AT+CMEE=1");
    expect(await at.command("AT+FOO?")).toContain("\r\nERROR\r\n");
    expect(await at.command("AT+CSQ7")).toContain("\r\nERROR\r\n");
  });

  it("reports errors in the +CMEE form asked for", async () => {
    const { modem, at } = await start();
    modem.setSim(null);
    await at.command("ATE0");
    expect(await at.command("AT+CIMI")).toBe("\r\nERROR\r\n");
    await at.command("AT+CMEE=1");
    expect(await at.command("AT+CIMI")).toBe("\r\n+CME ERROR: 10\r\n");
    await at.command("AT+CMEE=2");
    expect(await at.command("AT+CIMI")).toBe("\r\n+CME ERROR: SIM not inserted\r\n");
  });

  it("gives numeric results after ATV0", async () => {
    const { at } = await start();
    await at.command("ATE0");
    at.stream.write("ATV0\r");
    await at.waitUntil((b) => b === "0\r");
  });

  it("reads identity, SIM and registration from its own state", async () => {
    const { modem, at } = await start();
    await at.command("ATE0");
    const sim = modem.sim!;
    expect(await at.info("AT+CIMI")).toEqual([sim.spec.imsi]);
    expect(await at.info("AT+CCID")).toEqual([`+CCID: ${sim.iccid}`]);
    expect(await at.info("AT+CPIN?")).toEqual(["+CPIN: READY"]);
    expect(await at.info("AT+CNUM")).toEqual([`+CNUM: "","${sim.number}",145`]);
    expect(await at.info("AT+CREG?")).toEqual(["+CREG: 0,1"]);
    await at.command("AT+CREG=2");
    expect((await at.info("AT+CREG?"))[0]).toMatch(/^\+CREG: 2,1,"[0-9A-F]{4}","[0-9A-F]{4}"$/);
    const op = modem.network.operatorOf(sim);
    expect(await at.info("AT+COPS?")).toEqual([`+COPS: 0,0,"${op.name}",0`]);
    await at.command("AT+COPS=3,2");
    expect(await at.info("AT+COPS?")).toEqual([`+COPS: 0,2,"${op.mccmnc}",0`]);
  });

  it("answers in the +CSCS charset (UCS2 hex for the operator and the SMSC)", async () => {
    const { modem, at } = await start();
    await at.command('ATE0;+CSCS="UCS2"');
    const op = modem.network.operatorOf(modem.sim!);
    const hex = (s: string) => [...s].map((c) => c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")).join("");
    expect(await at.info("AT+COPS?")).toEqual([`+COPS: 0,0,"${hex(op.name)}",0`]);
    expect(await at.info("AT+CSCA?")).toEqual([`+CSCA: "${hex(op.smsc)}",145`]);
  });
});
