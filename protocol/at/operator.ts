import { type AccessTechnology, accessTechnologyFromCode } from "./access-technology";
import { afterPrefix, parseDecimal, replyLines, splitFields, unquote } from "./fields";
import { decodeTeString, type TeCharset } from "../text/charset";
import { fail, ok, type Result } from "../result";

export type OperatorStatus = "UNKNOWN" | "AVAILABLE" | "CURRENT" | "FORBIDDEN";
const STATUS: readonly OperatorStatus[] = ["UNKNOWN", "AVAILABLE", "CURRENT", "FORBIDDEN"];

export interface ScannedOperator {
  readonly status: OperatorStatus;
  readonly long: string | null;
  readonly short: string | null;
  readonly plmn: string;
  readonly act: AccessTechnology;
}

// One operator entry: (<stat>,long,short,numeric[,<AcT>]). The optional `)` before the AcT
// accepts the Ericsson F3607gw quirk `(1,"AT&T","AT&T","310410"),2)`. Strings are quoted
// with commas allowed inside (`"T-Mobile USA, In"`), or empty.
const ENTRY =
  /\(\s*(\d)\s*,\s*("[^"]*"|[^,()"]*)\s*,\s*("[^"]*"|[^,()"]*)\s*,\s*("[^"]*"|[^,()"]*)\s*\)?(?:\s*,\s*(\d+)\s*)?\)/g;

/**
 * `AT+COPS=?`: the network scan. Entries without any quoted field are the trailing lists of
 * supported modes and formats and are not operators. Names are read in the TE charset:
 * under +CSCS="GSM" (the 27.007 default) byte 0x40 is '¡', not '@'.
 */
export const parseCopsTest = (input: string, opts: { charset?: TeCharset } = {}): Result<ScannedOperator[]> => {
  if (!/\+COPS:/i.test(input)) return fail("+COPS=?", "no +COPS line", input);
  const charset = opts.charset ?? "GSM";
  const out: ScannedOperator[] = [];
  for (const m of input.matchAll(ENTRY)) {
    const [, stat, long, short, plmn, act] = m;
    if (![long, short, plmn].some((f) => f!.trim().startsWith('"'))) continue;
    const name = (f: string) => {
      const v = unquote(f);
      return v === "" ? null : decodeTeString(v, charset);
    };
    out.push({
      status: STATUS[Number(stat)] ?? "UNKNOWN",
      long: name(long!),
      short: name(short!),
      plmn: unquote(plmn),
      // 27.007: without <AcT> the network is GSM.
      act: act === undefined ? "GSM" : accessTechnologyFromCode(Number(act)),
    });
  }
  return ok(out);
};

export interface CurrentOperator {
  readonly mode: number | null;
  readonly format: number | null;
  readonly operator: string | null;
  readonly actCode: number | null;
  readonly act: AccessTechnology;
}

/** `AT+COPS?`: `+COPS: <mode>[,<format>,<oper>[,<AcT>]]`; the name may come unquoted. */
export const parseCopsRead = (input: string, opts: { charset?: TeCharset } = {}): Result<CurrentOperator> => {
  const line = replyLines(input).find((l) => afterPrefix(l, "+COPS") !== null);
  if (!line) return fail("+COPS?", "no +COPS line", input);
  let body = afterPrefix(line, "+COPS")!;
  // A name whose closing quote the firmware dropped (`"Simnet,7`): the AcT after the last
  // comma is a number, so the quote belongs before it.
  if ((body.match(/"/g)?.length ?? 0) % 2 === 1) body = body.replace(/,\s*(\d+)\s*$/, '",$1');
  const f = splitFields(body);
  const mode = parseDecimal(f[0]);
  if (mode === null) return fail("+COPS?", "bad <mode>", input);
  const format = parseDecimal(f[1]);
  const raw = unquote(f[2]);
  const actCode = parseDecimal(f[3]);
  const operator = raw === "" ? null : format === 2 ? raw : decodeTeString(raw, opts.charset ?? "GSM");
  return ok({ mode, format, operator, actCode, act: accessTechnologyFromCode(actCode) });
};
