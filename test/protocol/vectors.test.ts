import { describe, expect, it } from "vitest";
import { decodeToShape } from "../../src/cli/decode-kinds";
import { selectUssdAnswer, parseCusdAll } from "../../protocol/ussd/cusd";
import { decodeCusd } from "../../protocol/ussd/decode";
import { readJsonFixture } from "../support/fixtures";

interface Source {
  repo?: string;
  symbol?: string;
  cite?: string;
}
interface PduVector {
  id: string;
  source: Source;
  pdu: string;
  has_smsc: boolean;
  expected: Record<string, unknown>;
}
interface AtItem {
  kind: string;
  source: Source;
  desc?: string | null;
  response: string;
  solicited?: boolean;
  expected?: unknown;
}
interface UssdItem {
  id: string;
  source: Source;
  raw?: string;
  sequence?: string[];
  status?: number;
  dcs?: number | null;
  direction?: string;
  input?: string;
  expected_from_source?: string | null;
  decoded_by_research_tool?: string;
}

const pdus = readJsonFixture<{ vectors: PduVector[] }>("pdu-vectors.json").vectors;
const at = readJsonFixture<{ items: AtItem[] }>("at-responses.json").items;
const ussd = readJsonFixture<{ items: UssdItem[] }>("ussd-vectors.json").items;

/**
 * Where a vector's expectation is itself wrong, the item stays, the reason is written here
 * and the correct value is asserted instead.
 */
const CORRECTIONS: Record<string, { why: string; expected: unknown }> = {
  "cops_scan:Samsung Z810": {
    why:
      "ModemManager's regex cannot read a comma inside a quoted name and drops the T-Mobile " +
      "entry; the reply lists two operators.",
    expected: [
      { status: "AVAILABLE", long: "T-Mobile USA, In", short: "T-Mobile", plmn: "310260", act: "GSM" },
      { status: "AVAILABLE", long: "AT&T", short: "AT&T", plmn: "310410", act: "GSM" },
    ],
  },
  "ussd:sms_tool-13-zte-mf286d": {
    why: "the UCS2 payload starts with U+0020; sms_tool trims it when printing, the reply has it.",
    expected: " Du har 0,00 kr och 0,99 GB surf kvar. Du ringer för 2kr/samtal, skickar SMS/MMS för 50öre/st. Köp surf på halebop.se/extras",
  },
};

// The storages ModemManager asserts for these replies (in the test functions, not the data).
const CPMS_EXPECTED: Record<string, unknown> = {
  test_cpms_response_cinterion: { mem1: ["ME", "MT"], mem2: ["ME", "SM", "MT"], mem3: ["SM", "MT"] },
  test_cpms_response_huawei_mu609: { mem1: ["ME"], mem2: ["MT"], mem3: ["SM"] },
  test_cpms_response_nokia_c6: { mem1: [], mem2: [], mem3: [] },
  test_cpms_response_mixed: { mem1: ["ME", "MT"], mem2: ["ME"], mem3: ["SM"] },
  test_cpms_response_mixed_spaces: { mem1: ["ME", "MT"], mem2: ["ME"], mem3: ["SM"] },
};

describe("SMS PDU vectors", () => {
  it.each(pdus.map((v) => [v.id, v] as const))("%s", (_id, v) => {
    const got = decodeToShape({ kind: "pdu", input: v.pdu, has_smsc: v.has_smsc }) as Record<string, unknown>;
    if (v.expected.error) {
      expect(typeof got.error).toBe("string");
      return;
    }
    expect(got.error).toBeUndefined();
    for (const [key, value] of Object.entries(v.expected)) expect({ [key]: got[key] }).toEqual({ [key]: value });
  });
});

/**
 * chan_dongle asserts registration in its own shape ({gsm_reg_status, lac and ci as strings});
 * simgate prints one shape for every registration line, so its items are compared by meaning:
 * the same state, and the hex strings as numbers (an unreadable LAC is 0).
 */
const fromChanDongle = (e: { gsm_reg_status: number; lac: string; ci: string }, got: Record<string, unknown>) => {
  const hex = (s: string) => (/^[0-9A-Fa-f]+$/.test(s) ? Number.parseInt(s, 16) : 0);
  expect(got.state).toBe(["IDLE", "HOME", "SEARCHING", "DENIED", "UNKNOWN", "ROAMING"][e.gsm_reg_status]);
  expect(got.lac).toBe(hex(e.lac));
  expect(got.ci).toBe(hex(e.ci));
};

describe("AT response vectors", () => {
  const named = at.map((item, i) => [`${item.kind}:${item.desc ?? item.source.symbol ?? i}:${i}`, item] as const);
  it.each(named)("%s", (label, item) => {
    const name = label.replace(/:\d+$/, "");
    const got = decodeToShape({ kind: item.kind, input: item.response, solicited: item.solicited ?? true });
    if (item.kind === "registration" && item.source.repo === "wdoekes/asterisk-chan-dongle") {
      fromChanDongle(item.expected as never, got as Record<string, unknown>);
      return;
    }
    const correction = CORRECTIONS[name];
    const expected =
      correction?.expected ??
      (item.kind === "cpms_test" ? CPMS_EXPECTED[item.source.symbol!] : item.expected);
    expect(expected).toBeDefined();
    if (expected && typeof expected === "object" && !Array.isArray(expected) && (expected as { error?: unknown }).error) {
      expect(typeof (got as { error?: unknown }).error).toBe("string");
      return;
    }
    expect(got).toEqual(expected);
  });
});

describe("USSD vectors", () => {
  for (const item of ussd) {
    const correction = CORRECTIONS[`ussd:${item.id}`];
    if (item.direction === "encode") {
      it(`${item.id} encodes to packed GSM 7-bit`, () => {
        expect(decodeToShape({ kind: "ussd_encode", input: item.input! })).toEqual({ hex: item.expected_from_source });
      });
    } else if (item.sequence) {
      it(`${item.id}: the answer among release codes`, () => {
        const codes = parseCusdAll(item.sequence!.join(""));
        expect(codes.ok).toBe(true);
        if (codes.ok) expect(selectUssdAnswer(codes.value)?.payload).toBe(item.expected_from_source);
      });
    } else if (item.raw?.includes("+CUSD")) {
      it(`${item.id} decodes`, () => {
        const got = decodeToShape({ kind: "ussd", input: item.raw! }) as { status: number; dcs: number | null; text: string };
        if (item.status !== undefined) expect(got.status).toBe(item.status);
        if (item.dcs !== undefined) expect(got.dcs).toBe(item.dcs);
        const want = correction?.expected ?? item.expected_from_source ?? item.decoded_by_research_tool;
        if (want !== undefined && want !== null) expect(got.text).toBe(String(want).replace(/^\[lang=\w+\] /, ""));
        else if (/\+CUSD:\s*\d+\s*,/.test(item.raw!)) expect(got.text.length).toBeGreaterThan(0);
        else expect(got.text).toBe("");
      });
    }
  }

  it("keeps the raw payload and the DCS language of Telit's 0x11 reply", () => {
    const raw = ussd.find((i) => i.id === "gammu-issue377-HE910-D")!.raw!;
    const r = decodeCusd(raw);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.language).toBe("ar");
    expect(r.value.encoding).toBe("ucs2");
    expect(raw).toContain(r.value.payload);
  });
});
