import { FastCheck as fc } from "effect";
import { describe, expect, it } from "vitest";
import { AtFramer, type AtEvent, frameAll } from "../../../protocol/at/framer";

// A send with its prompt, an interleaved URC in the middle of a response, a verbose CMS error,
// stray CRs and blank lines, a PDU-mode +CMT with its PDU line and a dial that ends in BUSY.
// Shapes follow the captures in test/fixtures (gammu dumps, ModemManager tests).
const TRANSCRIPT =
  "AT+CMGF=0\r\r\nOK\r\n" +
  "AT+CMGS=23\r\r\n> 0011000B916407281553F80000AA0AE8329BFD4697D9EC37\x1a\r\n+CMGS: 12\r\n\r\nOK\r\n" +
  "AT+CMGL=4\r\r\n+CMGL: 0,1,,23\r\n07912374151616F6040B912374786468F300002010701280334009D4E2940A6A01002D\r\n" +
  "\r\n+CMTI: \"SM\",3\r\n" +
  "+CMGL: 1,1,,23\r\n07912374151616F6040B912374786468F300002010701280334009D4E2940A6A01002D\r\n\r\nOK\r\n" +
  "\r\r\n\n+CMS ERROR: 500\r\n" +
  "\r\n+CME ERROR: SIM not inserted\r\n" +
  "\n+CMT: ,24\r\n07914356060013F1040B916407281553F80000AA0AE8329BFD4697D9EC37\r\n" +
  "ATD+4915155555;\r\r\nBUSY\r\n" +
  "\r\nRING\r\n\r\n+CLIP: \"+491234\",145,,,,0\r\n" +
  "ATA\r\r\nCONNECT 9600\r\n" +
  "\r\nNO CARRIER\r\n";

const EXPECTED: AtEvent[] = [
  { kind: "echo", text: "AT+CMGF=0" },
  { kind: "final", text: "OK", result: { kind: "ok" } },
  { kind: "echo", text: "AT+CMGS=23" },
  { kind: "prompt" },
  { kind: "line", text: "0011000B916407281553F80000AA0AE8329BFD4697D9EC37" },
  { kind: "line", text: "+CMGS: 12" },
  { kind: "final", text: "OK", result: { kind: "ok" } },
  { kind: "echo", text: "AT+CMGL=4" },
  { kind: "line", text: "+CMGL: 0,1,,23" },
  { kind: "line", text: "07912374151616F6040B912374786468F300002010701280334009D4E2940A6A01002D" },
  { kind: "line", text: '+CMTI: "SM",3' },
  { kind: "line", text: "+CMGL: 1,1,,23" },
  { kind: "line", text: "07912374151616F6040B912374786468F300002010701280334009D4E2940A6A01002D" },
  { kind: "final", text: "OK", result: { kind: "ok" } },
  { kind: "final", text: "+CMS ERROR: 500", result: { kind: "cms-error", code: 500, text: "500" } },
  {
    kind: "final",
    text: "+CME ERROR: SIM not inserted",
    result: { kind: "cme-error", code: null, text: "SIM not inserted" },
  },
  { kind: "line", text: "+CMT: ,24" },
  { kind: "line", text: "07914356060013F1040B916407281553F80000AA0AE8329BFD4697D9EC37" },
  { kind: "echo", text: "ATD+4915155555;" },
  { kind: "final", text: "BUSY", result: { kind: "busy" } },
  { kind: "line", text: "RING" },
  { kind: "line", text: '+CLIP: "+491234",145,,,,0' },
  { kind: "echo", text: "ATA" },
  { kind: "final", text: "CONNECT 9600", result: { kind: "connect", text: "9600" } },
  { kind: "final", text: "NO CARRIER", result: { kind: "no-carrier" } },
];

const bytes = Uint8Array.from(TRANSCRIPT, (c) => c.charCodeAt(0));

