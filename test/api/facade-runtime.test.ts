/**
 * The facades run their effects in the runtime the service hands them (src/app/http-layer.ts),
 * so what those effects log reaches the service's logger at its level, not Effect's default
 * logger on stdout.
 */
import { Effect, Layer, LogLevel, Runtime } from "effect";
import { describe, expect, it } from "vitest";
import { run, type SimFolderContext } from "../../src/api/simfolder/context";
import { serviceLogging } from "../../src/log/logger";
import { runIn, type PanelContext } from "../../src/panel/context";

const capturing = async (level: LogLevel.LogLevel) => {
  const lines: string[] = [];
  const runtime = await Effect.runPromise(Effect.scoped(Layer.toRuntime(serviceLogging(level, { write: (t) => lines.push(t), isTTY: false }))));
  return { lines, runtime: runtime as Runtime.Runtime<never> };
};

describe("the facades' runtime", () => {
  it("a SimFolder method's effect logs through the service's logger, as JSON, at its level", async () => {
    const { lines, runtime } = await capturing(LogLevel.Warning);
    const ctx = { runtime } as unknown as SimFolderContext;
    await run(ctx, Effect.logWarning("claim refused").pipe(Effect.annotateLogs({ device: "bank" })));
    await run(ctx, Effect.logInfo("below the level"));
    expect(lines.map((l) => JSON.parse(l))).toEqual([expect.objectContaining({ level: "warn", message: "claim refused", device: "bank" })]);
  });

  it("a panel page's effect too", async () => {
    const { lines, runtime } = await capturing(LogLevel.Info);
    await runIn({ runtime } as unknown as PanelContext)(Effect.logInfo("rescan asked"));
    expect(lines.map((l) => JSON.parse(l).message)).toEqual(["rescan asked"]);
  });
});
