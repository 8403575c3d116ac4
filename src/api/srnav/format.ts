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
