import { afterPrefix, parseDecimal, replyLines, splitFields, unquote } from "./fields";
import { parseFinalResult } from "./final-result";
import { fail, ok, type Result } from "../result";

/** `+CPIN` codes (27.007 clause 8.3) plus the vendor "NOT READY"/"NOT INSERTED" lines. */
const SIM_LOCKS = [
  "READY",
  "SIM_PIN",
  "SIM_PUK",
  "SIM_PIN2",
  "SIM_PUK2",
  "PH_SIM_PIN",
  "PH_FSIM_PIN",
  "PH_FSIM_PUK",
  "PH_NET_PIN",
  "PH_NET_PUK",
  "PH_NETSUB_PIN",
  "PH_NETSUB_PUK",
  "PH_SP_PIN",
  "PH_SP_PUK",
  "PH_CORP_PIN",
  "PH_CORP_PUK",
  "NOT_READY",
  "NOT_INSERTED",
] as const;

export type SimLock = (typeof SIM_LOCKS)[number] | "UNKNOWN";
const KNOWN: ReadonlySet<string> = new Set(SIM_LOCKS);

export interface PinState {
  readonly lock: SimLock;
  /** Whether the line carried the `+CPIN:` prefix (some firmwares print the bare code). */
  readonly hasPrefix: boolean;
  /** The CME error code when the modem answered with one (10: SIM not inserted). */
  readonly cmeError: number | null;
}

/** `AT+CPIN?` reply or `+CPIN:` URC. A `+CME ERROR` is read as an unknown lock with its code. */
export const parseCpinRead = (input: string): Result<PinState> => {
  const lines = replyLines(input);
  for (const line of lines) {
    const final = parseFinalResult(line);
    if (final?.kind === "cme-error") {
      const lock: SimLock = final.code === 10 ? "NOT_INSERTED" : "UNKNOWN";
      return ok({ lock, hasPrefix: true, cmeError: final.code });
    }
    if (final) continue;
    const body = afterPrefix(line, "+CPIN");
    const code = unquote(body ?? line)
      .toUpperCase()
      .replace(/[\s-]+/g, "_");
    if (!code) continue;
    return ok({ lock: KNOWN.has(code) ? (code as SimLock) : "UNKNOWN", hasPrefix: body !== null, cmeError: null });
  }
  return fail("+CPIN?", "no +CPIN line", input);
};

const ICCID_PREFIXES = /^\s*(?:\+|\^)?(?:CCID|ICCID|QCCID|SCID|CRSM)\s*:\s*/i;

/**
 * ICCID from `+CCID`, `+ICCID`, `^ICCID`, `+QCCID`, `+CRSM` (last field) or a bare line.
 * Some modems return the EF_ICCID bytes unswapped ("98..." instead of "89..."), and
 * 19-digit ICCIDs come F-padded. Hex digits are legal (Chinese issuers use them), but the
 * value must start with the telecom industry prefix 89 after un-swapping.
 */
export const parseIccid = (input: string): Result<string> => {
  const line = replyLines(input).find((l) => !parseFinalResult(l) && !/^AT/i.test(l));
  if (!line) return fail("ICCID", "empty reply", input);
  let body = line.replace(ICCID_PREFIXES, "");
  if (/^\+CRSM/i.test(line)) body = splitFields(body).at(-1) ?? "";
  else body = splitFields(body)[0] ?? "";
  let v = unquote(body).toUpperCase();
  if (!/^[0-9A-F]{10,20}$/.test(v)) return fail("ICCID", "not 10-20 hex digits", input);
  if (v.startsWith("98")) v = swapNibbles(v);
  v = v.replace(/F+$/, "");
  if (!v.startsWith("89")) return fail("ICCID", "does not start with 89", input);
  // ITU-T E.118: 89, country, issuer, account and check digit; cards in use have 18 to 20
  // digits. Fewer is a cut-off reply or another number, not a card to key history by.
  if (v.length < 18) return fail("ICCID", `${v.length} digits, fewer than an ICCID has`, input);
  return ok(v);
};

const swapNibbles = (s: string): string => {
  let out = "";
  for (let i = 0; i + 1 < s.length; i += 2) out += s[i + 1]! + s[i]!;
  return s.length % 2 ? out + s.at(-1)! : out;
};

/** IMSI from `AT+CIMI` (bare 6-15 digits). */
export const parseCimi = (input: string): Result<string> => {
  const line = replyLines(input).find((l) => /^(?:\+CIMI:\s*)?"?\d{6,15}"?$/i.test(l));
  return line ? ok(unquote(line.replace(/^\+CIMI:\s*/i, ""))) : fail("+CIMI", "no IMSI digits", input);
};

export interface OwnNumber {
  readonly alpha: string;
  readonly number: string;
  readonly type: number | null;
}

/** `AT+CNUM`: one `+CNUM: [<alpha>],<number>,<type>` line per number; quotes may be missing. */
export const parseCnum = (input: string): Result<OwnNumber[]> => {
  const entries: OwnNumber[] = [];
  for (const line of replyLines(input)) {
    const body = afterPrefix(line, "+CNUM");
    if (body === null) continue;
    const f = body.split(",");
    entries.push({ alpha: unquote(f[0]), number: unquote(f[1]), type: parseDecimal(f[2]) });
  }
  return entries.length ? ok(entries) : fail("+CNUM", "no +CNUM line", input);
};

export interface SignalQuality {
  /** 0..31, or null for 99 (not known). */
  readonly rssi: number | null;
  /** dBm from rssi: -113 + 2*rssi. */
  readonly dbm: number | null;
  readonly ber: number | null;
  /** 0..100 for display. */
  readonly percent: number;
}

/** `AT+CSQ` (27.007 clause 8.5) and Huawei `^RSSI: <rssi>` URCs. */
export const parseCsq = (input: string): Result<SignalQuality> => {
  for (const line of replyLines(input)) {
    const body = afterPrefix(line, "+CSQ") ?? afterPrefix(line, "^RSSI");
    if (body === null) continue;
    const f = splitFields(body);
    const rssi = parseDecimal(f[0]);
    if (rssi === null) return fail("+CSQ", "bad <rssi>", input);
    const ber = parseDecimal(f[1]);
    const known = rssi <= 31 ? rssi : null;
    return ok({
      rssi: known,
      dbm: known === null ? null : -113 + 2 * known,
      ber: ber === null || ber === 99 ? null : ber,
      percent: known === null ? 0 : Math.round((known * 100) / 31),
    });
  }
  return fail("+CSQ", "no +CSQ line", input);
};
