import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Effect, Exit, Scope } from "effect";
import type { Kysely } from "kysely";
import { parseConfig } from "../../src/config/config";
import { startRegistry, type Registry } from "../../src/devices/registry";
import { startServiceScheduler, type ServiceScheduler } from "../../src/scheduler/service";
import { migrate, openStore } from "../../src/store/database";
import type { Database } from "../../src/store/schema";
import { throwawayDatabase } from "../support/postgres";

// Idle rotation on a simulated SR-Box-Bank (8 modems, 3 rows), and cardDirect's limit on it.
let database: Awaited<ReturnType<typeof throwawayDatabase>>;
let scope: Scope.CloseableScope;
let db: Kysely<Database>;
let registry: Registry;
let scheduler: ServiceScheduler;

beforeAll(async () => {
  database = await throwawayDatabase("simgate_rotation");
  scope = Effect.runSync(Scope.make());
  const config = parseConfig({ devices: [{ id: "box", model: "sr-box-bank", modems: "simulated", rows: 3, rotateEveryMs: 1000 }], demo: { smsEveryMs: 0, timing: "instant" } }, {}, "test");
  db = await Effect.runPromise(Scope.extend(openStore({ kind: "postgres", url: database.url }), scope));
  await Effect.runPromise(migrate(db));
  registry = await Effect.runPromise(Scope.extend(startRegistry(config, db), scope));
  scheduler = await Effect.runPromise(Scope.extend(startServiceScheduler(db, registry, { settleMs: 500, quietMs: 500 }), scope));
  await Effect.runPromise(scheduler.scanned);
}, 60_000);
afterAll(async () => {
  if (scope) await Effect.runPromise(Scope.close(scope, Exit.void));
  await database?.drop();
});

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
    const still = bank().positionOf(3);
    await new Promise((r) => setTimeout(r, 3_000));
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
