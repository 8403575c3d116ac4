import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Server } from "node:http";
import { Farm } from "../../hil/farm";
import { startControl } from "../../hil/control/http";
import { ConfigError, parseSimConfig } from "../../hil/config";

// The control endpoint's bodies and the simulator's configuration go through schemas: a
// mistake is answered with the field it is in and what the field wants.
describe("the control endpoint's bodies", () => {
  let farm: Farm;
  let control: { server: Server; url: string };
  beforeAll(async () => {
    farm = new Farm({ modems: [{ id: "m1" }], seed: 5 });
    await farm.settled();
    control = await startControl({ farm }, "127.0.0.1:0");
  });
  afterAll(() => control?.server.close());

  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${control.url}${path}`, { method: "POST", body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as { error?: string } };
  };

  it("answers 400 naming the field, its place in a nested body, and what it wants", async () => {
    expect(await post("/sms", { to: 5, from: "Bank", text: "hi" })).toEqual({ status: 400, body: { error: '"to" must be a non-empty string' } });
    expect(await post("/sms", { from: "Bank", text: "hi" })).toEqual({ status: 400, body: { error: '"to" must be a non-empty string' } });
    expect(await post("/sms", { to: "x".repeat(33), from: "Bank", text: "hi" })).toEqual({ status: 400, body: { error: '"to" is longer than 32 characters' } });
    expect(await post("/sms", { onlyParts: [1, "2"], to: "+1", from: "B", text: "t" })).toEqual({ status: 400, body: { error: '"onlyParts" must be an array of part numbers' } });
    expect(await post("/modems/m1/signal", { rssi: 20, ber: "low" })).toEqual({ status: 400, body: { error: '"ber" must be an integer from 0 to 99' } });
    expect(await post("/modems/m1/signal", {})).toEqual({ status: 400, body: { error: '"rssi" is required (0-31, or 99 for unknown)' } });
    expect(await post("/modems/m1/registration", { state: "lost" })).toEqual({ status: 400, body: { error: '"state" must be one of home, roaming, denied, searching, none, auto' } });
    expect(await post("/call-behaviour", { kind: "maybe", number: "+1" })).toEqual({ status: 400, body: { error: '"kind" must be answer, busy or no-answer' } });
    expect(await post("/modems/m1/power", { on: "yes" })).toEqual({ status: 400, body: { error: '"on" must be true or false' } });
    expect(await post("/modems/m1/faults", { failSend: { nth: 0 } })).toEqual({ status: 400, body: { error: '"failSend.nth" must be an integer from 1 to 10000' } });
    expect(await post("/modems/m1/faults", { command: { command: "+CGMM", delayMs: "soon" } })).toEqual({ status: 400, body: { error: '"command.delayMs" must be an integer from 0 to 600000' } });
    expect(await post("/ussd/service", { kind: "menu", code: "*1#", menu: { options: {} } })).toEqual({
      status: 400,
      body: { error: '"menu" must be an object with "text" and optional "options"' },
    });
  });

  it("still takes what it took: a fault body with keys it does not read, failSend as true, garbage as true", async () => {
    expect((await post("/modems/m1/faults", { failSend: true, garbage: true, note: "from a rig" })).status).toBe(200);
    expect((await post("/modems/m1/signal", { rssi: 17 })).status).toBe(200);
    expect(farm.modem("m1").rssi).toBe(17);
    expect((await post("/ussd/service", { kind: "reply", code: "*5#", text: "five" })).status).toBe(200);
  });
});

describe("the simulator's configuration", () => {
  const refused = (value: unknown) => {
    try {
      parseSimConfig(value, "sim.json");
    } catch (error) {
      if (error instanceof ConfigError) return error.message;
      throw error;
    }
    throw new Error("accepted");
  };

  it("names an unknown key at its nested place, and a wrong type at its path", () => {
    expect(refused({ modems: [{}, { personalty: "generic" }] })).toBe("sim.json.modems[1].personalty: unknown setting (known: id, personality, sim, sim2, imei)");
    expect(refused({ modems: [{}], timing: { ussdMs: 1, slowness: 2 } })).toMatch(/^sim\.json\.timing\.slowness: unknown delay \(known: /);
    expect(refused({ banks: [{ model: "sr-train", rows: "2" }] })).toBe("sim.json.banks[0].rows: must be an integer 1-64");
    expect(refused({ modems: [{ imei: 12345 }] })).toBe("sim.json.modems[0].imei: must be 15 digits");
    expect(refused({ modems: {} })).toBe("sim.json.modems: must be an array");
    expect(refused({ modems: [] })).toBe("sim.json: needs at least one modem or bank");
  });

  it("takes a full configuration as before", () => {
    const config = parseSimConfig(
      {
        seed: 7,
        timing: "realistic",
        operators: [{ id: "op", name: "Operator", shortName: "Op", mccmnc: "00101", smsc: "+15550000000", currency: "EUR" }],
        sims: [{ iccid: "8901000000000000001", imsi: "001010000000001", number: "+15550100001", operator: "op", pin: "1234" }],
        modems: [{ id: "m", personality: "quectel-ec25", imei: "123456789012345", sim: null }],
        banks: [{ model: "sr-box-bank", rows: 2 }],
        manifest: "m.json",
        control: "127.0.0.1:0",
        tcpBasePort: 7000,
      },
      "sim.json",
    );
    expect(config.operators).toEqual([{ ussd: {}, id: "op", name: "Operator", shortName: "Op", mccmnc: "00101", smsc: "+15550000000", currency: "EUR" }]);
    expect(config).toMatchObject({ seed: 7, timing: "realistic", modems: [{ id: "m", sim: null }], banks: [{ model: "sr-box-bank", rows: 2 }], tcpBasePort: 7000 });
  });
});
