import { describe, expect, it } from "@effect/vitest";
import { Effect, TestClock } from "effect";
import { cardWaitOver, cardWaitOverNow, inDoubtDecision, inDoubtDecisionNow, mayRetry, retryDelayMs } from "../../src/jobs/job-timing";
import { waitForLease } from "../../src/scheduler/card-switcher";

// The job workers' own time decisions, on TestClock: the give-up after cardWaitMs and the
// resend of a message in doubt move with the clock the workers read, not the wall's.
const created = new Date("2026-03-01T10:00:00.000Z");

describe("backoff of a retryable modem error", () => {
  it("doubles from the base per attempt, and stops at the last attempt", () => {
    expect([1, 2, 3, 4].map((a) => retryDelayMs(5_000, a))).toEqual([5_000, 10_000, 20_000, 40_000]);
    expect(mayRetry(4, 5)).toBe(true);
    expect(mayRetry(5, 5)).toBe(false);
  });
});

describe("giving up on a card that never came", () => {
  it("not at cardWaitMs itself, only once it has passed", () => {
    expect(cardWaitOver(created.getTime() + 60_000, created, 60_000)).toBe(false);
    expect(cardWaitOver(created.getTime() + 60_001, created, 60_000)).toBe(true);
  });

  it.effect("follows the Clock the worker reads: TestClock moved past cardWaitMs turns the wait into a give-up", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(created.getTime());
      expect(yield* cardWaitOverNow(created, 3_600_000)).toBe(false);
      yield* TestClock.adjust("59 minutes");
      expect(yield* cardWaitOverNow(created, 3_600_000)).toBe(false);
      yield* TestClock.adjust("1 minute");
      expect(yield* cardWaitOverNow(created, 3_600_000)).toBe(false);
      yield* TestClock.adjust("1 millis");
      expect(yield* cardWaitOverNow(created, 3_600_000)).toBe(true);
    }),
  );
});

describe("a message whose first send is in doubt", () => {
  it("is kept unknown for good when resending is off, however long ago", () => {
    expect(inDoubtDecision(created.getTime() + 86_400_000, created, null)).toEqual({ kind: "keep-unknown" });
  });

  it.effect("waits for what is left of resendUnknownAfterMs, then is sent again", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(created.getTime() + 1_000);
      expect(yield* inDoubtDecisionNow(created, 30_000)).toEqual({ kind: "wait", delayMs: 29_000, resendAt: new Date(created.getTime() + 30_000) });
      yield* TestClock.adjust("28999 millis");
      expect(yield* inDoubtDecisionNow(created, 30_000)).toEqual({ kind: "wait", delayMs: 1, resendAt: new Date(created.getTime() + 30_000) });
      yield* TestClock.adjust("1 millis");
      expect(yield* inDoubtDecisionNow(created, 30_000)).toEqual({ kind: "resend" });
    }),
  );
});

describe("waiting for a technician's console lease", () => {
  const lease = { holder: "tech", userId: 1, device: "box", modem: 3, until: new Date(created.getTime() + 10_000) };
  it("looks again when the lease ends by the caller's clock, between 200 ms and 2 s", () => {
    expect(waitForLease(lease, created.getTime()).delayMs).toBe(2_000);
    expect(waitForLease(lease, created.getTime() + 9_500).delayMs).toBe(500);
    expect(waitForLease(lease, created.getTime() + 9_950).delayMs).toBe(200);
    expect(waitForLease(lease, created.getTime() + 20_000).delayMs).toBe(200);
    expect(waitForLease(lease, created.getTime()).reason).toMatch(/tech's console lease on box\/3/);
  });
});
