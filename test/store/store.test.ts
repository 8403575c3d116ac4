import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Effect, Exit, Fiber, Logger, Scope, TestClock, TestContext } from "effect";
import type { Kysely } from "kysely";
import { throwawayDatabase } from "../support/postgres";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { decodeSmsPdu } from "../../protocol/sms/decode";
import type { ReceivedPart } from "../../drivers/modem/sms-inbox";
import { migrate, openStore, type StoreTarget } from "../../src/store/database";
import type { Database } from "../../src/store/schema";
import { INCOMPLETE_RELEASE, makeStoreSink, releaseIncomplete, releaseIncompleteEvery } from "../../src/store/sms-sink";
import { buildDeliver } from "../../hil/network/pdu-builder";

// The store on both backends through one code path: embedded PGlite in a temporary directory,
// and the PostgreSQL server at 127.0.0.1:5432 with a throwaway database.

const backends: { name: string; target: () => Promise<{ target: StoreTarget; cleanup: () => Promise<void> }> }[] = [
  {
    name: "embedded PGlite",
    target: async () => ({ target: { kind: "embedded", dataDir: mkdtempSync(join(tmpdir(), "simgate-store-")) }, cleanup: async () => {} }),
  },
  {
    name: "PostgreSQL server",
    target: async () => {
      const database = await throwawayDatabase("simgate_test");
      return { target: { kind: "postgres", url: database.url }, cleanup: database.drop };
    },
  },
];

/** A received part as the inbox hands it over, built from the simulator's PDU builder. */
const part = (iccid: string, from: string, text: string, concat?: { ref: number; seq: number; total: number }, at = new Date("2026-11-24T10:00:00Z")): ReceivedPart => {
  const built = buildDeliver({ smsc: "+10010000001", from, text, alphabet: "gsm7", at, offsetMinutes: 0, ...(concat ? { concat } : {}) });
  const pdu = decodeSmsPdu(built.pdu, { hasSmsc: true });
  if (!pdu.ok) throw pdu.error;
  return { iccid, storage: "SM", index: 0, pdu: pdu.value, raw: built.pdu };
};

