import { describe, expect, it } from "vitest";
import { parseCcwaUnsolicited, parseClcc, parseClipUnsolicited } from "../../../protocol/at/calls";
import { isRegistered, isRoaming, parseRegistration } from "../../../protocol/at/registration";
import { parseCimi, parseCnum, parseCpinRead, parseCsq, parseIccid } from "../../../protocol/at/sim";
import {
  parseCmglPdu,
  parseCmgrPdu,
  parseCmgrText,
  parseCmtiUnsolicited,
  parseCpmsRead,
  parseCpmsSet,
  textStampToIso,
} from "../../../protocol/at/sms-storage";

// Forms the vectors do not cover, written the way the named modems print them.

describe("ICCID in every vendor form", () => {
  it.each([
    ["+CCID: 89860318640220133897", "89860318640220133897"], // SIMCom
    ['+ICCID: "8944200053671052499F"', "8944200053671052499"], // Sierra, F-padded
    ["^ICCID: 98231420326409614067", "89324102234690160476"], // Huawei, nibble-swapped
    ["+QCCID: 89860318640220133897", "89860318640220133897"], // Quectel
    ['+CRSM: 144,0,"98231420326409614067"', "89324102234690160476"], // EF_ICCID read raw
    ["AT+CCID\r\r\n89860318640220133897\r\n\r\nOK\r\n", "89860318640220133897"], // bare, echoed
  ])("%j", (input, iccid) => {
    expect(parseIccid(input)).toEqual({ ok: true, value: iccid });
  });

  it("rejects what is not an ICCID, saying why", () => {
    const r = parseIccid("+CME ERROR: 10");
    expect(r.ok).toBe(false);
    expect(parseIccid("+CCID: 12345")).toMatchObject({ ok: false });
  });
});

describe("SIM and signal", () => {
  it("reads +CSQ, treating 99 as unknown, and Huawei ^RSSI", () => {
    expect(parseCsq("+CSQ: 17,99")).toEqual({ ok: true, value: { rssi: 17, dbm: -79, ber: null, percent: 55 } });
    expect(parseCsq("+CSQ: 99,99")).toMatchObject({ value: { rssi: null, dbm: null, percent: 0 } });
    expect(parseCsq("^RSSI: 31")).toMatchObject({ value: { rssi: 31, dbm: -51 } });
    expect(parseCsq("+CSQ: ,")).toMatchObject({ ok: false });
  });

  it("reads the IMSI bare or prefixed, and refuses an error", () => {
    expect(parseCimi("AT+CIMI\r\r\n250011234567890\r\n\r\nOK")).toEqual({ ok: true, value: "250011234567890" });
    expect(parseCimi("+CIMI: 250011234567890")).toEqual({ ok: true, value: "250011234567890" });
    expect(parseCimi("+CME ERROR: 10")).toMatchObject({ ok: false });
  });

  it("lists every +CNUM line and reads SIM-not-inserted from +CPIN", () => {
    const r = parseCnum('+CNUM: "Voice","+79130000001",145\r\n+CNUM: "Data","89130000002",129\r\nOK');
    expect(r.ok && r.value.map((n) => [n.number, n.type])).toEqual([
      ["+79130000001", 145],
      ["89130000002", 129],
    ]);
    expect(parseCpinRead("+CME ERROR: 10")).toMatchObject({ value: { lock: "NOT_INSERTED", cmeError: 10 } });
    expect(parseCpinRead("+CPIN: READY")).toMatchObject({ value: { lock: "READY" } });
    expect(parseCpinRead("+CPIN: NOT READY")).toMatchObject({ value: { lock: "NOT_READY" } });
  });

  it("groups registration states", () => {
    const state = (line: string) => {
      const r = parseRegistration(line, { solicited: false });
      if (!r.ok) throw new Error(r.error.message);
      return r.value.state;
    };
    expect(isRegistered(state("+CREG: 1"))).toBe(true);
    expect(isRegistered(state("+CREG: 2"))).toBe(false);
    expect(isRoaming(state("+CREG: 5"))).toBe(true);
    expect(isRoaming(state("+CEREG: 10"))).toBe(true);
    expect(isRegistered(state("+CREG: 3"))).toBe(false);
    expect(parseRegistration("+CREG: x", { solicited: false })).toMatchObject({ ok: false });
  });
});

