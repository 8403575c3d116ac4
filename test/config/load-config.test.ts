import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/config";
import { loadConfig } from "../../src/config/load-config";

const dir = mkdtempSync(join(tmpdir(), "simgate-load-"));
const missing = join(dir, "none.json");
const refusal = (env: NodeJS.ProcessEnv) => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error("accepted");
};

describe("loading the configuration", () => {
  it("runs the demo farm without a file, its traffic and timing set by two variables", () => {
    const plain = loadConfig({ SIMGATE_CONFIG: missing });
    expect(plain.source).toBe(`no ${missing}: the demo farm`);
    expect([plain.config.demoSmsEveryMs, plain.config.simulatedTiming]).toEqual([30_000, "realistic"]);
    const set = loadConfig({ SIMGATE_CONFIG: missing, SIMGATE_DEMO_SMS_EVERY_MS: "0", SIMGATE_DEMO_TIMING: "instant" });
    expect([set.config.demoSmsEveryMs, set.config.simulatedTiming]).toEqual([0, "instant"]);
  });

  it("refuses a demo variable it cannot read, naming it and what it held", () => {
    expect(refusal({ SIMGATE_CONFIG: missing, SIMGATE_DEMO_SMS_EVERY_MS: "soon" })).toBe('SIMGATE_DEMO_SMS_EVERY_MS must be a whole number of ms (got "soon")');
    expect(refusal({ SIMGATE_CONFIG: missing, SIMGATE_DEMO_TIMING: "fast" })).toBe('SIMGATE_DEMO_TIMING must be instant or realistic (got "fast")');
  });

  it("reads the named file; a file that is not JSON, or a key it does not know, is refused with the file's name", () => {
    const good = join(dir, "good.json");
    writeFileSync(good, JSON.stringify({ devices: [{ id: "rack", model: "pool", modems: ["/dev/ttyUSB0"] }] }));
    expect(loadConfig({ SIMGATE_CONFIG: good })).toMatchObject({ source: good, config: { devices: [{ id: "rack" }] } });
    const broken = join(dir, "broken.json");
    writeFileSync(broken, "{ devices: ");
    expect(refusal({ SIMGATE_CONFIG: broken })).toMatch(new RegExp(`^${broken}: .*JSON`));
    const typo = join(dir, "typo.json");
    writeFileSync(typo, JSON.stringify({ devices: [{ id: "rack", model: "pool", modems: ["/dev/ttyUSB0"] }, { id: "b", model: "pool", modmes: ["/dev/ttyUSB1"] }] }));
    expect(refusal({ SIMGATE_CONFIG: typo })).toMatch(new RegExp(`^${typo}\\.devices\\[1\\]\\.modmes: unknown setting \\(known: id, title, model, modems,`));
  });
});
