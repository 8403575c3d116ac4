import { parseCcwaUnsolicited, parseClccLine, parseClipUnsolicited } from "../../protocol/at/calls";
import { parseCopsRead, parseCopsTest } from "../../protocol/at/operator";
import { parseRegistration } from "../../protocol/at/registration";
import { parseCimi, parseCnum, parseCpinRead, parseCsq, parseIccid } from "../../protocol/at/sim";
import {
  parseCdsUnsolicited,
  parseCmglPdu,
  parseCmgrPdu,
  parseCmgrText,
  parseCmtiUnsolicited,
  parseCpmsRead,
  parseCpmsTest,
  parseCscaRead,
} from "../../protocol/at/sms-storage";
import type { Result } from "../../protocol/result";
import { decodeSmsPdu } from "../../protocol/sms/decode";
import { parseCusd } from "../../protocol/ussd/cusd";
import { decodeCusd } from "../../protocol/ussd/decode";
import { encodeUssdRequest } from "../../protocol/ussd/encode";

/**
 * One decode request, as `decode --batch` reads it: `kind` is a vector kind of
 * test/fixtures/at-responses.json, or `pdu`, `ussd`, `ussd_encode`.
 */
/** Every kind decodeToShape knows (a test keeps this list and its cases the same). */
export const DECODE_KINDS = [
  "registration", "cops_scan", "cops_read", "cpms_test", "cpms_read", "cmgl", "cmgr", "cds_urc", "clip_urc", "ccwa_urc", "cpin", "iccid",
  "imsi", "cnum", "csq", "csca", "cmti_urc", "cusd", "clcc", "pdu", "ussd", "ussd_encode",
] as const;

export interface DecodeRequest {
  readonly kind: string;
  readonly input: string;
  readonly has_smsc?: boolean;
  readonly solicited?: boolean;
}

type Shape = Record<string, unknown> | unknown[];

const err = (r: { ok: false; error: { message: string } }) => ({ error: r.error.message });
const map = <T>(r: Result<T>, f: (v: T) => Shape): Shape => (r.ok ? f(r.value) : err(r));

/**
 * The JSON each kind prints: the field names and enum spellings of the vectors' `expected`
 * objects, so a result can be compared with a vector key by key.
 */
