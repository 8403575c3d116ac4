import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "@effect/vitest";
import { afterAll, beforeAll } from "vitest";
import { Effect, TestClock } from "effect";
import { sql } from "kysely";
import { hashKey } from "../../src/access/keys";
import { notifyRetryDelayMs, runNotifier } from "../../src/notify/webhooks";
import { pollingOnly } from "../../src/store/wakeups";
import { useMigratedDatabase } from "../support/migrated-database";
import { sleepingBeyond, untilReal } from "../support/test-clock";

// The notifier's retry timing: the backoff is a named schedule, and the loop sleeps on
// Effect's Clock until the next row is due (read from the database, which every host's
// notifier shares), so TestClock decides when it looks again.
const store = useMigratedDatabase("simgate_notifier_clock");
let receiver: Server;
let posts = 0;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      posts++;
      res.writeHead(503).end("down for maintenance");
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
});
afterAll(async () => new Promise((r) => receiver?.close(r)));

describe("the retry schedule", () => {
  it("starts at firstRetryMs, doubles with each failure, and stops growing at maxRetryMs", () => {
    expect([0, 1, 2, 3].map((a) => notifyRetryDelayMs(a))).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(notifyRetryDelayMs(8)).toBe(256_000);
    expect(notifyRetryDelayMs(9)).toBe(300_000);
    expect(notifyRetryDelayMs(30)).toBe(300_000);
    expect(notifyRetryDelayMs(2, { firstRetryMs: 50, maxRetryMs: 150 })).toBe(150);
  });
});

describe("a receiver that refuses", () => {
  it.scoped("is not tried again before its backoff has passed on the clock, and is once it has", () =>
    Effect.gen(function* () {
      const db = store.db();
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
      const row = yield* Effect.promise(async () => {
        const user = await db.insertInto("api_users").values({ name: "dana", key_hash: hashKey("dana-key-000000001") }).returning("id").executeTakeFirstOrThrow();
        await db.insertInto("settings").values({ key: `notify:${user.id}`, value: JSON.stringify({ url, format: "json", events: {} }) }).execute();
        return db.insertInto("outbox").values({ user_id: user.id, event_id: null, event: "test", payload: JSON.stringify({ test: true }) }).returning("id").executeTakeFirstOrThrow();
      });
      const outbox = Effect.promise(() => db.selectFrom("outbox").select(["attempts", "delivered_at", "last_error"]).where("id", "=", row.id).executeTakeFirstOrThrow());

      // A fallback poll far away: only the row's backoff wakes the loop.
      yield* runNotifier(db, { wakeups: pollingOnly, pollMs: 600_000, firstRetryMs: 10_000 });
      yield* untilReal(Effect.map(outbox, (o) => o.attempts === 1), "the first failure recorded");
      expect(posts).toBe(1);
      expect((yield* outbox).last_error).toBe("HTTP 503: down for maintenance");
      // Asleep until the row's backoff ends (10 s, less the real time its reads took).
      yield* untilReal(sleepingBeyond(9_000), "the loop asleep until the retry");

      // Due now by the database: only the loop's own sleep keeps it from trying again.
      yield* Effect.promise(() => db.updateTable("outbox").set({ next_attempt_at: sql<Date>`now()` }).where("id", "=", row.id).execute());
      yield* TestClock.adjust("9 seconds");
      expect(yield* sleepingBeyond(0)).toBe(true);
      expect(posts).toBe(1);

      yield* TestClock.adjust("1 second");
      yield* untilReal(Effect.map(outbox, (o) => o.attempts === 2), "the retry after the backoff");
      expect(posts).toBe(2);
      // The next backoff doubles: the loop sleeps about 20 s now.
      yield* untilReal(sleepingBeyond(19_000), "the loop asleep until the second retry");
      expect(yield* sleepingBeyond(20_000)).toBe(false);
      expect((yield* outbox).delivered_at).toBeNull();
    }),
    20_000,
  );
});
