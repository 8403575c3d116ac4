/**
 * Field helpers shared by the AT parsers. Real modems mismatch quotes, pad with spaces and
 * zero-pad integers; these helpers are tolerant so that parsers can stay short.
 */

/** The part of a line after `+NAME:` (spaces after the colon optional), or null. */
export const afterPrefix = (line: string, prefix: string): string | null => {
  const trimmed = line.trim();
  if (trimmed.length < prefix.length || trimmed.slice(0, prefix.length).toUpperCase() !== prefix.toUpperCase())
    return null;
  const rest = trimmed.slice(prefix.length);
  return rest.startsWith(":") ? rest.slice(1).trim() : null;
};

/** Splits on commas outside double quotes and parentheses. */
export const splitFields = (text: string): string[] => {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    else if (!quoted && c === "(") depth++;
    else if (!quoted && c === ")") depth = Math.max(0, depth - 1);
    else if (!quoted && depth === 0 && c === ",") {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out;
};

/** Trims spaces and any surrounding or stray quote: `"+7913"`, `+7913"` and `"+7913` all give `+7913`. */
export const unquote = (field: string | undefined): string => {
  if (field === undefined) return "";
  let s = field.trim();
  if (s.startsWith('"')) s = s.slice(1);
  if (s.endsWith('"')) s = s.slice(0, -1);
  return s.trim();
};

export const isQuoted = (field: string | undefined): boolean => field !== undefined && field.trim().startsWith('"');

/** A decimal integer field (zero padding allowed), or null. */
export const parseDecimal = (field: string | undefined): number | null => {
  const s = unquote(field);
  return /^\d{1,10}$/.test(s) ? Number(s) : null;
};

/** A hexadecimal field such as a LAC or cell id, or null. */
export const parseHex = (field: string | undefined): number | null => {
  const s = unquote(field);
  return /^[0-9a-fA-F]{1,16}$/.test(s) ? Number.parseInt(s, 16) : null;
};

/** Lines of a multi-line reply, without blanks. */
export const replyLines = (text: string): string[] =>
  text
    .split(/\r\n|\r|\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
