import { describe, expect, it } from "vitest";
import { encodeSubmit } from "../../protocol/sms/encode";
import { startControl } from "../../hil/control/http";
import { useFarm } from "../support/sim-farm";

// The faults issue 18's defects are reproduced with: one command answered otherwise (an
// error, a late reply), a send acknowledged without its reference, EF_ICCID through +CRSM.
const start = useFarm();

const firstPart = (text: string) => {
  const parts = encodeSubmit({ to: "+15550006666", text });
  if (!parts.ok) throw parts.error;
  return parts.value[0]!;
};

describe("command faults", () => {
  it("one command gets another reply, for as many times as asked; forms are told apart", async () => {
    const { a, modem } = await start({ modems: [{ id: "a" }] });
    modem.faults.overrideCommand({ command: "+CPIN?", reply: { lines: [], final: { cme: 14 } }, times: 2 });
    expect(await a.command("AT+CPIN?")).toBe("\r\n+CME ERROR: 14\r\n");
    expect(await a.command("AT+CPIN=?")).toBe("\r\nOK\r\n");
    expect(await a.command("AT+CPIN?")).toBe("\r\n+CME ERROR: 14\r\n");
    expect(await a.command("AT+CPIN?")).toBe("\r\n+CPIN: READY\r\n\r\nOK\r\n");
  });

  it("a bare AT can be answered with ERROR; a late reply keeps the model's own answer", async () => {
    const { a, modem } = await start({ modems: [{ id: "a" }] });
    modem.faults.overrideCommand({ command: "AT", reply: { lines: [], final: "ERROR" }, times: 1 });
    expect(await a.command("AT")).toBe("\r\nERROR\r\n");
    expect(await a.command("AT")).toBe("\r\nOK\r\n");
    modem.faults.overrideCommand({ command: "+CGMI", delayMs: 120, times: 1 });
    const started = Date.now();
    expect(await a.info("AT+CGMI")).toEqual(["SIMGATE"]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
  });

  it("+CMGS answered by +CMS ERROR: 330 in place of the prompt", async () => {
    const { a, modem } = await start({ modems: [{ id: "a" }] });
    modem.faults.overrideCommand({ command: "+CMGS=", reply: { lines: [], final: { cms: 330 } }, times: 1 });
    const part = firstPart("no prompt");
    expect(await a.command(`AT+CMGS=${part.tpduLength}`)).toBe("\r\n+CMS ERROR: 330\r\n");
  });

  it("a send acknowledged with a bare OK and no +CMGS reference (issue 18, defect 8), and the next one normally", async () => {
    const { a, modem } = await start({ modems: [{ id: "a" }] });
    modem.faults.sendsWithoutReference = 1;
    const part = firstPart("no reference");
    expect(await a.withPrompt(`AT+CMGS=${part.tpduLength}`, part.pdu)).toBe("\r\nOK\r\n");
    expect(modem.network.submitted.at(-1)?.text).toBe("no reference");
    expect(await a.withPrompt(`AT+CMGS=${part.tpduLength}`, part.pdu)).toMatch(/^\r\n\+CMGS: \d+\r\n\r\nOK\r\n$/);
  });

  it("+CRSM reads EF_ICCID nibble-swapped and F-padded; other files are not found", async () => {
    const { a, modem } = await start({ modems: [{ id: "a" }] });
    const iccid = modem.sim!.iccid;
    const padded = iccid.padEnd(20, "F");
    const swapped = padded.replace(/(.)(.)/g, "$2$1");
    expect(await a.info("AT+CRSM=176,12258,0,0,10")).toEqual([`+CRSM: 144,0,"${swapped}"`]);
    expect(await a.info("AT+CRSM=176,28423,0,0,9")).toEqual(["+CRSM: 106,130"]);
  });

  it("the control endpoint injects command faults and sends without reference, and refuses a bad final", async () => {
    const { farm, a, modem } = await start({ modems: [{ id: "a" }] });
    const { server, url } = await startControl({ farm }, "127.0.0.1:0");
    try {
      const post = (body: unknown) => fetch(`${url}/modems/a/faults`, { method: "POST", body: JSON.stringify(body) });
      expect((await post({ command: { command: "+CGMM", final: { cme: 4 } }, sendWithoutReference: 2 })).status).toBe(200);
      expect(await a.command("AT+CGMM")).toBe("\r\n+CME ERROR: 4\r\n");
      expect(modem.faults.sendsWithoutReference).toBe(2);
      const bad = await post({ command: { command: "+CGMM", final: "MAYBE" } });
      expect(bad.status).toBe(400);
      expect(await bad.json()).toEqual({ error: '"command.final" must be OK, ERROR, {"cme": n} or {"cms": n}' });
      expect((await fetch(`${url}/modems/a/faults`, { method: "DELETE" })).status).toBe(200);
      expect(await a.info("AT+CGMM")).toEqual(["VIRTUAL-3GPP"]);
    } finally {
      server.close();
    }
  });
});
