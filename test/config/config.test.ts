import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ConfigError, DEMO_CONFIG, parseConfig } from "../../src/config/config";

const parse = (value: unknown, env: NodeJS.ProcessEnv = {}) => parseConfig(value, env, "cfg");
const refused = (value: unknown) => {
  try {
    parse(value);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error("accepted");
};

describe("configuration", () => {
  it("fills safe defaults: loopback, port 8080, the embedded database in ./data", () => {
    const config = parse({ devices: [{ id: "rack", model: "pool", modems: ["/dev/ttyUSB0", "tcp://10.0.0.5:4001"] }] });
    expect(config.http).toEqual({ host: "127.0.0.1", port: 8080 });
    expect(config.database).toEqual({ kind: "embedded", dataDir: "./data" });
    expect(config.devices[0]).toEqual({
      id: "rack",
      title: "rack",
      model: "pool",
      modems: [
        { kind: "serial", path: "/dev/ttyUSB0" },
        { kind: "tcp", url: "tcp://10.0.0.5:4001" },
      ],
      // One SIM per modem: nothing to rotate.
      rotateEveryMs: 0,
    });
  });

  it("lets the environment override the file: PORT, HOST, DATABASE_URL, SIMGATE_DATA_DIR", () => {
    const file = { http: { host: "0.0.0.0", port: 9000 }, database: { dataDir: "/var/lib/simgate" }, devices: DEMO_CONFIG.devices };
    expect(parse(file).http).toEqual({ host: "0.0.0.0", port: 9000 });
    expect(parse(file, { PORT: "7000", HOST: "10.1.1.1" }).http).toEqual({ host: "10.1.1.1", port: 7000 });
    expect(parse(file, { SIMGATE_DATA_DIR: "/tmp/x" }).database).toEqual({ kind: "embedded", dataDir: "/tmp/x" });
    expect(parse(file, { DATABASE_URL: "postgres://u@db/simgate" }).database).toEqual({ kind: "postgres", url: "postgres://u@db/simgate" });
    expect(() => parse(file, { PORT: "http" })).toThrow("PORT: must be a port number (0-65535)");
  });

  it("names the place of every mistake", () => {
    expect(refused([])).toBe("cfg: must be a JSON object");
    expect(refused({ devices: [] })).toBe("cfg.devices: must list at least one device");
    expect(refused({ devices: [{ id: "a b", model: "pool", modems: ["/dev/x"] }] })).toBe("cfg.devices[0].id: must be 1-64 letters, digits, '.', '_' or '-'");
    expect(refused({ devices: [{ id: "a", model: "sr-nano", modems: "simulated" }] })).toMatch(/^cfg\.devices\[0\]\.model: must be one of pool, dual-sim, sr-train/);
    expect(refused({ devices: [{ id: "a", model: "pool", modems: ["tcp://host"] }] })).toBe('cfg.devices[0].modems[0]: "tcp://host" is not tcp://host:port');
    expect(refused({ devices: [{ id: "a", model: "pool", modems: ["/dev/x"] }, { id: "a", model: "pool", modems: ["/dev/y"] }] })).toBe('cfg.devices[1].id: "a" is used twice');
    expect(refused({ devices: [{ id: "a", model: "pool", modems: ["/dev/x"] }, { id: "b", model: "pool", modems: ["/dev/x"] }] })).toBe(
      "cfg.devices[1].modems[0]: /dev/x is listed twice (two actors on one port would fight over it)",
    );
    const sixteen = Array.from({ length: 16 }, (_, i) => `/dev/ttyUSB${i}`);
    expect(refused({ devices: [{ id: "a", model: "sr-train", modems: ["/dev/x"] }] })).toBe('cfg.devices[0].modems: "sr-train" has 16 modems; list all 16, in the controller\'s order');
    expect(refused({ devices: [{ id: "a", model: "sr-train", modems: sixteen }] })).toBe(`cfg.devices[0].bank: "sr-train" needs the SR controller's serial line or tcp:// address`);
    expect(refused({ devices: [{ id: "a", model: "sr-train", modems: sixteen, bank: "/dev/ttyUSB3" }] })).toBe("cfg.devices[0].bank: /dev/ttyUSB3 is also listed as a modem");
    expect(refused({ devices: [{ id: "a", model: "pool", modems: ["/dev/x"], bank: "/dev/y" }] })).toBe('cfg.devices[0].bank: "pool" has one SIM per modem and no bank to switch');
    expect(refused({ devices: [{ id: "a", model: "sr-train", modems: "simulated", rotateEveryMs: 5 }] })).toBe("cfg.devices[0].rotateEveryMs: must be 0 (no rotation) or at least 1000 ms");
    expect(parse({ devices: [{ id: "a", model: "sr-train", modems: sixteen, bank: "tcp://10.0.0.5:4001" }] }).devices[0]).toMatchObject({
      bank: { kind: "tcp", url: "tcp://10.0.0.5:4001" },
      rotateEveryMs: 60_000,
    });
    expect(refused({ devices: DEMO_CONFIG.devices, database: { url: "mysql://x" } })).toBe("cfg.database.url: must be a postgres:// URL");
    expect(refused({ devices: DEMO_CONFIG.devices, database: { url: "postgres://x", dataDir: "d" } })).toBe("cfg.database: give either url or dataDir, not both");
    expect(refused({ devices: DEMO_CONFIG.devices, ownNumberCodes: { mts: "*111#" } })).toMatch(/^cfg\.ownNumberCodes: must map MCC\+MNC/);
    expect(refused({ devices: DEMO_CONFIG.devices, colour: "blue" })).toMatch(/^cfg\.colour: unknown setting/);
    expect(refused({ devices: DEMO_CONFIG.devices, sending: { resendUnknownAfterMinutes: 0 } })).toBe("cfg.sending.resendUnknownAfterMinutes: must be null (never) or whole minutes from 1 to 10080");
    expect(refused({ devices: DEMO_CONFIG.devices, sending: { resend: 5 } })).toMatch(/^cfg\.sending\.resend: unknown setting/);
    expect(parse({ devices: DEMO_CONFIG.devices }).resendUnknownAfterMs).toBeNull();
    expect(parse({ devices: DEMO_CONFIG.devices, sending: { resendUnknownAfterMinutes: 15 } }).resendUnknownAfterMs).toBe(900_000);
  });

  it("accepts the demo farm's own configuration", () => {
    const demo = parse(DEMO_CONFIG);
    expect(demo.devices[0]).toMatchObject({ id: "train", model: "sr-train", modems: "simulated", rows: 4 });
    expect([demo.demoSmsEveryMs, demo.simulatedTiming]).toEqual([30_000, "realistic"]);
  });
});

describe("the configuration's schema", () => {
  it("refuses an unknown key at a nested place, naming the place and the known keys", () => {
    const devices = [{ id: "a", model: "pool", modems: ["/dev/x"] }, { id: "b", model: "pool", modmes: ["/dev/y"] }];
    expect(refused({ devices })).toBe("cfg.devices[1].modmes: unknown setting (known: id, title, model, modems, rows, count, personality, bank, rotateEveryMs, owner)");
    expect(refused({ devices: DEMO_CONFIG.devices, demo: { timming: "instant" } })).toBe("cfg.demo.timming: unknown setting (known: smsEveryMs, timing, seed)");
    expect(refused({ devices: DEMO_CONFIG.devices, http: { hots: "x" } })).toBe("cfg.http.hots: unknown setting (known: host, port)");
  });

  it("says the place and what was expected when a value has the wrong type", () => {
    expect(refused({ devices: [{ id: "a", model: "pool", modems: ["/dev/x"], rows: "8" }] })).toBe("cfg.devices[0].rows: must be 1-64");
    expect(refused({ devices: [{ id: "a", model: "pool", modems: [5] }] })).toBe('cfg.devices[0].modems[0]: must be a device path ("/dev/ttyUSB0") or "tcp://host:port"');
    expect(refused({ devices: [{ id: "a", model: "pool", modems: 5 }] })).toBe('cfg.devices[0].modems: must be "simulated" or a non-empty list of device paths / tcp:// addresses');
    expect(refused({ devices: [{ id: "a", model: "pool" }] })).toBe('cfg.devices[0].modems: must be "simulated" or a non-empty list of device paths / tcp:// addresses');
    expect(refused({ devices: [7] })).toBe("cfg.devices[0]: must be an object");
    expect(refused({ devices: "train" })).toBe("cfg.devices: must list at least one device");
    expect(refused({ devices: DEMO_CONFIG.devices, demo: "on" })).toBe("cfg.demo: must be an object");
    expect(refused({ devices: DEMO_CONFIG.devices, retention: { smsDays: "365" } })).toBe("cfg.retention.smsDays: must be a whole number of days (0 keeps forever)");
    expect(refused({ devices: DEMO_CONFIG.devices, http: { port: true } })).toBe("cfg.http.port: must be a port number (0-65535)");
    expect(refused({ devices: DEMO_CONFIG.devices, ownNumberCodes: { "25001": 111 } })).toBe('cfg.ownNumberCodes.25001: must map MCC+MNC ("25001") to a USSD code ("*111*0887#")');
  });

  it("still reads a port written as digits, and a section given as null as the section left out", () => {
    const config = parse({ devices: DEMO_CONFIG.devices, http: { port: "9090" }, demo: null, retention: null, sending: null });
    expect(config.http.port).toBe(9090);
    expect([config.demoSmsEveryMs, config.simulatedTiming, config.simulatedSeed, config.resendUnknownAfterMs]).toEqual([30_000, "realistic", 1, null]);
    expect(config.retention).toEqual({ smsDays: 0, ussdDays: 0, callsDays: 0, atLogDays: 30, eventsDays: 90 });
  });

  it("decodes every configuration the repository holds to the same Config as before", () => {
    // The README's example, with its placeholder for the sixteen modems written out.
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    const block = /```json\n(\{\n {2}"http"[\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const sixteen = Array.from({ length: 16 }, (_, i) => `/dev/ttyUSB${i}`);
    const example = JSON.parse(block!.replace(/\["\/dev\/ttyUSB0", "\.\.\. all 16, in the controller's order"\]/, JSON.stringify(sixteen)));
    expect(parse(example)).toEqual({
      http: { host: "127.0.0.1", port: 8080 },
      database: { kind: "embedded", dataDir: "./data" },
      devices: [
        {
          id: "rack",
          title: "USB rack",
          model: "pool",
          modems: [
            { kind: "serial", path: "/dev/serial/by-id/usb-HUAWEI_E173-if00-port0" },
            { kind: "tcp", url: "tcp://10.0.0.5:4001" },
          ],
          rotateEveryMs: 0,
        },
        {
          id: "train",
          title: "train",
          model: "sr-train",
          rows: 8,
          bank: { kind: "serial", path: "/dev/serial/by-id/usb-SR-controller" },
          modems: sixteen.map((path) => ({ kind: "serial", path })),
          rotateEveryMs: 60_000,
        },
        { id: "lab", title: "lab", model: "sr-train", rows: 8, modems: "simulated", rotateEveryMs: 60_000 },
      ],
      ownNumberCodes: { "25001": "*111*0887#" },
      demoSmsEveryMs: 0,
      simulatedTiming: "realistic",
      simulatedSeed: 1,
      retention: { smsDays: 0, ussdDays: 0, callsDays: 0, atLogDays: 30, eventsDays: 90 },
      resendUnknownAfterMs: null,
    });
    // The demo farm's.
    expect(parse(DEMO_CONFIG)).toEqual({
      http: { host: "127.0.0.1", port: 8080 },
      database: { kind: "embedded", dataDir: "./data" },
      devices: [{ id: "train", title: "Demo SR-Train", model: "sr-train", rows: 4, modems: "simulated", personality: "simcom-sim800", rotateEveryMs: 30_000 }],
      ownNumberCodes: {},
      demoSmsEveryMs: 30_000,
      simulatedTiming: "realistic",
      simulatedSeed: 1,
      retention: { smsDays: 0, ussdDays: 0, callsDays: 0, atLogDays: 30, eventsDays: 90 },
      resendUnknownAfterMs: null,
    });
    // The shapes the tests write for a service process (fault rig, end-to-end, console, start).
    const paths = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `/tmp/serial/${prefix}${i}`);
    const written = [
      { devices: [{ id: "bank", model: "sr-box-bank", rows: 2, modems: paths(8, "m"), bank: "/tmp/serial/bank", rotateEveryMs: 5_000 }, { id: "pool", model: "pool", modems: paths(2, "p") }], demo: { smsEveryMs: 0 } },
      { devices: [{ id: "train", model: "sr-train", rows: 8, modems: paths(16, "t"), bank: "/tmp/serial/train", rotateEveryMs: 1000 }] },
      { devices: [{ id: "rack", title: "Bench rack", model: "pool", owner: "watcher", modems: paths(2, "r") }] },
      { devices: [{ id: "rack", title: "USB rack", model: "pool", modems: ["/tmp/serial/usb0", "tcp://127.0.0.1:40001"] }] },
    ];
    expect(written.map((file) => parse(file).devices.map((d) => [d.id, d.model, d.modems === "simulated" ? 0 : d.modems.length, d.bank?.kind ?? null, d.rotateEveryMs, d.owner ?? null]))).toEqual([
      [
        ["bank", "sr-box-bank", 8, "serial", 5_000, null],
        ["pool", "pool", 2, null, 0, null],
      ],
      [["train", "sr-train", 16, "serial", 1000, null]],
      [["rack", "pool", 2, null, 0, "watcher"]],
      [["rack", "pool", 2, null, 0, null]],
    ]);
  });
});
