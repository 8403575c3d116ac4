import { parseDecimal } from "../at/fields";
import { fail, ok, type Result } from "../result";

/** <m> of +CUSD (27.007 clause 7.15). */
export type UssdStatus =
  | "done" // 0: no further action required
  | "more" // 1: the network waits for a reply
  | "terminated" // 2: released by the network
  | "other-client" // 3: another local client answered
  | "unsupported" // 4: operation not supported
  | "timeout" // 5: network time-out
  | "unknown";

const STATUS: readonly UssdStatus[] = ["done", "more", "terminated", "other-client", "unsupported", "timeout"];
export const ussdStatusName = (m: number): UssdStatus => STATUS[m] ?? "unknown";

export interface CusdLine {
  readonly status: number;
  /** The payload exactly as the modem sent it, without the quotes. */
  readonly payload: string;
  readonly quoted: boolean;
  readonly dcs: number | null;
}

// `+CUSD: <m>[,<str>[,<dcs>]]`. The payload may contain commas and line breaks inside the
// quotes (python-gsmmodem captures), or come unquoted (Huawei E160 packed hex).
const CUSD = /^\+CUSD:\s*(\d+)\s*(?:,\s*(?:"([\s\S]*)"|([^,"]*?))\s*(?:,\s*(\d+)\s*)?)?$/i;

/** Parses the first +CUSD code of a block that may carry `OK`, blank lines or more codes. */
export const parseCusd = (input: string): Result<CusdLine> => {
  const all = parseCusdAll(input);
  if (!all.ok) return all;
  return ok(all.value[0]!);
};

const CODE_START = /(?:^|[\r\n])\s*\+CUSD:/gi;

/** Every +CUSD code of a block, in order (some modems send `+CUSD: 2` around the answer). */
export const parseCusdAll = (input: string): Result<CusdLine[]> => {
  const starts = [...input.matchAll(CODE_START)].map((m) => m.index! + m[0].indexOf("+"));
  if (starts.length === 0) return fail("+CUSD", "no +CUSD line", input);
  const out: CusdLine[] = [];
  for (let i = 0; i < starts.length; i++) {
    const r = parseOne(input.slice(starts[i], starts[i + 1] ?? input.length), input);
    if (!r.ok) return r;
    out.push(r.value);
  }
  return ok(out);
};

/**
 * The reply a USSD request is waiting for among several codes: the last one that carries
 * an answer (status 0 or 1), else the last one. python-gsmmodem issue #14: "+CUSD: 2,
 * Initiating Release" can precede the real answer, before or after OK.
 */
export const selectUssdAnswer = (codes: readonly CusdLine[]): CusdLine | undefined =>
  [...codes].reverse().find((c) => c.status === 0 || c.status === 1) ?? codes.at(-1);

const parseOne = (segment: string, input: string): Result<CusdLine> => {
  const block = segment
    .replace(/(?:[\r\n]+\s*(?:OK|ERROR))+[\r\n\s]*$/i, "")
    .replace(/[\r\n\s]+$/, "");
  const m = CUSD.exec(block);
  if (!m) return fail("+CUSD", "malformed +CUSD", input);
  const quoted = m[2] !== undefined;
  return ok({
    status: Number(m[1]),
    payload: quoted ? m[2]! : (m[3] ?? "").trim(),
    quoted,
    dcs: parseDecimal(m[4]),
  });
};
