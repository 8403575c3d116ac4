import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

// protocol/ is pure and imports nothing of ours; drivers/ imports protocol/ only; hil/ (the
// simulator) imports protocol/ only; src/ may import all of them. Node's I/O modules stay out of protocol/.
const ROOT = join(import.meta.dirname, "..");
const files = (dir: string): string[] =>
  readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    return statSync(join(ROOT, path)).isDirectory() ? files(path) : path.endsWith(".ts") ? [path] : [];
  });
const imports = (file: string) =>
  [...readFileSync(join(ROOT, file), "utf8").matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g)].map((m) => m[1]!);
const layerOf = (file: string, spec: string) =>
  spec.startsWith(".") ? relative(ROOT, join(ROOT, file, "..", spec)).split("/")[0] : null;

/** Imports of our own code from `dir` that reach outside `allowed` layers (packages are fine). */
const foreignImports = (dir: string, allowed: readonly string[]) =>
  files(dir).flatMap((f) =>
    imports(f)
      .filter((s) => {
        const layer = layerOf(f, s);
        return layer !== null && layer !== undefined && !allowed.includes(layer);
      })
      .map((s) => `${f}: ${s}`),
  );

describe("layering", () => {
  it("protocol/ imports nothing of ours and no I/O", () => {
    const bad = files("protocol").flatMap((f) =>
      imports(f)
        .filter((s) => (layerOf(f, s) ?? "protocol") !== "protocol" || /^(node:)?(fs|net|child_process|tty|http|dgram)$|^serialport|^pg$|^kysely/.test(s))
        .map((s) => `${f}: ${s}`),
    );
    expect(bad).toEqual([]);
  });

  it("drivers/ imports protocol/ only", () => {
    expect(foreignImports("drivers", ["drivers", "protocol"])).toEqual([]);
  });

  // The simulator is a stand-in for hardware: it may read host input with protocol/, but it
  // must not share code with the drivers or the service it is used to test.
  it("hil/ imports protocol/ only", () => {
    expect(foreignImports("hil", ["hil", "protocol"])).toEqual([]);
  });

  // Production code reaches simulated devices through the registry's interfaces: only the
  // simulator's own CLI and the one wiring module may import hil/.
  it("src/ imports hil/ only from the simulator's CLI and src/devices/simulated.ts", () => {
    const importers = files("src").filter((f) => imports(f).some((s) => layerOf(f, s) === "hil"));
    expect(importers.sort()).toEqual(["src/cli/sim.ts", "src/devices/simulated.ts"]);
  });

  it("finds the protocol modules it checks", () => {
    expect(files("protocol").length).toBeGreaterThan(10);
  });
});
