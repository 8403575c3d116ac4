/** The SR-Navigator API's small formats: codes in texts, times, list parameters. */

/**
 * `code=N`: the first run of exactly N digits; else the first N digits of the first longer
 * run; null when no run is long enough (../shared/specs/sr-navigator-notes.md).
 */
export const extractCode = (text: string, length: number): string | null => {
  const runs = text.match(/\d+/g) ?? [];
  const exact = runs.find((r) => r.length === length);
  if (exact) return exact;
  const longer = runs.find((r) => r.length > length);
  return longer ? longer.slice(0, length) : null;
};

/** Lengths a one-time code usually has, the most common first. */
const CODE_LENGTHS = [6, 4, 5, 8, 7] as const;

/**
 * The code a message most likely carries, when no length is asked for (the panel's Online
 * page): a run of exactly 6 digits, else 4, 5, 8 or 7, as `extractCode` finds it. A longer
 * run (a phone number, an account) is not cut down: it is not a code.
 */
export const extractedCode = (text: string): string | null => {
  const runs = new Set(text.match(/\d+/g) ?? []);
  for (const length of CODE_LENGTHS) {
    const code = extractCode(text, length);
    if (code !== null && runs.has(code)) return code;
  }
  return null;
};

const two = (n: number) => String(n).padStart(2, "0");

/** `HH:MM:SS DD.MM.YYYY` in the server's local time. */
export const panelTime = (at: Date): string =>
  `${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())} ${two(at.getDate())}.${two(at.getMonth() + 1)}.${at.getFullYear()}`;

export const unixSeconds = (at: Date): string => String(Math.floor(at.getTime() / 1000));

/** A comma list: trimmed, empties dropped; null when the parameter is absent or blank. */
export const listParam = (value: string | undefined): string[] | null => {
  if (value === undefined) return null;
  const items = value
    .split(",")
    .map((v) => v.trim())
    .filter(Boolean);
  return items.length ? items : null;
};

/** Phone numbers as clients send them: '+' and spaces removed. */
export const numberParam = (value: string): string => value.replace(/[+\s]/g, "");

export const isDigits = (value: string, min = 1, max = 20): boolean => new RegExp(`^\\d{${min},${max}}$`).test(value);
