import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Farm } from "../../hil/farm";
import { ServedFarm } from "../../hil/serve";
import { detectPort } from "../../src/cli/detect";
import { readFileSync } from "node:fs";
import { parseTranscript, ReplayModem } from "../../hil/modem/replay";

// `simgate detect` as a child process against modems on PTYs: two that answer, one hung.
const ROOT = join(import.meta.dirname, "..", "..");
let served: ServedFarm;

beforeAll(async () => {
  const farm = new Farm({
    modems: [{ id: "stick", personality: "huawei-e173" }, { id: "quectel", personality: "quectel-ec25" }, { id: "hung" }, { id: "errat" }, { id: "slowsim", personality: "quectel-ec25" }],
    seed: 3,
  });
  served = await ServedFarm.start(farm);
  await farm.settled();
  farm.modem("hung").faults.hanging = true;
  // Issue 18: a modem answering ERROR to a bare AT; one whose SIM read outlasts the budget.
  farm.modem("errat").faults.overrideCommand({ command: "AT", reply: { lines: [], final: "ERROR" } });
  farm.modem("slowsim").faults.overrideCommand({ command: "+CPIN?", delayMs: 5_000 });
});
afterAll(async () => served?.stop());

describe("simgate detect", () => {
  it("lists what answered with its identity and SIM, says which ports did not, and prints a configuration", async () => {
    const paths = ["stick", "quectel", "hung"].map((id) => served.pathOf(id)!);
    // Not spawnSync: the simulated modems live in this process and must keep answering.
    const run = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "src/cli/main.ts"), "detect", ...paths, "/dev/ttyNOPE9", "--timeout", "3000"], { cwd: ROOT });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
      child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
      child.once("exit", (status) => resolve({ status, stdout, stderr }));
    });
    expect([run.status, run.stderr, run.stdout]).toEqual([0, "", expect.any(String)]);
    const stick = served.farm.modem("stick");
    const lines = run.stdout.split("\n");
    expect(lines.find((l) => l.startsWith(paths[0]!))).toBe(`${paths[0]}  huawei E173, IMEI ${stick.imei}, SIM ready, ICCID ${stick.sim!.iccid}, IMSI ${stick.sim!.spec.imsi}, number ${stick.sim!.number}`);
    expect(lines.find((l) => l.startsWith(paths[1]!))).toMatch(new RegExp(`EC25.*IMEI ${served.farm.modem("quectel").imei}, SIM ready, ICCID ${served.farm.modem("quectel").sim!.iccid}`));
    expect(lines.find((l) => l.startsWith(paths[2]!))).toMatch(/^\/dev\/\S+  silent: (no answer to AT|nothing complete within 3000 ms)/);
    expect(lines.find((l) => l.startsWith("/dev/ttyNOPE9"))).toMatch(/^\/dev\/ttyNOPE9  unopenable: /);
    const snippet = JSON.parse(run.stdout.slice(run.stdout.indexOf("{"))) as { devices: { model: string; modems: string[] }[] };
    expect(snippet.devices).toEqual([{ id: "detected", title: "Detected modems", model: "pool", modems: [paths[0], paths[1]] }]);
  }, 60_000);

  it("a modem that answers ERROR to a bare AT is a modem (issue 18, defect 1)", async () => {
    const errat = served.farm.modem("errat");
    const found = await detectPort(served.pathOf("errat")!, 3_000);
    expect(found).toMatchObject({ outcome: "modem", imei: errat.imei });
    expect(found.detail).toBe(`SIMGATE VIRTUAL-3GPP, IMEI ${errat.imei}, SIM ready, ICCID ${errat.sim!.iccid}, IMSI ${errat.sim!.spec.imsi}, number ${errat.sim!.number}`);
  }, 30_000);

  it("a query that outlasts the budget: what was read is reported, and what timed out is named (issue 18, defect 6)", async () => {
    const slow = served.farm.modem("slowsim");
    const found = await detectPort(served.pathOf("slowsim")!, 1_500);
    expect(found).toMatchObject({ outcome: "modem", imei: slow.imei });
    expect(found.detail).toBe(`Quectel EC25, IMEI ${slow.imei} (SIM not complete within 1500 ms)`);
  }, 30_000);

  it("a modem nobody here wrote, replayed from its transcript on a pseudo-terminal, is detected with its identity and SIM", async () => {
    const transcript = parseTranscript(JSON.parse(readFileSync(join(ROOT, "test/fixtures/transcripts/identity-errors.json"), "utf8")));
    const replay = new ReplayModem(transcript);
    try {
      const path = await served.serveDevice("replay", replay);
      const found = await detectPort(path, 4_000);
      expect(found).toEqual({
        path,
        outcome: "modem",
        imei: "354833010202124",
        detail: "SAMSUNG ELECTRONICS CO., LTD. MULTIBAND  900E  1800, IMEI 354833010202124, SIM ready, ICCID 89324102234690160476, IMSI 001010123456789",
      });
    } finally {
      replay.stop();
    }
  }, 30_000);

  it("explains bad options", () => {
    const run = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "src/cli/main.ts"), "detect", "--timeout", "soon"], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/--timeout needs a number of ms/);
  }, 60_000);
});
