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

  // Inside src/: main and cli compose; the facades (api, panel, console) call services;
  // services call each other and the base; config and store import no service. A new
  // directory must be given a layer here (the README's "Layers" section draws the map).
  const SRC_LAYERS: Readonly<Record<string, "compose" | "facade" | "service" | "base">> = {
    "main.ts": "compose",
    app: "compose",
    cli: "compose",
    api: "facade",
    panel: "facade",
    console: "facade",
    access: "service",
    cards: "service",
    devices: "service",
    events: "service",
    hosts: "service",
    jobs: "service",
    messages: "service",
    notify: "service",
    pools: "service",
    scheduler: "service",
    config: "base",
    log: "base",
    store: "base",
  };
  const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
    compose: ["compose", "facade", "service", "base"],
    facade: ["facade", "service", "base"],
    service: ["service", "base"],
    base: ["base"],
  };
  const srcPart = (file: string, spec: string) => {
    const path = relative(join(ROOT, "src"), join(ROOT, file, "..", spec));
    return path.startsWith("..") ? null : path.split("/")[0]!.replace(/^main$/, "main.ts");
  };

  it("every directory of src/ has a layer in the map", () => {
    const parts = files("src").map((f) => f.split("/")[1]!);
    expect([...new Set(parts)].filter((p) => !(p in SRC_LAYERS))).toEqual([]);
  });

  it("src/ keeps its layer map: facades call services, services call the base, config and store import no service", () => {
    const bad = files("src").flatMap((f) => {
      const from = SRC_LAYERS[f.split("/")[1]!]!;
      return imports(f)
        .filter((s) => s.startsWith("."))
        .map((s) => [s, srcPart(f, s)] as const)
        .filter(([, part]) => part !== null && !MAY_IMPORT[from]!.includes(SRC_LAYERS[part] ?? "?"))
        .map(([s, part]) => `${f} (${from}) imports ${s} (${SRC_LAYERS[part!] ?? "no layer"})`);
    });
    expect(bad).toEqual([]);
  });

  // Command handlers see the modem through CommandContext (hil/modem/command-context.ts), so
  // the modem, its command table and the personalities do not import one another. Type-only
  // imports count too: a reader follows them as well.
  it("hil/modem/ has no import cycle", () => {
    const inside = new Set(files("hil/modem"));
    const targets = (file: string) =>
      imports(file)
        .filter((s) => s.startsWith("."))
        .map((s) => relative(ROOT, join(ROOT, file, "..", s)))
        .map((p) => [`${p}.ts`, join(p, "index.ts"), p].find((c) => inside.has(c)))
        .filter((p): p is string => p !== undefined);
    const cycles: string[] = [];
    const finished = new Set<string>();
    const visit = (file: string, path: readonly string[]): void => {
      const at = path.indexOf(file);
      if (at >= 0) return void cycles.push([...path.slice(at), file].join(" -> "));
      if (finished.has(file)) return;
      for (const next of targets(file)) visit(next, [...path, file]);
      finished.add(file);
    };
    for (const file of inside) visit(file, []);
    expect(inside.has("hil/modem/commands/sms.ts")).toBe(true);
    expect(cycles).toEqual([]);
  });

  it("finds the protocol modules it checks", () => {
    expect(files("protocol").length).toBeGreaterThan(10);
  });
});
