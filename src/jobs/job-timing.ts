/**
 * The time decisions of the job workers, as small pure functions of `now` (epoch ms), and
 * the same read on Effect's Clock for the workers (so tests move time with TestClock).
 *
 * Only decisions this process makes alone live here: how long to back off, whether a job
 * has waited long enough to give up. When a job falls due again is written to its row on the
 * database's clock (`rescheduleJob`), because several hosts share the queue and their
 * clocks need not agree.
 */
import { Clock, Effect } from "effect";

/** The wait before the retry after attempt `attempt` (1-based) failed retryably: `baseMs`, doubling per attempt. */
export const retryDelayMs = (baseMs: number, attempt: number): number => baseMs * 2 ** (attempt - 1);

/** Whether a retryable failure on attempt `attempt` gets another try. */
export const mayRetry = (attempt: number, maxAttempts: number): boolean => attempt < maxAttempts;

/** Whether a job created at `createdAt` has waited for its card longer than `cardWaitMs` by `now`. */
export const cardWaitOver = (now: number, createdAt: Date, cardWaitMs: number): boolean => now - createdAt.getTime() > cardWaitMs;

/** `cardWaitOver` now, by Effect's Clock. */
export const cardWaitOverNow = (createdAt: Date, cardWaitMs: number): Effect.Effect<boolean> =>
  Effect.map(Clock.currentTimeMillis, (now) => cardWaitOver(now, createdAt, cardWaitMs));

/**
 * What becomes of a message whose first send is in doubt (a part went to the modem and its
 * answer never came): kept unknown for good when resending is off, sent again once
 * `resendAfterMs` has passed since that send started, else waited for until then.
 */
export type InDoubtDecision =
  | { readonly kind: "keep-unknown" }
  | { readonly kind: "wait"; readonly delayMs: number; readonly resendAt: Date }
  | { readonly kind: "resend" };

export const inDoubtDecision = (now: number, startedAt: Date, resendAfterMs: number | null): InDoubtDecision => {
  if (resendAfterMs === null) return { kind: "keep-unknown" };
  const inDoubtFor = now - startedAt.getTime();
  if (inDoubtFor >= resendAfterMs) return { kind: "resend" };
  return { kind: "wait", delayMs: resendAfterMs - inDoubtFor, resendAt: new Date(startedAt.getTime() + resendAfterMs) };
};

/** `inDoubtDecision` now, by Effect's Clock. */
export const inDoubtDecisionNow = (startedAt: Date, resendAfterMs: number | null): Effect.Effect<InDoubtDecision> =>
  Effect.map(Clock.currentTimeMillis, (now) => inDoubtDecision(now, startedAt, resendAfterMs));
