import { Effect, Exit, Scope } from "effect";
import type { Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/config";
import { startRegistry } from "../../src/devices/registry";
import { startServiceScheduler, type ServiceScheduler } from "../../src/scheduler/farm-scheduler";
import { migrate, openStore } from "../../src/store/database";
import type { Database } from "../../src/store/schema";
import { throwawayDatabase } from "../support/postgres";

// A number a client opened stays held across a restart of the service: the scheduler takes
// the hold again at start, and rotation does not move the card away.
let database: Awaited<ReturnType<typeof throwawayDatabase>>;
let storeScope: Scope.CloseableScope;
let db: Kysely<Database>;

beforeAll(async () => {
  database = await throwawayDatabase("simgate_holds");
  storeScope = Effect.runSync(Scope.make());
  db = await Effect.runPromise(Scope.extend(openStore({ kind: "postgres", url: database.url }), storeScope));
  await Effect.runPromise(migrate(db));
}, 60_000);
afterAll(async () => {
  if (storeScope) await Effect.runPromise(Scope.close(storeScope, Exit.void));
  await database?.drop();
});

/** The service's scheduler over a simulated SR-Box-Bank that rotates every second. */
const startService = async () => {
  const scope = Effect.runSync(Scope.make());
  const config = parseConfig({ devices: [{ id: "bank", model: "sr-box-bank", modems: "simulated", rows: 2, rotateEveryMs: 1000 }], demo: { smsEveryMs: 0, timing: "instant" } }, {}, "test");
  const registry = await Effect.runPromise(Scope.extend(startRegistry(config, db), scope));
  const scheduler: ServiceScheduler = await Effect.runPromise(Scope.extend(startServiceScheduler(db, registry, { settleMs: 500 }), scope));
  await Effect.runPromise(scheduler.scanned);
  return { scheduler, registry, stop: () => Effect.runPromise(Scope.close(scope, Exit.void)) };
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
      expect(await db.selectFrom("holds").selectAll().execute()).toEqual([]);
    } finally {
      await second.stop();
    }
  }, 90_000);
});
