import { describe, expect, it } from "vitest";
import { annotate } from "../../src/console/annotate";
import { readJsonFixture } from "../support/fixtures";

// Real modem lines come from test/fixtures/at-responses.json (each item keeps its `source`);
// the others are written the way 27.007 / 27.005 print them.
interface AtItem {
  kind: string;
  source: { repo?: string; symbol?: string };
  response: string;
  solicited?: boolean;
  expected?: Record<string, unknown> | Record<string, unknown>[];
}
const items = readJsonFixture<{ items: AtItem[] }>("at-responses.json").items;
const firstLine = (text: string) => text.split(/\r\n|\r|\n/).find((l) => l.trim() !== "")!.trim();

describe("annotate: what it did before", () => {
  it("decodes a PDU line, words USSD endings and names coded errors", () => {
    // ModemManager test_cmgr_response_telit's PDU.
    expect(annotate("07916163838428F9040B916121021021F700005190514164220A23C4B0BCFD5E8740C4B0BCFD5E83C26E3248196687C9A0301D440DBBC3677918")).toEqual([
      'SMS-DELIVER from +16122001127 [gsm7] at 2015-09-15T14:46:22-05:00: "Darmok! Darmok and Jalad at Tanagra"',
    ]);
    expect(annotate("+CUSD: 4")).toEqual(["USSD (4): operation not supported by the network"]);
    expect(annotate("+CUSD: 2")).toEqual(["USSD (2): the network released the session"]);
    expect(annotate('+CUSD: 0,"Balance 5.00",15')).toEqual(['USSD (0): "Balance 5.00"']);
    expect(annotate("+CME ERROR: 10")).toEqual(["CME error 10: SIM not inserted"]);
    expect(annotate("ERROR")).toEqual([]);
    expect(annotate("OK")).toEqual([]);
  });
});

describe("annotate: +CSQ", () => {
  it.each([
    ["+CSQ: 20,99", ["signal -73 dBm (good)"]],
    ["+CSQ: 17,0", ["signal -79 dBm (good), bit error rate under 0.2% (RXQUAL 0)"]],
    ["+CSQ: 0,99", ["signal -113 dBm or less (very weak)"]],
    ["+CSQ: 1,99", ["signal -111 dBm (very weak)"]],
    ["+CSQ: 5,3", ["signal -103 dBm (marginal), bit error rate 0.8-1.6% (RXQUAL 3)"]],
    ["+CSQ: 10,99", ["signal -93 dBm (fair)"]],
    ["+CSQ: 25,99", ["signal -63 dBm (excellent)"]],
    ["+CSQ: 31,7", ["signal -51 dBm or more (excellent), bit error rate over 12.8% (RXQUAL 7)"]],
    ["+CSQ: 99,99", ["signal not known or not detectable"]],
    ["+CSQ:14,99", ["signal -85 dBm (good)"]],
    ["^RSSI: 9", ["signal -95 dBm (fair)"]], // Huawei's unsolicited level
    ["+CSQ: 150,99", ["signal -66 dBm (TD-SCDMA scale)"]],
    // The test command's reply lists ranges: nothing to say.
    ["+CSQ: (0-31,99),(0-7,99)", []],
  ])("%j", (line, notes) => {
    expect(annotate(line)).toEqual(notes);
  });
});

