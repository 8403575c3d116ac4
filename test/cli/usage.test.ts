import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Schema } from "effect";
import { decodeArg, NameArg, readArgs, WholeNumberArg } from "../../src/cli/args";

const ROOT = join(import.meta.dirname, "../..");

/** `simgate <args>` as a child process; none of these reach a database or a port. */
const simgate = (args: readonly string[]) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "src/cli/main.ts"), ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.once("exit", (status) => resolve({ status, stdout, stderr }));
  });

describe("the commands' arguments", () => {
  it("parseArgs is strict and option values go through their schema", () => {
    expect(readArgs(["--timeout", "500", "/dev/ttyUSB0"], { timeout: { type: "string" } })).toMatchObject({ ok: true, parsed: { values: { timeout: "500" }, positionals: ["/dev/ttyUSB0"] } });
    expect(readArgs(["--tiemout", "500"], { timeout: { type: "string" } })).toMatchObject({ ok: false, message: expect.stringMatching(/^Unknown option '--tiemout'/) });
    expect(readArgs(["stray"], { help: { type: "boolean" } }, { positionals: false })).toMatchObject({ ok: false });
    const ms = WholeNumberArg(200, 10_000);
    expect(decodeArg(ms, "500", "--timeout wants ms")).toEqual({ ok: true, value: 500 });
    expect(decodeArg(ms, undefined, "--timeout wants ms")).toEqual({ ok: true, value: undefined });
    for (const bad of ["199", "10001", "5e2", " 500", "-1", ""]) expect(decodeArg(ms, bad, "--timeout wants ms")).toEqual({ ok: false, message: "--timeout wants ms" });
    expect(decodeArg(NameArg(["instant", "realistic"]), "fast", "--timing wants instant or realistic")).toEqual({ ok: false, message: "--timing wants instant or realistic" });
    expect(Schema.decodeUnknownSync(NameArg(["instant", "realistic"]))("instant")).toBe("instant");
  });

  it("an unknown flag is refused by every command with its usage and exit code 2", async () => {
    const commands: [string, RegExp][] = [
      ["migrate", /^usage: simgate migrate/m],
      ["pool", /^usage: simgate pool create/m],
      ["user", /^usage: simgate user add/m],
      ["key", /^usage: simgate key rotate/m],
      ["decode", /simgate decode pdu/],
      ["detect", /^usage: simgate detect/m],
      ["sim", /simgate sim --config/],
      ["console", /simgate console --help/],
    ];
    const runs = await Promise.all(commands.map(([command]) => simgate([command, "--no-such-flag"])));
    runs.forEach((run, i) => {
      const [command, usage] = commands[i]!;
      expect({ command, status: run.status }).toEqual({ command, status: 2 });
      expect(run.stderr).toContain(`simgate ${command}: Unknown option '--no-such-flag'`);
      expect(run.stderr).toMatch(usage);
    });
  }, 60_000);

  it("a value that is not what the option wants is refused before anything starts; --help is not a mistake", async () => {
    const [timeout, seed, help, unknown] = await Promise.all([
      simgate(["detect", "--timeout", "soon"]),
      simgate(["sim", "--modems", "1", "--seed", "x"]),
      simgate(["pool", "--help"]),
      simgate(["frobnicate"]),
    ]);
    expect([timeout.status, timeout.stderr.split("\n")[0]]).toEqual([2, "simgate detect: --timeout needs a number of ms (at least 200)"]);
    expect([seed.status, seed.stderr.split("\n")[0]]).toEqual([2, "simgate sim: --seed wants a whole number"]);
    expect([help.status, help.stdout]).toEqual([0, expect.stringMatching(/^usage: simgate pool create/)]);
    expect([unknown.status, unknown.stderr.split("\n")[0]]).toEqual([2, 'simgate: unknown command "frobnicate"']);
  }, 60_000);
});