for (const backend of backends) {
  describe(`store on ${backend.name}`, () => {
    let scope: Scope.CloseableScope;
    let db: Kysely<Database>;
    let cleanup: () => Promise<void>;
    const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect);

    beforeAll(async () => {
      const made = await backend.target();
      cleanup = made.cleanup;
      scope = Effect.runSync(Scope.make());
      db = await Effect.runPromise(Scope.extend(openStore(made.target), scope));
    }, 60_000);
    afterAll(async () => {
      if (scope) await Effect.runPromise(Scope.close(scope, Exit.void));
      await cleanup?.();
    });
    beforeEach(async () => {
      await run(migrate(db));
      await db.deleteFrom("sms_parts").execute();
      await db.deleteFrom("sms_in").execute();
    });

    it("applies the migrations once; running them again applies nothing", async () => {
      const again = await run(migrate(db));
      expect(again.applied).toEqual([]);
      const tables = await db.introspection.getTables();
      expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(["sms_parts", "sms_in", "sms_out", "sim_cards", "jobs", "outbox", "pools", "pool_cards", "api_users", "events"]));
    });

    it("stores a part read twice (a crash between storing and deleting) once", async () => {
      const sink = makeStoreSink(db, { device: "test", modem: 1 });
      const p = part("8900101", "+15550001111", "Your code is 4856");
      await run(sink.storePart(p));
      await run(sink.storePart(p));
      expect(await db.selectFrom("sms_parts").select("id").execute()).toHaveLength(1);
      const messages = await db.selectFrom("sms_in").selectAll().execute();
      expect(messages.map((m) => [m.sender, m.text, m.parts])).toEqual([["+15550001111", "Your code is 4856", 1]]);
      expect(messages[0]!.sent_at?.toISOString()).toBe("2026-11-24T10:00:00.000Z");
    });

    it("joins parts that come out of order into one message, once, even when one is read again", async () => {
      const sink = makeStoreSink(db, { device: "test", modem: 1 });
      const texts = ["part one. ", "part two. ", "part three."];
      const parts = texts.map((t, i) => part("8900102", "+15550002222", t, { ref: 7, seq: i + 1, total: 3 }));
      for (const i of [2, 0, 2, 1]) await run(sink.storePart(parts[i]!));
      const messages = await db.selectFrom("sms_in").selectAll().execute();
      expect(messages.map((m) => [m.text, m.parts, m.missing])).toEqual([[texts.join(""), 3, []]]);
      await run(sink.storePart(parts[1]!));
      expect(await db.selectFrom("sms_in").select("id").execute()).toHaveLength(1);
    });

    it("releases a message whose part never came with the gap marked; the late part fills it", async () => {
      const sink = makeStoreSink(db, { device: "test", modem: 1 });
      const texts = ["alpha ", "beta ", "gamma"];
      const parts = texts.map((t, i) => part("8900103", "+15550003333", t, { ref: 9, seq: i + 1, total: 3 }));
      await run(sink.storePart(parts[0]!));
      await run(sink.storePart(parts[2]!));
      expect(await run(releaseIncomplete(db, 60_000))).toBe(0);
      expect(await run(releaseIncomplete(db, 0))).toBe(1);
      // Released once: its parts now belong to the message.
      expect(await run(releaseIncomplete(db, 0))).toBe(0);
      const released = await db.selectFrom("sms_in").selectAll().executeTakeFirstOrThrow();
      expect([released.text, released.missing]).toEqual(["alpha [part 2 of 3 missing]gamma", [2]]);
      await run(sink.storePart(parts[1]!));
      const filled = await db.selectFrom("sms_in").selectAll().execute();
      expect(filled.map((m) => [m.text, m.missing])).toEqual([["alpha beta gamma", []]]);
    });

    it("releases overdue messages at once and then every sweepEveryMs of Effect's clock", async () => {
      const sink = makeStoreSink(db, { device: "test", modem: 1 });
      const firstOfTwo = (ref: number) => part("8900105", "+15550006666", `first of ${ref} `, { ref, seq: 1, total: 2 });
      const released = () => Effect.promise(() => db.selectFrom("sms_in").select("text").orderBy("id").execute());
      /** The loop's round runs on its own fiber: looked at until it has written, on the real clock. */
      const untilReleased = (count: number) =>
        Effect.promise(async () => {
          const deadline = Date.now() + 10_000;
          while ((await db.selectFrom("sms_in").select("id").execute()).length < count) {
            if (Date.now() > deadline) throw new Error(`${count} released messages never appeared`);
            await new Promise((r) => setTimeout(r, 10));
          }
        });
      await run(sink.storePart(firstOfTwo(1)));
      await run(
        Effect.gen(function* () {
          const loop = yield* Effect.fork(releaseIncompleteEvery(db, { timeoutMs: 0, sweepEveryMs: 60_000 }));
          yield* untilReleased(1);
          yield* Effect.promise(() => run(sink.storePart(firstOfTwo(2))));
          // The loop asleep until its next round (moving the clock before would move it past nothing).
          while ((yield* TestClock.sleeps()).length === 0) yield* Effect.promise(() => new Promise((r) => setTimeout(r, 5)));
          // Only Effect's clock moves: a loop that slept on wall time would not come round within the test.
          yield* TestClock.adjust("60 seconds");
          yield* untilReleased(2);
          expect((yield* released()).map((r) => r.text)).toEqual(["first of 1 [part 2 of 2 missing]", "first of 2 [part 2 of 2 missing]"]);
          yield* Fiber.interrupt(loop);
        }).pipe(Effect.provide(TestContext.TestContext)),
      );
      // The service's defaults, as before they had names.
      expect(INCOMPLETE_RELEASE).toEqual({ timeoutMs: 600_000, sweepEveryMs: 60_000 });
    });

    it("logs a failed release round once with its reason, says when it works again, and then releases", async () => {
      const sink = makeStoreSink(db, { device: "test", modem: 1 });
      await run(sink.storePart(part("8900106", "+15550007777", "lonely ", { ref: 9, seq: 1, total: 2 })));
      // The database refuses every query while `down` (as a dropped connection would);
      // each round's first query is refused, so `refused` counts the failed rounds.
      let down = true;
      let refused = 0;
      const flaky = db.withPlugin({
        transformQuery: (args) => {
          if (down) {
            refused++;
            throw new Error("Connection terminated unexpectedly");
          }
          return args.node;
        },
        transformResult: async (args) => args.result,
      });
      const lines: string[] = [];
      const logger = Logger.replace(Logger.defaultLogger, Logger.make(({ logLevel, message }) => lines.push(`${logLevel.label} ${String(message)}`)));
      await run(
        Effect.gen(function* () {
          const loop = yield* Effect.fork(releaseIncompleteEvery(flaky, { timeoutMs: 0, sweepEveryMs: 1_000 }));
          // A round is over once the loop sleeps on Effect's clock (its query is real I/O,
          // so that is looked for on the wall clock); then the clock moves to the next.
          const asleep = Effect.gen(function* () {
            while ((yield* TestClock.sleeps()).length === 0) yield* Effect.promise(() => new Promise((r) => setTimeout(r, 5)));
          });
          const nextRound = asleep.pipe(Effect.zipRight(TestClock.adjust("1 second")), Effect.zipRight(asleep));
          yield* asleep;
          yield* nextRound;
          yield* nextRound;
          expect(refused).toBe(3);
          expect(lines).toEqual(["WARN inbound: releasing incomplete messages failed: Connection terminated unexpectedly; tried again every 1 s"]);
          expect(yield* Effect.promise(() => db.selectFrom("sms_in").select("id").execute())).toEqual([]);
          down = false;
          yield* nextRound;
          yield* Fiber.interrupt(loop);
        }).pipe(Effect.provide(TestContext.TestContext), Effect.provide(logger)),
      );
      expect(lines.slice(1)).toEqual(["INFO inbound: the release of incomplete long messages works again", "INFO inbound: 1 long message(s) released with their missing parts marked"]);
      expect((await db.selectFrom("sms_in").select("text").execute()).map((r) => r.text)).toEqual(["lonely [part 2 of 2 missing]"]);
    });

    it("keeps two senders' parts with the same reference apart", async () => {
      const sink = makeStoreSink(db, { device: "test", modem: 1 });
      for (const [from, word] of [["+15550004444", "one"], ["+15550005555", "two"]] as const)
        for (const seq of [1, 2]) await run(sink.storePart(part("8900104", from, `${word}${seq} `, { ref: 1, seq, total: 2 })));
      const messages = await db.selectFrom("sms_in").select(["sender", "text"]).orderBy("sender").execute();
      expect(messages).toEqual([
        { sender: "+15550004444", text: "one1 one2 " },
        { sender: "+15550005555", text: "two1 two2 " },
      ]);
    });
  });
}