describe("annotate: registration", () => {
  const WORDS: Record<string, string> = {
    IDLE: "not registered",
    HOME: "registered (home)",
    SEARCHING: "searching",
    DENIED: "registration denied",
    UNKNOWN: "unknown",
    ROAMING: "registered (roaming)",
    ROAMING_CSFB_NOT_PREFERRED: "registered (roaming), CSFB not preferred",
    ATTACHED_RLOS: "attached for access to RLOS",
  };
  const DOMAIN: Record<string, string> = { CREG: "network", CGREG: "GPRS", CEREG: "LTE (EPS)", C5GREG: "5G" };
  const vectors = items.filter((i) => i.kind === "registration" && i.source.repo?.includes("ModemManager"));

  it("covers the captured lines", () => {
    expect(vectors.length).toBeGreaterThan(40);
  });

  it.each(vectors.map((v) => [v.source.symbol!, v] as const))("%s", (_, v) => {
    const expected = v.expected as { state: string; lac: number; ci: number };
    const line = firstLine(v.response);
    const [note, ...rest] = annotate(line, { solicited: v.solicited });
    expect(rest).toEqual([]);
    const family = /^\+(\w+):/.exec(line)![1]!;
    expect(note).toMatch(new RegExp(`^${DOMAIN[family]!.replace(/[()]/g, "\\$&")}: `));
    expect(note!.split(": ")[1]!.startsWith(WORDS[expected.state]!)).toBe(true);
    if (expected.lac !== 0 || expected.ci !== 0) {
      expect(note).toContain(`(${expected.lac}), cell `);
      expect(note).toContain(`(${expected.ci})`);
    } else expect(note).not.toMatch(/cell/);
  });

  it("says the whole of a line: domain, state, location in hex and decimal, technology, reports", () => {
    // ModemManager test_cereg2_solicited / test_creg2_md400_unsolicited.
    expect(annotate("+CEREG: 2,1, 1F00, 79D903 ,7", { solicited: true })).toEqual([
      "LTE (EPS): registered (home), TAC 1F00 (7936), cell 79D903 (7985411), E-UTRAN (LTE); reports changes with location",
    ]);
    expect(annotate('+CREG: 2,5,"0502","0404736D"')).toEqual(["network: registered (roaming), LAC 0502 (1282), cell 404736D (67400557); reports changes with location"]);
    // Spec forms: the read reply <n>,<stat> and the unsolicited <stat>.
    expect(annotate("+CREG: 0,1", { solicited: true })).toEqual(["network: registered (home); no unsolicited reports"]);
    expect(annotate("+CREG: 2")).toEqual(["network: searching"]);
    expect(annotate("+CGREG: 4")).toEqual(["GPRS: unknown"]);
    expect(annotate("+CREG: 0")).toEqual(["network: not registered"]);
  });

  it("reads a reply's <n> when told the line was solicited (ModemManager test_creg2_iridium_solicited)", () => {
    expect(annotate('+CREG:002,001,"18d8","ffff"', { solicited: true })).toEqual(["network: registered (home), LAC 18D8 (6360), cell FFFF (65535); reports changes with location"]);
  });

  it("says nothing of the test command's ranges", () => {
    expect(annotate("+CREG: (0-2)")).toEqual([]);
  });
});

describe("annotate: +COPS", () => {
  it.each(items.filter((i) => i.kind === "cops_read").map((i) => [i.response, i] as const))("%j (gammu)", (line, item) => {
    expect(annotate(line)).toEqual([`automatic network selection, operator "${(item.expected as { operator: string }).operator}" (long name), GSM`]);
  });

  it.each([
    ["+COPS: 0", ["automatic network selection, no operator (not registered)"]],
    ['+COPS: 1,2,"26201",7', ["manual network selection, operator 26201 (MCC 262, MNC 01), E-UTRAN (LTE)"]],
    ['+COPS: 0,2,"310410",2', ["automatic network selection, operator 310410 (MCC 310, MNC 410), UTRAN (3G)"]],
    ['+COPS: 4,1,"TMO"', ['manual selection, automatic if it fails, operator "TMO" (short name)']],
    ["+COPS: 2", ["deregistered from the network, no operator"]],
    ['+COPS: 0,0,"Op",9', ['automatic network selection, operator "Op" (long name), E-UTRAN NB-S1 (NB-IoT)']],
    ['+COPS: 0,0,"Op",3', ['automatic network selection, operator "Op" (long name), GSM with EGPRS (EDGE)']],
  ])("%j", (line, notes) => {
    expect(annotate(line)).toEqual(notes);
  });

  it("lists a network scan one operator a line (ModemManager test_cops_response_gobi)", () => {
    const scan = items.find((i) => i.source.symbol === "test_cops_response_gobi")!;
    expect(annotate(scan.response)).toEqual([
      "T-Mobile (31026, GSM): current",
      "AT&T (310410, UTRAN (3G)): available",
      "AT&T (310410, GSM): available",
    ]);
  });
});