describe("calls", () => {
  it("reads every +CLCC line of a reply and reports a broken one", () => {
    const r = parseClcc('+CLCC: 1,1,4,0,0,"+4912",145\r\n+CLCC: 2,0,2,0,0,"100",129\r\n\r\nOK');
    expect(r.ok && r.value.map((c) => [c.idx, c.direction, c.state, c.number])).toEqual([
      [1, "incoming", "incoming", "+4912"],
      [2, "outgoing", "dialing", "100"],
    ]);
    expect(parseClcc('+CLCC: 1,1,4,0,0,"+4912"\r\nOK')).toMatchObject({ ok: false });
    expect(parseClcc("OK")).toEqual({ ok: true, value: [] });
  });

  it("reads the CLI validity of +CLIP and the class of +CCWA", () => {
    expect(parseClipUnsolicited('+CLIP: "",128,,,,1')).toEqual({ ok: true, value: { number: "", type: 128, validity: 1 } });
    expect(parseCcwaUnsolicited('+CCWA: "+4912",145,1')).toMatchObject({ value: { number: "+4912", class: 1 } });
    expect(parseClipUnsolicited("RING")).toMatchObject({ ok: false });
  });
});

describe("SMS storage", () => {
  it("keeps a listing entry whose PDU line is missing, with its index", () => {
    const r = parseCmglPdu("+CMGL: 1,0,,23\r\n+CMGL: 2,1,,9\r\n07910000000000F0\r\nOK");
    expect(r.ok && r.value.map((m) => [m.index, m.pdu])).toEqual([
      [1, ""],
      [2, "07910000000000F0"],
    ]);
  });

  it("takes the index Samsung repeats in +CMGR unless the caller knows it", () => {
    const reply = "+CMGR: 4,1,,9\r\n07910000000000F0\r\nOK";
    expect(parseCmgrPdu(reply)).toMatchObject({ value: { index: 4, status: 1 } });
    expect(parseCmgrPdu(reply, 7)).toMatchObject({ value: { index: 7 } });
  });

  it("reads storage counts for reading and setting", () => {
    expect(parseCpmsRead('+CPMS: "SM",3,30,"SM",3,30,"SR",0,10')).toEqual({
      ok: true,
      value: [
        { storage: "SM", used: 3, total: 30 },
        { storage: "SM", used: 3, total: 30 },
        { storage: "SR", used: 0, total: 10 },
      ],
    });
    expect(parseCpmsSet("+CPMS: 3,30,3,30,0,10")).toMatchObject({ value: [{ used: 3 }, { used: 3 }, { used: 0, total: 10 }] });
    expect(parseCpmsRead('+CPMS: "SM",x,30')).toMatchObject({ ok: false });
  });

  it("reads +CMTI and +CDSI notices", () => {
    expect(parseCmtiUnsolicited('+CMTI: "SM",3')).toEqual({ ok: true, value: { storage: "SM", index: 3 } });
    expect(parseCmtiUnsolicited('+CDSI: "SR",1')).toEqual({ ok: true, value: { storage: "SR", index: 1 } });
  });

  it("converts text-mode stamps with their zone in quarter hours", () => {
    expect(textStampToIso("24/02/29,23:59:59-20")).toBe("2024-02-29T23:59:59-05:00");
    expect(textStampToIso("07/07/05,09:56:03+22")).toBe("2007-07-05T09:56:03+05:30");
    expect(textStampToIso("06/05/28,18:15:41+80")).toBe("2006-05-28T18:15:41");
    expect(textStampToIso("yesterday")).toBeNull();
  });
});

describe("text-mode listing", () => {
  it("reads each +CMGL entry with its index and its own multi-line text", () => {
    const reply =
      'AT+CMGL="ALL"\r\r\n' +
      '+CMGL: 1,"REC UNREAD","+4915155555",,"24/03/01,09:15:00+04"\r\nYour code is 4856\r\n' +
      '+CMGL: 4,"REC READ","Megafon",,"24/03/01,09:16:30+12"\r\nLine one\r\nLine two \r\n' +
      "\r\nOK\r\n";
    const r = parseCmgrText(reply);
    expect(r.ok && r.value.map((m) => [m.index, m.status, m.number, m.sctsIso, m.text])).toEqual([
      [1, "REC UNREAD", "+4915155555", "2024-03-01T09:15:00+01:00", "Your code is 4856"],
      [4, "REC READ", "Megafon", "2024-03-01T09:16:30+03:00", "Line one\nLine two "],
    ]);
  });
});