export const decodeToShape = (req: DecodeRequest): Shape => {
  const input = req.input;
  switch (req.kind) {
    case "registration":
      return map(parseRegistration(input, { solicited: req.solicited ?? false }), (r) => ({
        state: r.state,
        lac: r.lac,
        ci: r.ci,
        act: r.act,
        is_cgreg: r.family === "CGREG",
        is_cereg: r.family === "CEREG",
        is_c5greg: r.family === "C5GREG",
      }));
    case "cops_scan":
      return map(parseCopsTest(input), (ops) => ops.map((o) => ({ ...o })));
    case "cops_read":
      return map(parseCopsRead(input), (o) => ({ operator: o.operator }));
    case "cpms_test":
      return map(parseCpmsTest(input), (s) => ({ mem1: s.mem1, mem2: s.mem2, mem3: s.mem3 }));
    case "cpms_read":
      return map(parseCpmsRead(input), (s) => s.map((x) => ({ ...x })));
    case "cmgl":
      return map(parseCmglPdu(input), (l) => l.map(({ index, status, pdu }) => ({ index, status, pdu })));
    case "cmgr": {
      if (/\+CMG[RL]:\s*"(REC|STO)/i.test(input)) return map(parseCmgrText(input), (l) => l.map((m) => ({ ...m })));
      return map(parseCmgrPdu(input), ({ index, status, pdu }) => [{ index, status, pdu }]);
    }
    case "cds_urc":
      return map(parseCdsUnsolicited(input), (c) => ({ length: c.length, pdu: c.pdu }));
    case "clip_urc":
      return map(parseClipUnsolicited(input), (c) => ({ number: c.number, type: c.type }));
    case "ccwa_urc":
      return map(parseCcwaUnsolicited(input), (c) => ({ number: c.number, type: c.type, class: c.class }));
    case "cpin":
      return map(parseCpinRead(input), (p) => ({ lock: p.lock, has_prefix: p.hasPrefix }));
    case "iccid":
      return map(parseIccid(input), (iccid) => ({ iccid }));
    case "imsi":
      return map(parseCimi(input), (imsi) => ({ imsi }));
    case "cnum":
      return map(parseCnum(input), (n) => ({ number: n[0]!.number }));
    case "csq":
      return map(parseCsq(input), (s) => ({ ...s }));
    case "csca":
      return map(parseCscaRead(input), (s) => ({ ...s }));
    case "cmti_urc": {
      // chan_dongle's convention, which the vectors follow: an unreadable index is -1.
      const r = parseCmtiUnsolicited(input);
      return { index: r.ok ? r.value.index : -1 };
    }
    case "cusd": {
      const r = parseCusd(input);
      if (!r.ok) return { ok: false, type: -1, str: "", dcs: -1 };
      return { ok: true, type: r.value.status, str: r.value.payload, dcs: r.value.dcs ?? -1 };
    }
    case "clcc": {
      const r = parseClccLine(input);
      if (!r.ok) return { ok: false, idx: 0, dir: 0, stat: 0, mode: 0, mpty: 0, number: "", toa: 0 };
      const c = r.value;
      return { ok: true, idx: c.idx, dir: c.dir, stat: c.stat, mode: c.mode, mpty: c.mpty, number: c.number, toa: c.toa };
    }
    case "pdu":
      return map(decodeSmsPdu(input, { hasSmsc: req.has_smsc ?? true }), (p) => {
        const out: Record<string, unknown> = {
          type: p.type,
          smsc: p.smsc,
          number: p.number,
          number_type: p.numberType,
          pid: p.pid,
          dcs: p.dcs,
          alphabet: p.alphabet,
          scts: p.scts,
          udl: p.udl,
          text: p.text,
          mr: p.mr,
          tpdu_len: p.tpduLength,
          multipart: p.concat !== null && p.concat.total > 1,
        };
        if (p.concat) Object.assign(out, { concat_ref: p.concat.ref, concat_total: p.concat.total, concat_seq: p.concat.seq });
        if (p.ports) Object.assign(out, { dst_port: p.ports.dst, src_port: p.ports.src });
        if (p.alphabet === "8bit") Object.assign(out, { data_hex: p.dataHex, text_8bit_ascii: p.text });
        if (p.validity.kind === "relative") out.vp_relative = p.validity.octet;
        if (p.validity.kind === "absolute") out.vp_absolute = p.validity.at;
        if (p.type === "SMS-STATUS-REPORT") Object.assign(out, { discharge: p.discharge, status: p.status });
        if (p.truncated) out.truncated = true;
        return out;
      });
    case "ussd":
      return map(decodeCusd(input), (u) => ({ status: u.status, dcs: u.dcs, text: u.text }));
    case "ussd_encode":
      return map(encodeUssdRequest(input, "packed-gsm7"), (r) => ({ hex: r.str }));
    default:
      return { error: `unknown kind '${req.kind}'` };
  }
};

const GUESSES: readonly [RegExp, string][] = [
  [/^\+C(G|E|5G)?REG:/i, "registration"],
  [/^\+COPS:\s*\(/i, "cops_scan"],
  [/^\+COPS:/i, "cops_read"],
  [/^\+CPMS:\s*\(/i, "cpms_test"],
  [/^\+CPMS:/i, "cpms_read"],
  [/^\+CMGL:/i, "cmgl"],
  [/^\+CMGR:/i, "cmgr"],
  [/^\+CDS:/i, "cds_urc"],
  [/^\+CLIP:/i, "clip_urc"],
  [/^\+CCWA:/i, "ccwa_urc"],
  [/^\+CPIN:/i, "cpin"],
  [/^[+^]?(Q?CCID|ICCID)/i, "iccid"],
  [/^\+CNUM:/i, "cnum"],
  [/^\+CMTI:/i, "cmti_urc"],
  [/^\+CUSD:/i, "ussd"],
  [/^\+CLCC:/i, "clcc"],
  [/^(\+CSQ|\^RSSI):/i, "csq"],
  [/^\+CSCA:/i, "csca"],
];

/** Picks a kind for `decode at '<text>'` from the first line's prefix. */
export const guessKind = (text: string): string | null => {
  const first = text.trim().split(/\r?\n|\r/)[0] ?? "";
  return GUESSES.find(([re]) => re.test(first))?.[1] ?? null;
};
