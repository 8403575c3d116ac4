import { Context, Effect, Exit, Scope } from "effect";
import { describe, expect, it } from "vitest";
import { DeviceRegistry } from "../../src/devices/registry-service";
import { FarmScheduler } from "../../src/scheduler/scheduler-service";
import { buildLayers, testFarm } from "../support/layers";
import { useMigratedDatabase } from "../support/migrated-database";

// A number a client opened stays held across a restart of the service: the scheduler takes
// the hold again at start, and rotation does not move the card away.
const store = useMigratedDatabase("simgate_holds");

/** The service's farm layers over a simulated SR-Box-Bank that rotates every second. */
const startService = async () => {
  const scope = Effect.runSync(Scope.make());
  const farm = testFarm(store.db(), [{ id: "bank", model: "sr-box-bank", modems: "simulated", rows: 2, rotateEveryMs: 1000 }], { scheduler: { settleMs: 500 } });
  const built = await buildLayers(farm, scope);
  const scheduler = Context.get(built, FarmScheduler);
  await Effect.runPromise(scheduler.scanned);
  return { scheduler, registry: Context.get(built, DeviceRegistry), stop: () => Effect.runPromise(Scope.close(scope, Exit.void)) };
};

const until = async (check: () => boolean, what: string, timeoutMs = 20_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(what);
    await new Promise((r) => setTimeout(r, 25));
  }
};

describe("holds across a restart", () => {
  it("a pool's hold is taken again at start and keeps its card on its modem; a released one is gone", async () => {
    const first = await startService();
    const positions = first.registry.farm!.banks.get("bank")!.layout.positions;
    const [held, other] = [positions.at(-1)!, positions.at(-2)!];
    await Effect.runPromise(first.scheduler.hold("bank", held, "sr-pool:1"));
    await Effect.runPromise(first.scheduler.hold("bank", other, "user:7"));
    await Effect.runPromise(first.scheduler.release("bank", other, "user:7"));
    await first.stop();

    const second = await startService();
    try {
      await until(() => second.scheduler.place("bank", held)?.hold?.state === "online", `the hold on ${held} was not taken again`);
      expect(second.scheduler.place("bank", held)?.hold?.holder).toBe("sr-pool:1");
      expect(second.scheduler.place("bank", other)?.hold).toBeNull();
      // Rotation runs, and the held card stays on its modem.
      const modem = second.scheduler.place("bank", held)!.modem;
      await new Promise((r) => setTimeout(r, 2_500));
      expect(second.scheduler.place("bank", held)).toMatchObject({ modem, hold: { holder: "sr-pool:1", state: "online" } });
      await Effect.runPromise(second.scheduler.release("bank", held, "sr-pool:1"));
      expect(await store.db().selectFrom("holds").selectAll().execute()).toEqual([]);
    } finally {
      await second.stop();
    }
  }, 90_000);
});
