import { describe, expect, it } from "@effect/vitest";
import { afterAll, beforeAll } from "vitest";
import { Context, Effect, Exit, Option, Scope, SubscriptionRef, TestClock } from "effect";
import { BankError } from "../../drivers/bank/sim-bank-driver";
import type { Registry } from "../../src/devices/registry";
import { DeviceRegistry } from "../../src/devices/registry-service";
import { startScheduler, type ManagedDevice, type Scheduler } from "../../src/scheduler/scheduler";
import { eventually } from "../support/eventually";
import { buildLayers, testRegistry } from "../support/layers";
import { useMigratedDatabase } from "../support/migrated-database";
import { sleepingBeyond, untilReal } from "../support/test-clock";

// The idle rotation on TestClock, over a simulated SR-Box-Bank (8 modems, each switched on
// its own between its 2 cards). The modems and the bank's line run in real time (they answer
// at once); the scheduler runs on the test's clock, so the rotation's dwell passes only when
// the test moves it. The registry is the service's layer; the scheduler under test is built
// here, over a driver that counts the bank's switches.
const EVERY_MS = 60_000;
const store = useMigratedDatabase("simgate_rotation_clock");
let scope: Scope.CloseableScope;
let registry: Registry;

beforeAll(async () => {
  scope = Effect.runSync(Scope.make());
  const built = await buildLayers(testRegistry(store.db(), [{ id: "box", model: "sr-box-bank", modems: "simulated", rows: 2, rotateEveryMs: 0 }]), scope);
  registry = Context.get(built, DeviceRegistry);
  await registry.farm!.settled();
  // Every modem's actor up with its card read, so the scheduler's first wait is for nothing.
  const ready = (n: number) =>
    Effect.runSync(
      Effect.flatMap(SubscriptionRef.get(registry.devices[0]!.modems[n]!.supervised.actor), (a) =>
        Option.isSome(a) ? Effect.map(SubscriptionRef.get(a.value.state), (s) => s.sim?.lock === "READY") : Effect.succeed(false),
      ),
    );
  await eventually(() => registry.devices[0]!.modems.every((_, n) => ready(n)), "every modem with its card read", 20_000);
}, 60_000);
afterAll(async () => {
  if (scope) await Effect.runPromise(Scope.close(scope, Exit.void));
});

const bank = () => registry.farm!.banks.get("box")!;
/** Where each modem stands, by the simulated bank itself. */
const standing = () => Array.from({ length: 8 }, (_, i) => bank().positionOf(i + 1));

/**
 * The scheduler over the bank, on the test's clock, counting the bank's switches; `refusing`:
 * a controller that answers nothing (every switch fails, the bank is not touched).
 */
const startOnTestClock = (options: { readonly refusing?: boolean } = {}) =>
  Effect.gen(function* () {
    const device = registry.devices[0]!;
    const switched: string[] = [];
    const managed: ManagedDevice = {
      key: "box",
      driver: {
        ...device.driver,
        select: (position, at) =>
          Effect.zipRight(
            Effect.sync(() => switched.push(position)),
            options.refusing ? Effect.fail(new BankError({ reason: "no-answer", detail: `${position}: nothing in 3000 ms` })) : device.driver.select(position, at),
          ),
      },
      modems: device.modems,
      rotateEveryMs: EVERY_MS,
    };
    const scheduler: Scheduler = yield* startScheduler([managed], { settleMs: 2_000, quietMs: 2_000 });
    return { scheduler, switched };
  });

/** The rotation's next step is due at `at` (on the test's clock): the step before it is over. */
const dueAt = (scheduler: Scheduler, at: number) => untilReal(Effect.sync(() => scheduler.rotation("box")?.nextAt === at), `the rotation due at ${at}`);

