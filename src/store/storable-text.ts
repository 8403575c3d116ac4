/** Text the database would refuse, caught before it gets there. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Why a text cannot be stored as it is, or null when it can. PostgreSQL text and jsonb
 * refuse NUL, and jsonb refuses an unpaired surrogate (JSON bodies can carry one as \ud800);
 * left to the database either would fail the request as a server error.
 */
export const unstorable = (text: string): string | null => {
  if (text.includes("\u0000")) return "must not contain NUL characters";
  if (LONE_SURROGATE.test(text)) return "is not valid Unicode (an unpaired surrogate)";
  return null;
};
