import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Farm } from "../../hil/farm";
import { ServedFarm } from "../../hil/serve";

// A real third-party client against the simulator: gammu (Debian package `gammu`, which
// .ci/run installs) talks to a simulated modem's pseudo-terminal.
const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "simgate-gammu-"));
let served: ServedFarm;

const gammu = async (config: string, ...args: string[]): Promise<string> => {
  try {
    const { stdout } = await run("gammu", ["-c", config, ...args], { timeout: 60_000 });
    return stdout;
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
    if (e.code === "ENOENT") throw new Error("gammu is not installed (apt-get install -y gammu); .ci/run installs it");
    throw new Error(`gammu ${args.join(" ")} failed: ${e.message}\n${e.stdout ?? ""}${e.stderr ?? ""}`);
  }
};

const configFor = (id: string): string => {
  const path = join(dir, `${id}.gammurc`);
  writeFileSync(path, `[gammu]\ndevice = ${served.pathOf(id)}\nconnection = at\n`);
  return path;
};

/** gammu getallsms output as entries: the "Key : value" header fields and the body text. */
const parseListing = (out: string) =>
  out
    .split(/\n(?=Location \d+, folder)/)
    .filter((block) => block.startsWith("Location"))
    .map((block) => {
      const [head, ...rest] = block.split("\n\n");
      const fields = Object.fromEntries(
        head!
          .split("\n")
          .map((l) => /^([^:]+?)\s+: (.*)$/.exec(l))
          .filter((m): m is RegExpExecArray => m !== null)
          .map((m) => [m[1]!, m[2]!.replace(/^"|"$/g, "")]),
      );
      return { fields, body: (rest[0] ?? "").replace(/\n+$/, "") };
    });

beforeAll(async () => {
  const farm = new Farm({ modems: [{ id: "generic" }, { id: "sim800", personality: "simcom-sim800" }, { id: "quectel", personality: "quectel-ec25" }] });
  served = await ServedFarm.start(farm);
  await farm.settled();
});
afterAll(async () => served?.stop());

describe("gammu against simulated modems", { timeout: 90_000 }, () => {
  it("identify reads manufacturer, IMEI and IMSI", async () => {
    const modem = served.farm.modem("generic");
    const out = await gammu(configFor("generic"), "identify");
    expect(out).toMatch(/Manufacturer\s+: SIMGATE/);
    expect(out).toContain(`IMEI                 : ${modem.imei}`);
    expect(out).toContain(`SIM IMSI             : ${modem.sim!.spec.imsi}`);
  });

  it("getallsms lists injected messages: GSM, UCS2 from a name, and every part of a long one", async () => {
    const modem = served.farm.modem("generic");
    const network = served.farm.network;
    const long = `${"Part of a long message with [brackets] and € signs. ".repeat(7)}The end.`;
    network.sendSms({ to: modem.sim!.number, from: "+15550001111", text: "Your code is 4856" });
    network.sendSms({ to: modem.sim!.number, from: "MyBank", text: "Код подтверждения: 7731" });
    network.sendSms({ to: modem.sim!.number, from: "+15550002222", text: long });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const entries = parseListing(await gammu(configFor("generic"), "getallsms"));
    const from = (sender: string) => entries.filter((e) => e.fields["Remote number"] === sender);
    expect(from("+15550001111").map((e) => e.body)).toEqual(["Your code is 4856"]);
    expect(from("MyBank").map((e) => e.body)).toEqual(["Код подтверждения: 7731"]);
    const parts = from("+15550002222");
    expect(parts).toHaveLength(3);
    expect(parts.map((p) => p.fields["User Data Header"])).toEqual([1, 2, 3].map((n) => `Concatenated (linked) message, ID (8 bit) 1, part ${n} of 3`));
    expect(parts.map((p) => p.body).join("")).toBe(long);
  });

  it("sendsms TEXT delivers the exact text to the network, single and multipart", async () => {
    const config = configFor("sim800");
    await gammu(config, "sendsms", "TEXT", "+15559990000", "-text", "Hello from gammu");
    const long = `${"Multipart test {with} extension ~chars~ and more text. ".repeat(6)}Done.`;
    const out = await gammu(config, "sendsms", "TEXT", "+15559990001", "-len", String(long.length), "-text", long);
    expect(out).toMatch(/Sending SMS 3\/3/);
    const sent = served.farm.network.submitted.filter((m) => m.from === served.farm.modem("sim800").sim!.number);
    expect(sent.map((m) => [m.to, m.text, m.parts])).toEqual([
      ["+15559990000", "Hello from gammu", 1],
      ["+15559990001", long, 3],
    ]);
  });

  it("getussd gets the balance reply", async () => {
    const sim = served.farm.modem("quectel").sim!;
    const out = await gammu(configFor("quectel"), "getussd", "*100#");
    const currency = served.farm.network.operatorOf(sim).currency;
    expect(out).toContain(`Service reply        : "Balance: ${sim.balance.toFixed(2)} ${currency}"`);
  });

  it("getussd works where the reply comes before OK (SIMCom order)", async () => {
    const sim = served.farm.modem("sim800").sim!;
    const out = await gammu(configFor("sim800"), "getussd", "*111*0887#");
    expect(out).toContain(`Service reply        : "Your number is ${sim.number}"`);
  });
});
