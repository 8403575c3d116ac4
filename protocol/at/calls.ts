import { afterPrefix, parseDecimal, replyLines, splitFields, unquote } from "./fields";
import { fail, ok, type Result } from "../result";

export type CallDirection = "outgoing" | "incoming";
export type CallState = "active" | "held" | "dialing" | "alerting" | "incoming" | "waiting" | "released";
const STATES: readonly CallState[] = ["active", "held", "dialing", "alerting", "incoming", "waiting", "released"];

export interface CurrentCall {
  readonly idx: number;
  readonly dir: number;
  readonly direction: CallDirection;
  readonly stat: number;
  readonly state: CallState;
  readonly mode: number;
  readonly mpty: number;
  readonly number: string;
  readonly toa: number;
}

/**
 * One `+CLCC: <idx>,<dir>,<stat>,<mode>,<mpty>,<number>,<type>` line (27.007 clause 7.18).
 * The number and its type travel together: a line without <type> is rejected, as chan_dongle
 * does, because a truncated line cannot be trusted.
 */
export const parseClccLine = (line: string): Result<CurrentCall> => {
  const body = afterPrefix(line, "+CLCC");
  if (body === null) return fail("+CLCC", "no +CLCC prefix", line);
  const f = splitFields(body);
  const [idx, dir, stat, mode, mpty] = f.slice(0, 5).map(parseDecimal);
  const toa = parseDecimal(f[6]);
  if ([idx, dir, stat, mode, mpty, toa].some((v) => v === null) || f[5] === undefined)
    return fail("+CLCC", "expected 7 fields", line);
  return ok({
    idx: idx!,
    dir: dir!,
    direction: dir === 1 ? "incoming" : "outgoing",
    stat: stat!,
    state: STATES[stat!] ?? "released",
    mode: mode!,
    mpty: mpty!,
    number: unquote(f[5]),
    toa: toa!,
  });
};

/** `AT+CLCC`: every call line of the reply; lines that do not parse are reported, not dropped. */
export const parseClcc = (input: string): Result<CurrentCall[]> => {
  const calls: CurrentCall[] = [];
  for (const line of replyLines(input)) {
    if (afterPrefix(line, "+CLCC") === null) continue;
    const r = parseClccLine(line);
    if (!r.ok) return r;
    calls.push(r.value);
  }
  return ok(calls);
};

/** `<number>,<type>,...` after a prefix: the common head of +CLIP and +CCWA. */
const numberAndType = (line: string, prefix: string): Result<{ number: string; type: number | null; rest: string[] }> => {
  const body = afterPrefix(line, prefix);
  if (body === null) return fail(prefix, `no ${prefix} prefix`, line);
  const f = splitFields(body);
  return ok({ number: unquote(f[0]), type: parseDecimal(f[1]), rest: f.slice(2) });
};

export interface CallerId {
  readonly number: string;
  readonly type: number | null;
  /** <CLI validity>: 0 valid, 1 withheld, 2 not available. */
  readonly validity: number | null;
}

/** `+CLIP: <number>,<type>[,<subaddr>,<satype>[,<alpha>[,<CLI validity>]]]` (27.007 7.6). */
export const parseClipUnsolicited = (line: string): Result<CallerId> => {
  const r = numberAndType(line, "+CLIP");
  return r.ok ? ok({ number: r.value.number, type: r.value.type, validity: parseDecimal(r.value.rest[3]) }) : r;
};

export interface CallWaiting {
  readonly number: string;
  readonly type: number | null;
  readonly class: number | null;
}

/** `+CCWA: <number>,<type>,<class>[,<alpha>][,<CLI validity>...]` (27.007 7.12). */
export const parseCcwaUnsolicited = (line: string): Result<CallWaiting> => {
  const r = numberAndType(line, "+CCWA");
  return r.ok ? ok({ number: r.value.number, type: r.value.type, class: parseDecimal(r.value.rest[0]) }) : r;
};
