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
