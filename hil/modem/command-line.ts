/**
 * Splits one AT command line into its commands, the way a V.250 command interpreter reads it:
 * basic commands run together (`ATE0V1`), extended ones are separated by `;`
 * (`AT+CMEE=1;+CREG=2`), and `D` takes the rest of the line (its trailing `;` means voice).
 */

export type CommandForm = "exec" | "read" | "test" | "set";

export interface AtCommand {
  /** Upper-cased name: `E`, `&F`, `S0`, `D`, `+CMGS`, `^ICCID`. */
  readonly name: string;
  readonly form: CommandForm;
  /** Everything after `=` (set), or the basic command's number / the dial string. */
  readonly args: string;
  /** The command as the host wrote it, for logs. */
  readonly text: string;
}

const EXTENDED_PREFIX = /[+^$%*#!@]/;
const NAME_CHAR = /[A-Za-z0-9_.\-]/;

/** Reads the argument text of an extended command up to an unquoted `;` or the end. */
const readArgs = (line: string, from: number): number => {
  let quoted = false;
  let i = from;
  for (; i < line.length; i++) {
    const c = line[i]!;
    if (c === '"') quoted = !quoted;
    else if (c === ";" && !quoted) break;
  }
  return i;
};

/**
 * Parses the text after `AT`. Returns null when the line cannot be read (the modem answers
 * ERROR, as hardware does).
 */
export const parseCommandLine = (body: string): AtCommand[] | null => {
  const out: AtCommand[] = [];
  let i = 0;
  while (i < body.length) {
    const c = body[i]!;
    if (c === " " || c === ";") {
      i++;
      continue;
    }
    const start = i;
    if (EXTENDED_PREFIX.test(c)) {
      i++;
      while (i < body.length && NAME_CHAR.test(body[i]!)) i++;
      const name = body.slice(start, i).toUpperCase();
      if (name.length < 2) return null;
      let form: CommandForm = "exec";
      let args = "";
      if (body.startsWith("=?", i)) {
        form = "test";
        i += 2;
      } else if (body[i] === "?") {
        form = "read";
        i++;
      } else if (body[i] === "=") {
        const end = readArgs(body, i + 1);
        form = "set";
        args = body.slice(i + 1, end);
        i = end;
      }
      // Anything else before the separator is a syntax error (`AT+CSQ7`).
      while (i < body.length && body[i] === " ") i++;
      if (i < body.length && body[i] !== ";") return null;
      out.push({ name, form, args, text: body.slice(start, i) });
      continue;
    }
    const letter = c.toUpperCase();
    if (letter === "D") {
      // The dial string runs to the end of the line.
      out.push({ name: "D", form: "exec", args: body.slice(i + 1).trim(), text: body.slice(start) });
      return out;
    }
    if (letter === "S") {
      i++;
      const numStart = i;
      while (i < body.length && /[0-9]/.test(body[i]!)) i++;
      if (i === numStart) return null;
      const name = `S${Number(body.slice(numStart, i))}`;
      if (body[i] === "?") {
        i++;
        out.push({ name, form: "read", args: "", text: body.slice(start, i) });
      } else if (body[i] === "=") {
        const valueStart = ++i;
        while (i < body.length && /[0-9]/.test(body[i]!)) i++;
        out.push({ name, form: "set", args: body.slice(valueStart, i), text: body.slice(start, i) });
      } else return null;
      continue;
    }
    let name = letter;
    i++;
    if (letter === "&") {
      if (i >= body.length || !/[A-Za-z]/.test(body[i]!)) return null;
      name = `&${body[i]!.toUpperCase()}`;
      i++;
    } else if (!/[A-Z]/.test(letter)) return null;
    const numStart = i;
    while (i < body.length && /[0-9]/.test(body[i]!)) i++;
    out.push({ name, form: "exec", args: body.slice(numStart, i), text: body.slice(start, i) });
  }
  return out;
};

/** Splits a set command's arguments at unquoted commas; quotes are removed, spaces trimmed. */
export const splitArgs = (args: string): string[] => {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  let wasQuoted = false;
  for (const c of args) {
    if (c === '"') {
      quoted = !quoted;
      wasQuoted = true;
    } else if (c === "," && !quoted) {
      out.push(wasQuoted ? cur : cur.trim());
      cur = "";
      wasQuoted = false;
    } else cur += c;
  }
  out.push(wasQuoted ? cur : cur.trim());
  return out;
};

/** An integer argument, or null when absent or not a number. */
export const intArg = (value: string | undefined): number | null => {
  if (value === undefined || value.trim() === "") return null;
  return /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN;
};
