import { describe, expect, it } from "@effect/vitest";
import { Effect, TestClock } from "effect";
import { sql } from "kysely";
import type { Registry } from "../../src/devices/registry";
import { enqueueCardWork, runCardJobs } from "../../src/jobs/card-jobs";
import { enqueueSms, runSmsSender } from "../../src/jobs/sms-sender";
import { useMigratedDatabase } from "../support/migrated-database";
import { sleepingBeyond, untilReal } from "../support/test-clock";

// The workers' give-up on a card that is in no modem, driven by TestClock: the wait for the
// card (cardAwaitMs) and the give-up (cardWaitMs) are the worker's own time; when the job is
// due again is the database's (the test makes it due there instead of waiting).
const store = useMigratedDatabase("simgate_card_wait_clock");
const noModems: Registry = { modems: [], devices: [], farm: null };

/** The newest job of `kind`, with the test clock set to when it was made. */
const newestJobFrom = (kind: string) =>
  Effect.gen(function* () {
    const job = yield* Effect.promise(() => store.db().selectFrom("jobs").select(["id", "created_at"]).where("kind", "=", kind).orderBy("id", "desc").limit(1).executeTakeFirstOrThrow());
    yield* TestClock.setTime(job.created_at.getTime());
    return job;
  });

/** Due again now by the database's clock (the test does not wait out the retry delay). */
const dueNow = (id: number) => Effect.promise(() => store.db().updateTable("jobs").set({ run_after: sql<Date>`now()` }).where("id", "=", id).execute());

describe("a message for a card that is in no modem", () => {
  it.scoped("goes back to the queue after cardAwaitMs, and fails only once cardWaitMs has passed on the clock", () =>
    Effect.gen(function* () {
      const db = store.db();
      const smsId = yield* enqueueSms(db, { iccid: "8970100000000000042", to: "+15550001111", text: "hello" });
      const job = yield* newestJobFrom("sms-send");
      const jobRow = Effect.promise(() => db.selectFrom("jobs").select(["state", "last_error"]).where("id", "=", job.id).executeTakeFirstOrThrow());
      const smsRow = Effect.promise(() => db.selectFrom("sms_out").select(["state", "error"]).where("id", "=", smsId).executeTakeFirstOrThrow());

      yield* runSmsSender(db, noModems, { pollMs: 100, cardAwaitMs: 7_000, cardWaitMs: 10_000 });
      // The run is waiting for the card (its 7 s limit is the only sleep that long).
      yield* untilReal(sleepingBeyond(1_000), "the run waiting for its card");
      expect((yield* jobRow).state).toBe("running");

      yield* TestClock.adjust("7 seconds");
      yield* untilReal(Effect.map(jobRow, (j) => j.state === "queued"), "the job back in the queue");
      expect((yield* jobRow).last_error).toMatch(/is not in a modem/);
      expect((yield* smsRow).state).not.toBe("failed");

      // Due again now by the database's clock; the loop's next poll (test time) claims it.
      yield* dueNow(job.id);
      yield* untilReal(
        Effect.zipRight(TestClock.adjust("100 millis"), Effect.map(jobRow, (j) => j.state === "running")),
        "the job claimed again",
      );
      yield* untilReal(sleepingBeyond(1_000), "the second wait for the card");
      yield* TestClock.adjust("7 seconds");
      yield* untilReal(Effect.map(smsRow, (s) => s.state === "failed"), "the message failed");
      expect((yield* smsRow).error).toBe("card 8970100000000000042 was not in any modem for 10000 ms");
      expect((yield* jobRow).state).toBe("done");
    }),
    20_000,
  );
});

describe("card work for a card that is in no modem", () => {
  it.scoped("is given up on by the first run that starts after cardWaitMs on the clock, once its wait for the card ends", () =>
    Effect.gen(function* () {
      const db = store.db();
      const ussdId = yield* enqueueCardWork(db, { kind: "ussd", iccid: "8970100000000000043", code: "*100#" });
      const job = yield* newestJobFrom("card-ussd");
      const jobRow = Effect.promise(() => db.selectFrom("jobs").select(["state", "last_error"]).where("id", "=", job.id).executeTakeFirstOrThrow());
      const ussdRow = Effect.promise(() => db.selectFrom("ussd").select(["state", "status"]).where("id", "=", ussdId).executeTakeFirstOrThrow());

      yield* runCardJobs(db, noModems, { pollMs: 100, cardAwaitMs: 7_000, cardWaitMs: 5_000 });
      yield* untilReal(sleepingBeyond(1_000), "the run waiting for its card");
      // Past cardWaitMs by the end of this wait, but the run started before it: back to the queue.
      yield* TestClock.adjust("7 seconds");
      yield* untilReal(Effect.map(jobRow, (j) => j.state === "queued"), "the job back in the queue");
      expect((yield* jobRow).last_error).toMatch(/is not in a modem yet/);
      expect((yield* ussdRow).state).toBe("queued");

      yield* dueNow(job.id);
      yield* untilReal(
        Effect.zipRight(TestClock.adjust("100 millis"), Effect.map(jobRow, (j) => j.state === "running")),
        "the job claimed again",
      );
      yield* untilReal(sleepingBeyond(1_000), "the second wait for the card");
      yield* TestClock.adjust("7 seconds");
      yield* untilReal(Effect.map(jobRow, (j) => j.state === "done"), "the job given up");
      expect(yield* ussdRow).toEqual({ state: "failed", status: "error: card 8970100000000000043 was not reachable for 5000 ms" });
    }),
    20_000,
  );
});
