import { afterPrefix, isQuoted, parseDecimal, replyLines, splitFields, unquote } from "./fields";
import { fail, ok, type Result } from "../result";

/** `+CMTI: <mem>,<index>`: a message was stored (27.005 3.4.1). */
export interface StoredMessageNotice {
  readonly storage: string;
  readonly index: number;
}

export const parseCmtiUnsolicited = (line: string): Result<StoredMessageNotice> => {
  const body = afterPrefix(line, "+CMTI") ?? afterPrefix(line, "+CDSI");
  if (body === null) return fail("+CMTI", "no +CMTI/+CDSI prefix", line);
  const f = splitFields(body);
  const index = parseDecimal(f[1]);
  if (index === null) return fail("+CMTI", "bad <index>", line);
  return ok({ storage: unquote(f[0]), index });
};

/** A PDU-mode `+CDS: <length>` URC with the PDU on the following line (27.005 3.4.1). */
export interface StatusReportNotice {
  readonly length: number;
  readonly pdu: string;
}

/** Accepts the header and PDU as one block; gammu-smsd saw `+CDS:25` with CR-only breaks. */
export const parseCdsUnsolicited = (input: string): Result<StatusReportNotice> => {
  const lines = replyLines(input);
  const at = lines.findIndex((l) => afterPrefix(l, "+CDS") !== null);
  if (at < 0) return fail("+CDS", "no +CDS line", input);
  const length = parseDecimal(afterPrefix(lines[at]!, "+CDS")!);
  const pdu = lines[at + 1];
  if (length === null) return fail("+CDS", "not a PDU-mode +CDS (no <length>)", input);
  if (pdu === undefined || !/^[0-9A-Fa-f]+$/.test(pdu)) return fail("+CDS", "no PDU line", input);
  return ok({ length, pdu: pdu.toUpperCase() });
};

/** One message of a PDU-mode `+CMGL`/`+CMGR` listing. */
export interface StoredPdu {
  /** Storage index; `+CMGR` does not repeat it (except Samsung), so it is 0 there unless the caller knows it. */
  readonly index: number;
  /** 0 REC UNREAD, 1 REC READ, 2 STO UNSENT, 3 STO SENT (27.005 3.1). */
  readonly status: number;
  readonly length: number | null;
  readonly pdu: string;
}

const HEX = /^[0-9A-Fa-f]+$/;

/**
 * `AT+CMGL=<stat>` in PDU mode: `+CMGL: <index>,<stat>,[<alpha>],<length>` then the PDU.
 * Tolerates Pantech's missing <alpha>, PDUs truncated by the modem (kept as sent, the SMS
 * decoder rejects them) and text between entries. An entry whose PDU line is missing keeps
 * its index with an empty PDU, so one broken slot neither hides the others nor goes unseen.
 */
export const parseCmglPdu = (input: string): Result<StoredPdu[]> => {
  const lines = replyLines(input);
  const out: StoredPdu[] = [];
  for (let i = 0; i < lines.length; i++) {
    const body = afterPrefix(lines[i]!, "+CMGL");
    if (body === null) continue;
    const f = splitFields(body);
    const index = parseDecimal(f[0]);
    const status = parseDecimal(f[1]);
    if (index === null || status === null) return fail("+CMGL", `bad header '${lines[i]}'`, input);
    const { pdu, consumed } = pduAfter(lines, i, body);
    out.push({ index, status, length: parseDecimal(f.at(-1)), pdu: pdu ?? "" });
    i += consumed;
  }
  return ok(out);
};

/**
 * `AT+CMGR=<index>` in PDU mode: `+CMGR: <stat>,[<alpha>],<length>` then the PDU (some
 * modems put it on the same line after a space; Samsung adds the index first).
 */
