import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SerialPort } from "serialport";
import { describe, expect, it } from "vitest";
import { AtSession } from "../support/at-session";

// `simgate sim` as a user runs it: a child process with PTYs, a manifest and the control endpoint.
const ROOT = join(import.meta.dirname, "..", "..");
const args = (rest: string[]) => ["--import", "tsx", join(ROOT, "src/cli/main.ts"), "sim", ...rest];
const dir = mkdtempSync(join(tmpdir(), "simgate-cli-"));

describe("simgate sim", () => {
  it("refuses a bad config file, naming the field", () => {
    const path = join(dir, "bad.json");
    writeFileSync(path, JSON.stringify({ modems: [{ personality: "nokia-3310" }] }));
    const run = spawnSync(process.execPath, args(["--config", path]), { cwd: ROOT, encoding: "utf8", timeout: 30_000 });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`${path}.modems[0].personality: unknown`);
    const bad = spawnSync(process.execPath, args(["--modems", "lots"]), { cwd: ROOT, encoding: "utf8", timeout: 30_000 });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("--modems wants a number");
  });

  it("serves modems on PTYs, writes the manifest, takes SMS through the control endpoint, and cleans up on SIGTERM", async () => {
    const manifestPath = join(dir, "farm.json");
    const child = spawn(process.execPath, args(["--modems", "2", "--personality", "simcom-sim800", "--manifest", manifestPath, "--control", "127.0.0.1:0", "--link-dir", join(dir, "links")]), { cwd: ROOT });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (out += c.toString()));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no "ready": ${out}`)), 30_000);
        child.stdout.on("data", () => out.includes("ready\n") && (clearTimeout(timer), resolve()));
      });
      const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
      expect(manifest.modems).toHaveLength(2);
      const control = manifest.control as string;
      const listed = (await (await fetch(`${control}/modems`)).json()) as { id: string; path: string; number: string }[];
      expect(listed.map((m) => m.path)).toEqual(manifest.modems.map((m: { path: string }) => m.path));

      const port = new SerialPort({ path: join(dir, "links", "modem-01"), baudRate: 115200, autoOpen: false });
      await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
      const at = new AtSession(port);
      await at.command("ATE0");
      await at.command("AT+CMGF=1");
      const posted = await fetch(`${control}/sms`, { method: "POST", body: JSON.stringify({ to: listed[0]!.number, from: "Shop", text: "Order 77 shipped" }) });
      expect(posted.status).toBe(201);
      expect(await at.waitForLine(/\+CMTI: "SM",1/)).toBe('+CMTI: "SM",1');
      expect((await at.info("AT+CMGR=1"))[1]).toBe("Order 77 shipped");
      await new Promise<void>((resolve) => port.close(() => resolve()));

      const bad = await fetch(`${control}/sms`, { method: "POST", body: JSON.stringify({ to: "+1", from: "x", text: "y" }) });
      expect([bad.status, await bad.json()]).toEqual([404, { error: "no SIM has the number +1" }]);
      const invalid = await fetch(`${control}/modems/modem-01/signal`, { method: "POST", body: '{"rssi": "strong"}' });
      expect(invalid.status).toBe(400);
    } finally {
      child.kill("SIGTERM");
      const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
      expect(code).toBe(0);
    }
    expect(existsSync(join(dir, "links", "modem-01"))).toBe(false);
  }, 60_000);
});