describe("the idle rotation on the scheduler's clock", () => {
  it.scoped(
    "scans every position without a dwell, waits everyMs before a step, and then moves every modem on",
    () =>
      Effect.gen(function* () {
        const { scheduler, switched } = yield* startOnTestClock();
        // The start-up scan runs to its end with the clock standing still: no dwell.
        yield* scheduler.scanned;
        expect(new Set(switched)).toEqual(new Set(bank().layout.positions));
        yield* dueAt(scheduler, EVERY_MS);

        const before = standing();
        const scanned = switched.length;
        yield* TestClock.adjust(EVERY_MS - 1);
        // Nothing is due, so nothing may start; absence is only seen over a (real) while.
        yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 200)));
        expect(switched.length).toBe(scanned);
        expect(standing()).toEqual(before);
        expect(scheduler.rotation("box")?.nextAt).toBe(EVERY_MS);

        yield* TestClock.adjust(1);
        yield* dueAt(scheduler, 2 * EVERY_MS);
        expect(switched.length).toBe(scanned + 8);
        const after = standing();
        after.forEach((p, i) => expect(p, `modem ${i + 1}`).not.toBe(before[i]));

        // And the next step after another everyMs, back to the first cards (2 per modem).
        yield* TestClock.adjust(EVERY_MS);
        yield* dueAt(scheduler, 3 * EVERY_MS);
        expect(standing()).toEqual(before);
      }),
    30_000,
  );

  it.scoped(
    "a hold keeps its modem where it is across every step; the other modems rotate",
    () =>
      Effect.gen(function* () {
        const { scheduler } = yield* startOnTestClock();
        yield* scheduler.scanned;
        yield* dueAt(scheduler, EVERY_MS);
        // Modem 3's other card, held: switched in, then pinned.
        const held = bank().reachable(3).find((p) => p !== bank().positionOf(3))!;
        expect(yield* scheduler.hold("box", held, "client")).toBe(3);
        const before = standing();
        expect(before[2]).toBe(held);

        for (let step = 1; step <= 3; step++) {
          yield* TestClock.adjust(EVERY_MS);
          yield* dueAt(scheduler, (step + 1) * EVERY_MS);
          const now = standing();
          expect(now[2], `the held modem after step ${step}`).toBe(held);
          expect(scheduler.place("box", held)).toMatchObject({ modem: 3, hold: { holder: "client", state: "online" } });
          // The others alternate between their two cards.
          now.forEach((p, i) => i !== 2 && expect(p, `modem ${i + 1} after step ${step}`).toBe(step % 2 === 1 ? bank().reachable(i + 1).find((q) => q !== before[i]) : before[i]));
        }

        // Let go: the next step moves it on too.
        yield* scheduler.release("box", held, "client");
        yield* TestClock.adjust(EVERY_MS);
        yield* dueAt(scheduler, 5 * EVERY_MS);
        expect(standing()[2]).not.toBe(held);
      }),
    30_000,
  );

  it.scoped(
    "cardDirect's limit: only the chosen cards come round, at the steps' times; modems with none chosen stay put",
    () =>
      Effect.gen(function* () {
        const { scheduler } = yield* startOnTestClock();
        yield* scheduler.scanned;
        yield* dueAt(scheduler, EVERY_MS);
        const before = standing();
        const [one, two] = [bank().reachable(1).find((p) => p !== before[0])!, bank().reachable(2).find((p) => p !== before[1])!];
        scheduler.rotateOnly("box", [one, two]);
        expect(scheduler.rotation("box")?.next).toEqual([one, two]);
        for (let step = 1; step <= 3; step++) {
          yield* TestClock.adjust(EVERY_MS);
          yield* dueAt(scheduler, (step + 1) * EVERY_MS);
          expect(standing(), `after step ${step}`).toEqual([one, two, ...before.slice(2)]);
        }
        scheduler.rotateOnly("box", null);
      }),
    30_000,
  );

  it.scoped(
    "a controller that refuses every switch: the scan pauses 1 s, then 2 s, on the clock, and gives up after three rounds",
    () =>
      Effect.gen(function* () {
        const { scheduler, switched } = yield* startOnTestClock({ refusing: true });
        const scanned = yield* Effect.fork(scheduler.scanned);
        yield* untilReal(Effect.sync(() => switched.length === 8), "the first round of switches");
        yield* untilReal(sleepingBeyond(999), "the pause after the first round");
        yield* TestClock.adjust(999);
        expect(switched.length).toBe(8);
        yield* TestClock.adjust(1);
        yield* untilReal(Effect.sync(() => switched.length === 16), "the second round");
        yield* untilReal(sleepingBeyond(1_999), "the longer pause after the second round");
        expect(scanned.unsafePoll()).toBeNull();
        yield* TestClock.adjust(2_000);
        yield* untilReal(Effect.sync(() => scanned.unsafePoll() !== null), "the scan given up");
        expect(switched.length).toBe(24);
        // The idle rotation takes over, due everyMs after.
        yield* dueAt(scheduler, 3_000 + EVERY_MS);
      }),
    30_000,
  );
});
