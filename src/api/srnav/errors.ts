/**
 * How /api/handler.php answers when it does not give an action's answer: the one table of
 * the API's words and HTTP statuses. The reference panel answers its words with HTTP 200;
 * only what an HTTP-aware client can act on (a body too large, a database to wait for) has a
 * status of its own.
 */
import { Data } from "effect";
import { isStoreUnavailable } from "../../store/database";
import { BodyTooLarge } from "../http/body";

export const FAILURES = {
  /** The request's body could not be read as parameters. */
  BadBody: { word: "BAD_REQUEST", status: 400 },
  BodyTooLarge: { word: "TOO_LARGE", status: 413 },
  /** A method other than GET or POST (sent with Allow). */
  MethodNotAllowed: { word: "METHOD_NOT_ALLOWED", status: 405 },
  BadKey: { word: "BAD_KEY", status: 200 },
  BadAction: { word: "BAD_ACTION", status: 200 },
  // ERROR is the word the reference panel already answers when it cannot serve; the status
  // and Retry-After tell an HTTP-aware client that it may simply repeat.
  Unavailable: { word: "ERROR", status: 503, retryAfterSeconds: 5 },
  /** Not the client's fault: logged with its cause, answered with the API's word. */
  Internal: { word: "ERROR", status: 200 },
} as const satisfies Record<string, { word: string; status: number; retryAfterSeconds?: number }>;

export type FailureReason = keyof typeof FAILURES;

/** A request the endpoint refuses before any action runs. */
export class Refused extends Data.TaggedError("SrNavRefused")<{ readonly reason: FailureReason }> {}

/** An action ends with one of its own words (NO_NUMBER, BAD_ID, ...): HTTP 200, the word as the body. */
export class ApiWord extends Data.TaggedError("SrNavWord")<{ readonly word: string }> {}

export interface Answer {
  readonly word: string;
  readonly status: number;
  readonly retryAfterSeconds?: number;
}

/** The answer to whatever a request ended with; null for the service's own failure (to be logged, then answered as Internal). */
export const answerOf = (error: unknown): Answer | null => {
  if (error instanceof ApiWord) return { word: error.word, status: 200 };
  if (error instanceof Refused) return FAILURES[error.reason];
  if (error instanceof BodyTooLarge) return FAILURES.BodyTooLarge;
  if (isStoreUnavailable(error)) return FAILURES.Unavailable;
  return null;
};
