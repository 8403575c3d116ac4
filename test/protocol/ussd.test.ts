import { describe, expect, it } from "vitest";
import { parseCusd, ussdStatusName } from "../../protocol/ussd/cusd";
import { decodeUssdPayload } from "../../protocol/ussd/decode";
import { buildCusdWrite, encodeUssdRequest } from "../../protocol/ussd/encode";

describe("USSD requests", () => {
  it("encodes in each form a modem may want", () => {
    expect(encodeUssdRequest("*100#", "text")).toEqual({ ok: true, value: { str: "*100#", dcs: 15 } });
    expect(encodeUssdRequest("*100#", "ucs2")).toEqual({ ok: true, value: { str: "002A0031003000300023", dcs: 15 } });
    const packed = encodeUssdRequest("*101#", "packed-gsm7");
    expect(packed.ok && buildCusdWrite(packed.value)).toBe('AT+CUSD=1,"AA182C3602",15');
  });

  it("refuses what cannot be sent, saying why", () => {
    expect(encodeUssdRequest("", "text")).toMatchObject({ ok: false });
    expect(encodeUssdRequest("*100#ж", "packed-gsm7")).toMatchObject({ ok: false, error: { reason: /GSM 7-bit alphabet/ } });
    expect(encodeUssdRequest('*1"#', "text")).toMatchObject({ ok: false, error: { reason: /double quote/ } });
    // 100 extension characters are 200 septets: too long although only 100 characters.
    expect(encodeUssdRequest("{".repeat(100), "packed-gsm7")).toMatchObject({ ok: false, error: { reason: /182/ } });
    expect(encodeUssdRequest("a".repeat(182), "packed-gsm7").ok).toBe(true);
    expect(encodeUssdRequest("ж".repeat(81), "ucs2")).toMatchObject({ ok: false });
  });
});

describe("USSD replies", () => {
  it("names the status codes", () => {
    expect([0, 1, 2, 3, 4, 5, 9].map(ussdStatusName)).toEqual([
      "done",
      "more",
      "terminated",
      "other-client",
      "unsupported",
      "timeout",
      "unknown",
    ]);
  });

  it("reads UCS2 hex of a mixed-script text when the modem's charset is UCS2", () => {
    // "你好世界 OK": CJK units have varied high bytes (3 of 7 share 0x00), and DCS 15 says GSM.
    const hex = "4F60597D4E16754C0020004F004B";
    expect(decodeUssdPayload(hex, 15, "IRA").encoding).not.toBe("ucs2");
    expect(decodeUssdPayload(hex, 15, "UCS2")).toEqual({ text: "你好世界 OK", encoding: "ucs2", language: null });
  });

  it("keeps a plain numeric answer as text and rejects a malformed code", () => {
    expect(decodeUssdPayload("1234", 15)).toEqual({ text: "1234", encoding: "text", language: null });
    expect(parseCusd("+CUSD: x")).toMatchObject({ ok: false });
  });
});