export const parseCmgrPdu = (input: string, index?: number): Result<StoredPdu> => {
  const lines = replyLines(input);
  const at = lines.findIndex((l) => afterPrefix(l, "+CMGR") !== null);
  if (at < 0) return fail("+CMGR", "no +CMGR line", input);
  const body = afterPrefix(lines[at]!, "+CMGR")!;
  const f = splitFields(body.split(/\s+(?=[0-9A-Fa-f]{20,}$)/)[0]!);
  if (f.some((x) => isQuoted(x) && /^"(REC|STO)/i.test(x.trim())))
    return fail("+CMGR", "text-mode reply given to the PDU-mode parser", input);
  // Four fields: Samsung repeats the index first. One field: only the length (gammu 38).
  const status = f.length === 1 ? null : parseDecimal(f.length >= 4 ? f[1] : f[0]);
  if (status === null && f.length > 1 && unquote(f[0]) !== "") return fail("+CMGR", "bad <stat>", input);
  const { pdu } = pduAfter(lines, at, body);
  if (pdu === null) return fail("+CMGR", "no PDU", input);
  const ownIndex = f.length >= 4 ? parseDecimal(f[0]) : null;
  return ok({ index: index ?? ownIndex ?? 0, status: status ?? 0, length: parseDecimal(f.at(-1)), pdu });
};

const pduAfter = (lines: string[], at: number, header: string): { pdu: string | null; consumed: number } => {
  const sameLine = /\s([0-9A-Fa-f]{20,})$/.exec(header);
  if (sameLine) return { pdu: sameLine[1]!.toUpperCase(), consumed: 0 };
  // gammu at-sms 04: a stray quote after the PDU.
  const next = lines[at + 1]?.replace(/^"|"$/g, "");
  if (next !== undefined && HEX.test(next)) return { pdu: next.toUpperCase(), consumed: 1 };
  return { pdu: null, consumed: 0 };
};

/** One message of a text-mode (`AT+CMGF=1`) listing or read. */
export interface StoredText {
  readonly index: number | null;
  readonly status: string;
  /** Originator (received) or destination (stored for sending). */
  readonly number: string;
  readonly alpha: string | null;
  /** The raw `yy/MM/dd,hh:mm:ss±zz` stamp, when given. */
  readonly scts: string | null;
  /** The stamp as ISO-8601 with its own offset, when it is readable. */
  readonly sctsIso: string | null;
  readonly text: string;
}

const TEXT_STATUS = /^"?(REC UNREAD|REC READ|STO UNSENT|STO SENT|ALL)"?$/i;

/**
 * Text-mode `+CMGR` (`+CMGR: <stat>,<oa>,[<alpha>],<scts>[,...]`) and `+CMGL`
 * (`+CMGL: <index>,<stat>,...`). The message text runs until the next header or the final
 * result; multi-line texts keep their line breaks. Text mode cannot tell a body line that
 * reads "OK" from the final result, which is why simgate reads messages in PDU mode.
 * Motorola omits <alpha>; the detailed form
 * (`AT+CSDH=1`) adds type, first octet, PID, DCS, SMSC and length after the stamp.
 */
export const parseCmgrText = (input: string): Result<StoredText[]> => {
  const raw = input.split(/\r\n|\r|\n/);
  const out: StoredText[] = [];
  let current: { header: StoredText; text: string[] } | null = null;
  const flush = () => {
    if (!current) return;
    // Blank lines before OK are layout; spaces at the end of the text are the sender's.
    const lines = current.text;
    while (lines.length > 0 && lines.at(-1)!.trim() === "") lines.pop();
    out.push({ ...current.header, text: lines.join("\n") });
  };
  for (const lineRaw of raw) {
    const line = lineRaw.trim();
    if (/^AT\+CMG[RL]/i.test(line)) continue;
    if (/^(OK|ERROR)$/.test(line) || /^\+CMS ERROR/.test(line)) break;
    const isList = afterPrefix(line, "+CMGL") !== null;
    const body = afterPrefix(line, "+CMGR") ?? afterPrefix(line, "+CMGL");
    if (body !== null) {
      flush();
      const f = splitFields(body);
      const index = isList ? parseDecimal(f.shift()) : null;
      const status = unquote(f[0]);
      if (!TEXT_STATUS.test(status)) return fail("+CMGR", `bad text-mode <stat> '${status}'`, input);
      const number = unquote(f[1]);
      // The stamp is the first quoted field after the number that looks like a date.
      const stampAt = f.findIndex((x, i) => i >= 2 && /^"\d{2,4}\/\d{1,2}\/\d{1,2},/.test(x.trim()));
      const alpha = stampAt === 3 ? unquote(f[2]) || null : null;
      const scts = stampAt >= 0 ? unquote(f[stampAt]) : null;
      current = {
        header: { index, status: status.toUpperCase(), number, alpha, scts, sctsIso: scts ? textStampToIso(scts) : null, text: "" },
        text: [],
      };
      continue;
    }
    if (current) current.text.push(lineRaw.replace(/\r$/, ""));
  }
  flush();
  return out.length ? ok(out) : fail("+CMGR", "no text-mode message", input);
};

/**
 * `yy/MM/dd,hh:mm:ss±zz` (zz in quarter hours) -> ISO-8601. Also accepts the 4-digit year
 * and missing zone some phones print. Out-of-range zones (seen: `+80`) give no offset.
 */
export const textStampToIso = (stamp: string): string | null => {
  const m = /^(\d{2}|\d{4})\/(\d{1,2})\/(\d{1,2}),(\d{1,2}):(\d{2}):(\d{2})(?:([+-])(\d{1,2}))?$/.exec(stamp.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s, sign, q] = m;
  const year = y!.length === 2 ? 2000 + Number(y) : Number(y);
  const pad = (v: string | number) => String(v).padStart(2, "0");
  const base = `${year}-${pad(mo!)}-${pad(d!)}T${pad(h!)}:${mi}:${s}`;
  if (sign === undefined) return base;
  const quarters = Number(q);
  if (quarters > 56) return base;
  const minutes = quarters * 15;
  return `${base}${sign}${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;
};

export interface StorageUsage {
  readonly storage: string;
  readonly used: number;
  readonly total: number;
}

export interface PreferredStorages {
  readonly mem1: string[];
  readonly mem2: string[];
  readonly mem3: string[];
}

/**
 * `AT+CPMS=?`: the storages each of mem1/mem2/mem3 may use. Huawei MU609 sends bare strings
 * instead of lists; extra spaces anywhere are tolerated.
 */
export const parseCpmsTest = (input: string): Result<PreferredStorages> => {
  const line = replyLines(input).find((l) => afterPrefix(l, "+CPMS") !== null);
  if (!line) return fail("+CPMS=?", "no +CPMS line", input);
  const groups = splitFields(afterPrefix(line, "+CPMS")!).map((g) =>
    g
      .trim()
      .replace(/^\(|\)$/g, "")
      .split(",")
      .map(unquote)
      .filter((s) => s.length > 0),
  );
  if (groups.length < 1) return fail("+CPMS=?", "no storage lists", input);
  return ok({ mem1: groups[0] ?? [], mem2: groups[1] ?? [], mem3: groups[2] ?? [] });
};

/** `AT+CPMS?`: `+CPMS: <mem1>,<used1>,<total1>,<mem2>,...` (up to three storages). */
export const parseCpmsRead = (input: string): Result<StorageUsage[]> => {
  const line = replyLines(input).find((l) => afterPrefix(l, "+CPMS") !== null);
  if (!line) return fail("+CPMS?", "no +CPMS line", input);
  const f = splitFields(afterPrefix(line, "+CPMS")!);
  const out: StorageUsage[] = [];
  for (let i = 0; i + 2 < f.length; i += 3) {
    const used = parseDecimal(f[i + 1]);
    const total = parseDecimal(f[i + 2]);
    if (used === null || total === null) return fail("+CPMS?", "bad counts", input);
    out.push({ storage: unquote(f[i]), used, total });
  }
  return out.length ? ok(out) : fail("+CPMS?", "no storages", input);
};

/** `AT+CPMS=<mem1>[,...]`: the same counts without the names, one pair per storage set. */
export const parseCpmsSet = (input: string): Result<{ used: number; total: number }[]> => {
  const line = replyLines(input).find((l) => afterPrefix(l, "+CPMS") !== null);
  if (!line) return fail("+CPMS=", "no +CPMS line", input);
  const nums = splitFields(afterPrefix(line, "+CPMS")!).map(parseDecimal);
  if (nums.length < 2 || nums.some((n) => n === null)) return fail("+CPMS=", "bad counts", input);
  const out: { used: number; total: number }[] = [];
  for (let i = 0; i + 1 < nums.length; i += 2) out.push({ used: nums[i]!, total: nums[i + 1]! });
  return ok(out);
};

export interface ServiceCentre {
  readonly number: string;
  readonly type: number | null;
}

/**
 * `AT+CSCA?`: `+CSCA: <sca>,<tosca>`. Under +CSCS="UCS2" the number comes as UCS2 hex,
 * quoted or not (gammu at-smsc 01/05). An empty number is an error: nothing can be sent.
 */
export const parseCscaRead = (input: string): Result<ServiceCentre> => {
  const line = replyLines(input).find((l) => afterPrefix(l, "+CSCA") !== null);
  if (!line) return fail("+CSCA?", "no +CSCA line", input);
  const f = splitFields(afterPrefix(line, "+CSCA")!);
  let number = unquote(f[0]);
  if (/^(00[0-9A-F]{2}){3,}$/i.test(number)) {
    let decoded = "";
    for (let i = 0; i < number.length; i += 4) decoded += String.fromCharCode(Number.parseInt(number.slice(i, i + 4), 16));
    number = decoded;
  }
  if (!/^\+?[0-9*#]+$/.test(number)) return fail("+CSCA?", `no service centre number ('${number}')`, input);
  return ok({ number, type: parseDecimal(f[1]) });
};