describe("annotate: +CPIN", () => {
  it.each(items.filter((i) => i.kind === "cpin" && i.response.startsWith("+CPIN")).map((i) => [i.response, i] as const))("%j (ModemManager)", (line, item) => {
    const lock = (item.expected as { lock: string }).lock;
    const expected: Record<string, RegExp> = {
      SIM_PIN: /^the SIM waits for its PIN/,
      SIM_PUK2: /^PIN2 is blocked/,
      PH_NET_PIN: /locked to a network/,
    };
    expect(annotate(line)).toEqual([expect.stringMatching(expected[lock]!)]);
  });

  it.each([
    ["+CPIN: READY", "the SIM is ready: no PIN or PUK is needed"],
    ["+CPIN: SIM PUK", "the SIM is blocked: it needs its PUK and a new PIN (10 wrong PUKs destroy it)"],
    ["+CPIN: PH-SIM PIN", "the modem is locked to another SIM: it waits for its phone-to-SIM password"],
    ["+CPIN: NOT INSERTED", "no SIM is inserted, or it is not making contact"],
    ["+CPIN: SOMETHING ELSE", "a SIM state 27.007 does not name"],
  ])("%j", (line, note) => {
    expect(annotate(line)).toEqual([note]);
  });
});

describe("annotate: stored messages", () => {
  it("names <stat> of PDU-mode +CMGL headers (ModemManager test_cmgl_response_*)", () => {
    const words = ["received unread", "received read", "stored unsent", "stored sent"];
    const cmgl = items.filter((i) => i.kind === "cmgl");
    const lines = cmgl.flatMap((i) => i.response.split(/\r\n/).filter((l) => l.startsWith("+CMGL")));
    const expected = cmgl.flatMap((i) => (i.expected as { index: number; status: number }[]).map((m) => [`message ${m.index}: ${words[m.status]}`]));
    expect(lines.length).toBe(expected.length);
    expect(lines.map((l) => annotate(l))).toEqual(expected);
    expect(expected).toContainEqual(["message 17: stored sent"]);
  });

  it("names <stat> of PDU-mode +CMGR headers, and decodes a PDU on the same line (ModemManager test_cmgr_response_*)", () => {
    const telit = items.find((i) => i.source.symbol === "test_cmgr_response_telit")!;
    expect(annotate(firstLine(telit.response))).toEqual(["received unread"]);
    const generic = items.find((i) => i.source.symbol === "test_cmgr_response_generic")!;
    expect(annotate(firstLine(generic.response))).toEqual(["received read", expect.stringMatching(/^SMS-DELIVER from /)]);
  });

  it.each([
    ["+CMGL: 3,0,,24", ["message 3: received unread"]],
    ["+CMGL: 4,2,,24", ["message 4: stored unsent"]],
    ["+CMGR: 3,,24", ["stored sent"]],
    // Text mode words its <stat> already.
    ['+CMGL: 1,"REC UNREAD","+31628870634",,"11/01/09,10:26:26+04"', []],
    ['+CMGR: "REC READ","+31628870634",,"11/01/09,10:26:26+04"', []],
  ])("%j", (line, notes) => {
    expect(annotate(line)).toEqual(notes);
  });

  it("says where a new message or status report was stored", () => {
    expect(annotate('+CMTI: "SM",3')).toEqual(["new message stored in SM at index 3"]);
    expect(annotate('+CMTI: "ME",12')).toEqual(["new message stored in ME at index 12"]);
    expect(annotate('+CDSI: "SR",5')).toEqual(["new status report stored in SR at index 5"]);
    // gammu test_parse_cmti: a storage given as a number, and an empty notice.
    const [numbered, empty] = items.filter((i) => i.kind === "cmti_urc");
    expect(annotate(numbered!.response)).toEqual(["new message stored in 0 at index 111"]);
    expect(annotate(empty!.response)).toEqual([]);
  });
});
