import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DECODE_KINDS, decodeToShape } from "../../src/cli/decode-kinds";
import { readJsonFixture } from "../support/fixtures";

// The real command as users run it: a child process reading JSON lines on stdin.
const ROOT = join(import.meta.dirname, "..", "..");
const simgate = (args: string[], input = "") =>
  spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "src/cli/main.ts"), ...args], {
    cwd: ROOT,
    input,
    encoding: "utf8",
    timeout: 60_000,
  });

describe("simgate decode", () => {
  it("--batch prints one vector-shaped JSON line per input line", () => {
    const pdus = readJsonFixture<{ vectors: { pdu: string; has_smsc: boolean; expected: Record<string, unknown> }[] }>(
      "pdu-vectors.json",
    ).vectors.slice(0, 5);
    const lines = [
      ...pdus.map((v) => JSON.stringify({ kind: "pdu", input: v.pdu, has_smsc: v.has_smsc })),
      JSON.stringify({ kind: "registration", input: "+CREG: 1,3", solicited: true }),
      "this is not json",
      JSON.stringify({ kind: "ussd_encode", input: "*101#" }),
      JSON.stringify({ kind: "ussd", input: '+CUSD: 0,"CF2135487D2E4131DCCD25A381E02E",15' }),
      JSON.stringify({ kind: "pdu", input: "00", has_smsc: "yes" }),
      JSON.stringify({ kind: "nonsense", input: "x" }),
    ];
    const run = simgate(["decode", "--batch"], lines.join("\n") + "\n");
    expect(run.status).toBe(0);
    const out = run.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(out).toHaveLength(lines.length);
    pdus.forEach((v, i) => expect(out[i]).toMatchObject(v.expected));
    expect(out[5]).toMatchObject({ state: "DENIED", is_cgreg: false });
    expect(out[6].error).toMatch(/not JSON/);
    expect(out[7]).toEqual({ hex: "AA182C3602" });
    expect(out[8]).toEqual({ status: 0, dcs: 15, text: "OCTATOK 187.24 p." });
    expect(out[9].error).toMatch(/has_smsc/);
    expect(out[10]).toEqual({ error: "unknown kind 'nonsense'" });
  });

  it("decodes one PDU for people and explains bad usage", () => {
    const one = simgate(["decode", "pdu", "0011000B916407281553F80000AA0AE8329BFD4697D9EC37"]);
    expect(JSON.parse(one.stdout)).toMatchObject({ type: "SMS-SUBMIT", text: "hellohello" });
    const bad = simgate(["decode", "at", "what is this"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--kind/);
  });

  it("refuses a kind it does not know, naming the known ones, and exits 1 on an input that does not decode", () => {
    const unknown = simgate(["decode", "at", "+CSQ: 20,99", "--kind", "csqq"]);
    expect(unknown.status).toBe(2);
    expect(unknown.stdout).toBe("");
    expect(unknown.stderr).toContain("simgate decode: unknown kind 'csqq' (known: registration, cops_scan,");
    const named = simgate(["decode", "at", "+CSQ: 20,99", "--kind", "csq"]);
    expect(named.status).toBe(0);
    expect(JSON.parse(named.stdout)).toMatchObject({ kind: "csq" });
    const broken = simgate(["decode", "pdu", "00zz"]);
    expect(broken.status).toBe(1);
    expect(JSON.parse(broken.stdout).error).toEqual(expect.any(String));
  });

  it("knows every kind it lists: none of them is answered as unknown", () => {
    for (const kind of DECODE_KINDS) expect(decodeToShape({ kind, input: "" })).not.toEqual({ error: `unknown kind '${kind}'` });
  });
});
