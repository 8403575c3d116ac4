import { existsSync, readFileSync, readlinkSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:net";
import { SerialPort } from "serialport";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Farm } from "../../hil/farm";
import { ServedFarm } from "../../hil/serve";
import { AtSession } from "../support/at-session";

// The simulator's modems on real pseudo-terminals, opened with serialport as a USB modem is.
let served: ServedFarm;
const dir = mkdtempSync(join(tmpdir(), "simgate-pty-"));
const manifestPath = join(dir, "manifest.json");

const openSerial = async (path: string) => {
  const port = new SerialPort({ path, baudRate: 115200, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
  return port;
};
const closeSerial = (port: SerialPort) => new Promise<void>((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve()));

beforeAll(async () => {
  const farm = new Farm({ modems: [{ personality: "generic" }, { personality: "simcom-sim800" }] });
  served = await ServedFarm.start(farm, { linkDir: join(dir, "by-id"), tcpBasePort: 0, manifestPath });
  await farm.settled();
});
afterAll(async () => served?.stop());

describe("modems on pseudo-terminals", () => {
  it("answers AT over serialport on the PTY and on its stable link", async () => {
    const path = served.pathOf("modem-01")!;
    expect(path).toMatch(/^\/dev\/pts\/\d+$/);
    expect(readlinkSync(join(dir, "by-id", "modem-01"))).toBe(path);
    const port = await openSerial(join(dir, "by-id", "modem-01"));
    try {
      const at = new AtSession(port);
      expect(await at.command("ATE0")).toBe("ATE0\r\r\nOK\r\n");
      expect(await at.info("AT+CGSN")).toEqual([served.farm.modem("modem-01").imei]);
    } finally {
      await closeSerial(port);
    }
  });

  it("writes a manifest with path, IMEI and current SIM", () => {
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
    const modem = served.farm.modem("modem-02");
    const entry = manifest.modems.find((m: { id: string }) => m.id === "modem-02");
    expect(entry).toMatchObject({ path: served.pathOf("modem-02"), imei: modem.imei, number: modem.sim!.number, iccid: modem.sim!.iccid });
  });

  it("serves the same modem on a raw loopback TCP port", async () => {
    const socket = connect(served.tcpPortOf("modem-02")!, "127.0.0.1");
    try {
      const at = new AtSession(socket);
      expect(await at.info("ATI")).toEqual(["SIM800 R14.18"]);
    } finally {
      socket.destroy();
    }
  });

  it("unplug removes the device; replug brings the modem back on another tty", async () => {
    const oldPath = served.pathOf("modem-02")!;
    const port = await openSerial(oldPath);
    expect(await new AtSession(port).command("AT")).toContain("OK");
    // serialport reports a vanished tty as a close (when its poller notices) or as the EIO
    // of the next write, whichever comes first; either way the port is unusable.
    const vanished = new Promise<string>((resolve) => {
      port.once("error", (e: Error) => resolve(e.message));
      port.once("close", () => resolve("closed"));
    });
    await served.unplug("modem-02");
    port.write("AT\r");
    expect(await vanished).toMatch(/EIO|closed|not open/);
    expect(existsSync(join(dir, "by-id", "modem-02"))).toBe(false);
    expect(JSON.parse(readFileSync(manifestPath, "utf8")).modems[1].path).toBeNull();
    await served.replug("modem-02");
    const newPath = served.pathOf("modem-02")!;
    expect(newPath).not.toBe(oldPath);
    expect(readlinkSync(join(dir, "by-id", "modem-02"))).toBe(newPath);
    await served.farm.settled();
    const again = await openSerial(newPath);
    try {
      const at = new AtSession(again);
      expect(await at.info("AT+CPIN?")).toEqual(["+CPIN: READY"]);
      // Settings were lost with the power: echo is back on.
      expect(await at.command("AT")).toBe("AT\r\r\nOK\r\n");
    } finally {
      await closeSerial(again);
    }
  });
});