const frameInChunks = (cuts: number[]): AtEvent[] => {
  const framer = new AtFramer();
  const events: AtEvent[] = [];
  let from = 0;
  for (const cut of [...new Set(cuts)].sort((a, b) => a - b)) {
    events.push(...framer.push(bytes.subarray(from, cut)));
    from = cut;
  }
  events.push(...framer.push(bytes.subarray(from)));
  return events;
};

describe("AtFramer", () => {
  it("frames a captured transcript into lines, echoes, prompts and final results", () => {
    expect(frameAll(bytes)).toEqual(EXPECTED);
  });

  it("yields the same events for any split of the transcript", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: bytes.length }), { maxLength: 40 }), (cuts) => {
        expect(frameInChunks(cuts)).toEqual(EXPECTED);
      }),
      { numRuns: 500 },
    );
  });

  it("yields the same events when fed one byte at a time", () => {
    const framer = new AtFramer();
    const events = [...bytes].flatMap((b) => framer.push(Uint8Array.of(b)));
    expect(events).toEqual(EXPECTED);
  });

  it("emits the prompt as soon as '> ' arrives, with no terminator", () => {
    const framer = new AtFramer();
    expect(framer.push("AT+CMGS=23\r\r\n>")).toEqual([{ kind: "echo", text: "AT+CMGS=23" }]);
    expect(framer.pending()).toBe(">");
    expect(framer.push(" ")).toEqual([{ kind: "prompt" }]);
    expect(framer.pending()).toBe("");
  });

  it("treats a bare '>' line as the prompt (firmwares that terminate it)", () => {
    expect(frameAll("AT+CMGW=20\r\r\n>\r\n")).toEqual([{ kind: "echo", text: "AT+CMGW=20" }, { kind: "prompt" }]);
  });

  it("reads '> ' as text when no prompt is due (a quoted line in a text-mode SMS)", () => {
    const events = frameAll('AT+CMGR=3\r\r\n+CMGR: "REC READ","+4912",,"24/01/01,10:00:00+04"\r\n> see below\r\n>\r\nOK\r\n');
    expect(events.filter((e) => e.kind === "prompt")).toEqual([]);
    expect(events).toContainEqual({ kind: "line", text: "> see below" });
    expect(events).toContainEqual({ kind: "line", text: ">" });
  });

  it("expects the prompt after expectPrompt() when the modem does not echo (ATE0)", () => {
    const framer = new AtFramer();
    expect(framer.push("\r\n> ")).toEqual([]);
    framer.reset();
    framer.expectPrompt();
    expect(framer.push("\r\n> ")).toEqual([{ kind: "prompt" }]);
    // One prompt per arming: a later "> " line is text again.
    expect(framer.push("> x\r\n")).toEqual([{ kind: "line", text: "> x" }]);
  });

  it("recognises the echo of an announced PDU and strips Ctrl-Z", () => {
    const framer = new AtFramer();
    framer.expectEcho("0011000B91\x1a");
    expect(framer.push("0011000B91\x1a\r\n+CMGS: 7\r\n")).toEqual([
      { kind: "echo", text: "0011000B91" },
      { kind: "line", text: "+CMGS: 7" },
    ]);
  });

  it("does not mistake a quoted '>' inside a line for the prompt", () => {
    expect(frameAll('\r\n+CUSD: 0,"a > b",15\r\n')).toEqual([{ kind: "line", text: '+CUSD: 0,"a > b",15' }]);
  });

  it("survives garbage bytes without throwing and keeps later lines intact", () => {
    const framer = new AtFramer();
    const noise = Uint8Array.from([0xff, 0x00, 0x80, 0x13, 0x11, 0x0d, 0x0a]);
    const events = framer.push(noise);
    expect(events).toEqual([{ kind: "line", text: "\xff\x80" }]);
    expect(framer.push("\r\nOK\r\n")).toEqual([{ kind: "final", text: "OK", result: { kind: "ok" } }]);
  });
});
