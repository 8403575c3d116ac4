import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Farm } from "../../hil/farm";
import { ServedFarm } from "../../hil/serve";
import { startServiceProcess } from "../support/service-process";
import { MIGRATIONS } from "../../src/store/migrations";

/** Every migration this code knows, in the order they are applied. */
const ALL_MIGRATIONS = Object.keys(MIGRATIONS).sort().join(", ");

// `npm start` with nothing configured: the demo farm on the embedded database, as a child
// process, driven over its HTTP port.

const start = (dataDir: string, config?: string) =>
  startServiceProcess({
    DATABASE_URL: "",
    SIMGATE_DATA_DIR: dataDir,
    SIMGATE_CONFIG: config ?? join(dataDir, "no-config-here.json"),
    SIMGATE_API_KEY: STATUS_KEY,
  });

type Status = {
  modems: { device: string; position: number; target: string; connected: boolean; simStatus: number; number: string | null }[];
  sms: { received: number; latest: { sender: string; text: string }[] };
};
const STATUS_KEY = "start-test-key-0123456789abcdef";
const getStatus = async (url: string) => (await (await fetch(`${url}/status?api_key=${STATUS_KEY}`)).json()) as Status;
const until = async <T>(probe: () => Promise<T>, ok: (v: T) => boolean, what: string) => {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await probe();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe("npm start (demo farm)", () => {
  it("runs 16 supervised modems on the embedded database; an SMS sent through /sim/ is stored, and kept across a restart", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "simgate-start-"));
    const first = start(dataDir);
    try {
      const url = await first.url();
      expect(first.output()).toContain(`store: embedded database in ${dataDir} (applied ${ALL_MIGRATIONS})`);
      expect(first.output()).toContain("device train (sr-train, simulated, instant timing): 16 modems");
      const ready = await until(() => getStatus(url), (s) => s.modems.length === 16 && s.modems.every((m) => m.simStatus === 1), "modems never all registered");
      const to = ready.modems[2]!.number!;
      const posted = await fetch(`${url}/sim/sms`, { method: "POST", body: JSON.stringify({ to, from: "MyBank", text: "Your code is 4856" }) });
      expect(posted.status).toBe(201);
      const stored = await until(() => getStatus(url), (s) => s.sms.received === 1, "the SMS never reached the store");
      expect(stored.sms.latest[0]).toMatchObject({ sender: "MyBank", text: "Your code is 4856" });
      // Without a key, anyone who reaches the port learns counts, not cards, numbers or texts.
      const open = await fetch(`${url}/status`);
      expect(open.status).toBe(200);
      const body = (await open.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ modems: { total: 16, connected: 16, active: expect.any(Number) }, sms: { received: 1 } });
      expect(JSON.stringify(body)).not.toContain(to);
      expect(JSON.stringify(body)).not.toContain("4856");
      expect((await fetch(`${url}/status?api_key=not-the-key-0123456789`)).status).toBe(401);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect(await (await fetch(`${url}/readyz`)).json()).toEqual({ ready: true });
    } finally {
      first.kill("SIGTERM");
    }
    expect(await first.exited).toBe(0);

    const second = start(dataDir);
    try {
      const url = await second.url();
      expect(second.output()).toContain(`store: embedded database in ${dataDir}\n`);
      expect((await getStatus(url)).sms.latest.map((m) => m.text)).toEqual(["Your code is 4856"]);
    } finally {
      second.kill("SIGTERM");
    }
    expect(await second.exited).toBe(0);
  }, 120_000);

  it("refuses a configuration file with a mistake, naming its place, and starts nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "simgate-cfg-"));
    const config = join(dir, "simgate.config.json");
    writeFileSync(config, JSON.stringify({ devices: [{ id: "rack", model: "pool", modems: ["/dev/ttyUSB0", "ttyUSB1"] }] }));
    const run = start(join(dir, "data"), config);
    expect(await run.exited).toBe(2);
    expect(run.output()).toContain(`${config}.devices[0].modems[1]: "ttyUSB1" must be an absolute device path or tcp://host:port`);
  }, 60_000);

  describe("with a configuration of real modems (simulated on PTYs by the test, opened by path)", () => {
    let served: ServedFarm;
    beforeAll(async () => {
      const farm = new Farm({ modems: [{ id: "usb0" }, { id: "usb1", personality: "quectel-ec25" }], seed: 7 });
      served = await ServedFarm.start(farm, { tcpBasePort: 0 });
      await farm.settled();
    });
    afterAll(async () => served?.stop());

    it("supervises each modem, by path and by tcp://, and stores what it receives", async () => {
      const dir = mkdtempSync(join(tmpdir(), "simgate-cfg-"));
      const config = join(dir, "simgate.config.json");
      writeFileSync(
        config,
        JSON.stringify({
          devices: [{ id: "rack", title: "USB rack", model: "pool", modems: [served.pathOf("usb0"), `tcp://127.0.0.1:${served.tcpPortOf("usb1")}`] }],
        }),
      );
      const run = start(join(dir, "data"), config);
      try {
        const url = await run.url();
        expect(run.output()).toContain(`config: ${config}`);
        expect(run.output()).toContain("device rack (pool): 2 modems");
        const ready = await until(() => getStatus(url), (s) => s.modems.every((m) => m.connected && m.simStatus === 1), "modems never came up");
        expect(ready.modems.map((m) => [m.device, m.position, m.number])).toEqual([
          ["rack", 1, served.farm.modem("usb0").sim!.number],
          ["rack", 2, served.farm.modem("usb1").sim!.number],
        ]);
        expect((await fetch(`${url}/sim/modems`)).status).toBe(404);
        served.farm.network.sendSms({ to: served.farm.modem("usb1").sim!.number, from: "+15550001234", text: "over tcp" });
        const stored = await until(() => getStatus(url), (s) => s.sms.received === 1, "the SMS never reached the store");
        expect(stored.sms.latest[0]).toMatchObject({ sender: "+15550001234", text: "over tcp" });
      } finally {
        run.kill("SIGTERM");
      }
      expect(await run.exited).toBe(0);
    }, 120_000);
  });
});
