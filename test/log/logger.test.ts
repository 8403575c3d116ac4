import { Effect, LogLevel } from "effect";
import { describe, expect, it } from "vitest";
import { logLevelFrom, serviceLogging } from "../../src/log/logger";

const capture = (isTTY: boolean) => {
  const lines: string[] = [];
  return { sink: { isTTY, write: (text: string) => lines.push(text) }, lines };
};

describe("the service's log", () => {
  it("writes JSON lines with the level and the annotations when stderr is not a terminal", () => {
    const { sink, lines } = capture(false);
    Effect.runSync(Effect.logWarning("SIM bank: the controller's line is gone").pipe(Effect.annotateLogs({ device: "train", modem: 3 }), Effect.provide(serviceLogging(LogLevel.Info, sink))));
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith("\n")).toBe(true);
    expect(JSON.parse(lines[0]!)).toEqual({ time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), level: "warn", message: "SIM bank: the controller's line is gone", device: "train", modem: 3 });
  });

  it("writes readable text on a terminal, with the failure's cause under the line", () => {
    const { sink, lines } = capture(true);
    Effect.runSync(Effect.logError("a job run failed", new Error("the port is gone")).pipe(Effect.annotateLogs({ device: "rack" }), Effect.provide(serviceLogging(LogLevel.Info, sink))));
    expect(lines[0]).toMatch(/^\S+Z ERROR \[device=rack\] a job run failed Error: the port is gone/);
  });

  it("leaves out what is below the least level, and refuses a level it does not know", () => {
    const { sink, lines } = capture(false);
    Effect.runSync(Effect.zipRight(Effect.logInfo("routine"), Effect.logWarning("worth a look")).pipe(Effect.provide(serviceLogging(logLevelFrom({ SIMGATE_LOG_LEVEL: "warning" }), sink))));
    expect(lines.map((l) => JSON.parse(l).message)).toEqual(["worth a look"]);
    expect(logLevelFrom({})).toBe(LogLevel.Info);
    expect(() => logLevelFrom({ SIMGATE_LOG_LEVEL: "loud" })).toThrow(/must be debug, info, warning or error \(got "loud"\)/);
  });
});
