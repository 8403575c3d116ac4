/**
 * The SimFolder API's failures: one tagged error carrying the API's code, and the one table
 * that gives each code its HTTP status (README, "SimFolder API"). Anything else a method
 * throws is turned into one of these codes here, so the handler only writes what it is given.
 */
import { Data } from "effect";
import { isStoreUnavailable } from "../../store/database";
import { BodyTooLarge, BodyUnreadable } from "../http/body";

export const ERROR_STATUS = {
  BAD_API_KEY: 401,
  BAD_METHOD: 404,
  BAD_PARAM: 400,
  NOT_FOUND: 404,
  CARD_NOT_ACTIVE: 409,
  CHANNEL_LIMIT: 409,
  DEVICE_OFFLINE: 503,
  UNAVAILABLE: 503,
  MODEM_ERROR: 502,
  TELEGRAM_ERROR: 502,
  FORBIDDEN: 403,
  TOO_LARGE: 413,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** Codes after which the same request may simply be repeated, and how many seconds later. */
export const RETRY_AFTER: Partial<Record<ErrorCode, number>> = { UNAVAILABLE: 5 };

export class ApiError extends Data.TaggedError("SimFolderError")<{ readonly code: ErrorCode; readonly message: string; readonly extra: Record<string, unknown> }> {
  constructor(code: ErrorCode, message: string, extra: Record<string, unknown> = {}) {
    super({ code, message, extra });
  }
}

/** A parameter the method cannot take: named first in the message, as clients match on it. */
export const badParam = (name: string, why: string) => new ApiError("BAD_PARAM", `${name}: ${why}`);

/**
 * The API's answer to whatever a request ended with; null for a failure that is the
 * service's own (a bug), which the caller logs before answering INTERNAL.
 */
export const asApiError = (error: unknown): ApiError | null => {
  if (error instanceof ApiError) return error;
  if (error instanceof BodyTooLarge) return new ApiError("TOO_LARGE", error.message);
  if (error instanceof BodyUnreadable) return new ApiError("BAD_PARAM", error.message);
  // Nothing was done: the client may repeat the request once the database is back.
  if (isStoreUnavailable(error)) return new ApiError("UNAVAILABLE", "the database is not reachable right now; nothing was changed, try again shortly");
  return null;
};

export const INTERNAL = () => new ApiError("INTERNAL", "the request could not be completed; it is logged");
