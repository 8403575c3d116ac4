import { Effect } from "effect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestService, type TestService } from "../support/service";

// A rescan asked after start (the panel's Rescan) on a simulated SR-Box-Bank (8 modems,
// 3 rows) whose rotation is off: only the rescan can move a card, and it reads every row.
let service: TestService;

beforeAll(async () => {
  service = await startTestService("simgate_rescan", [{ id: "box", model: "sr-box-bank", modems: "simulated", rows: 3, rotateEveryMs: 0 }], { settleMs: 300, quietMs: 300 });
}, 60_000);
afterAll(async () => service?.close());

const bank = () => service.registry.farm!.banks.get("box")!;

describe("rescan", () => {
  it("switches every modem through every position again, once at a time; the rotation says it is off and the rescan runs", async () => {
    expect(service.scheduler.rotation("box")).toEqual({ everyMs: 0, nextAt: null, next: [], rescanning: false });
    const before = bank().positionOf(1);
    // Nothing moves by itself with the rotation off.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(bank().positionOf(1)).toBe(before);

    expect(await Effect.runPromise(service.scheduler.rescan("box"))).toBe(true);
    expect(service.scheduler.rotation("box")?.rescanning).toBe(true);
    expect(await Effect.runPromise(service.scheduler.rescan("box"))).toBe(false);
    const seen = new Set([before]);
    const deadline = Date.now() + 20_000;
    while (service.scheduler.rotation("box")?.rescanning && Date.now() < deadline) {
      seen.add(bank().positionOf(1));
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(service.scheduler.rotation("box")?.rescanning).toBe(false);
    expect([...seen].sort()).toEqual(["A1", "A2", "A3"]);
    await expect(Effect.runPromise(service.scheduler.rescan("nope"))).rejects.toThrow(/device nope/);
  }, 40_000);
});
