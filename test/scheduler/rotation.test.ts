import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Registry } from "../../src/devices/registry";
import type { ServiceScheduler } from "../../src/scheduler/farm-scheduler";
import { startTestService, type TestService } from "../support/service";

// Idle rotation on a simulated SR-Box-Bank (8 modems, 3 rows), and cardDirect's limit on it.
let service: TestService;
let registry: Registry;
let scheduler: ServiceScheduler;

beforeAll(async () => {
  service = await startTestService("simgate_rotation", [{ id: "box", model: "sr-box-bank", modems: "simulated", rows: 3, rotateEveryMs: 1000 }], { settleMs: 500, quietMs: 500 });
  ({ registry, scheduler } = service);
}, 60_000);
afterAll(async () => service?.close());

const bank = () => registry.farm!.banks.get("box")!;

describe("rotation", () => {
  it("with nothing held, every modem moves on to its next card in turn", async () => {
    const before = bank().positionOf(1);
    const seen = new Set([before]);
    const deadline = Date.now() + 10_000;
    while (seen.size < 3 && Date.now() < deadline) {
      seen.add(bank().positionOf(1));
      await new Promise((r) => setTimeout(r, 50));
    }
    expect([...seen].sort()).toEqual(["A1", "A2", "A3"]);
  });

  it("cardDirect's limit: only the chosen cards come round; modems with none chosen stay put", async () => {
    scheduler.rotateOnly("box", ["A2", "B3"]);
    // Until the chosen cards are in, then a few rotation periods to see nothing else comes round.
    const deadline = Date.now() + 8_000;
    while (!(bank().positionOf(1) === "A2" && bank().positionOf(2) === "B3") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    // Read after any step that was under way when the limit came.
    const still = bank().positionOf(3);
    const positions = new Set<string>();
    const until = Date.now() + 3_000;
    while (Date.now() < until) {
      positions.add(`${bank().positionOf(1)} ${bank().positionOf(2)} ${bank().positionOf(3)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect([...positions]).toEqual([`A2 B3 ${still}`]);
    scheduler.rotateOnly("box", null);
  }, 15_000);
});
