import { describe, expect, it } from "vitest";
import { parseCmgrPdu, parseCmgrText, parseCpmsTest, parseCscaRead } from "../../protocol/at/sms-storage";
import { parseRegistration } from "../../protocol/at/registration";
import { decodeSmsPdu } from "../../protocol/sms/decode";
import { ucs2HexToText } from "../../protocol/text/charset";
import { decodeCusd } from "../../protocol/ussd/decode";
import { gammuDumps, readGammuFile } from "../support/fixtures";

// Raw replies of real phones from gammu's tests (test/fixtures/gammu/SOURCE.md).

describe("gammu at-sms: stored PDUs read with AT+CMGR parse", () => {
  it.each(gammuDumps("at-sms"))("%s", (_name, dump) => {
    const read = parseCmgrPdu(dump);
    expect(read.ok).toBe(true);
    if (!read.ok) return;
    const sms = decodeSmsPdu(read.value.pdu);
    if (!sms.ok) throw new Error(sms.error.message);
    expect(["SMS-DELIVER", "SMS-SUBMIT", "SMS-STATUS-REPORT"]).toContain(sms.value.type);
  });

  it("reads the texts people wrote (spot checks)", () => {
    const text = (name: string) => {
      const r = parseCmgrPdu(readGammuFile("at-sms", name));
      const d = r.ok ? decodeSmsPdu(r.value.pdu) : r;
      return d.ok ? (d.value as { text: string }).text : d.error.message;
    };
    expect(text("02.dump")).toBe("May salary na ba?");
    expect(text("10.dump")).toBe("Tèätrc @ £.");
    expect(text("04.dump")).toMatch(/^O2: You now have your Text Anytime 300/);
  });
});

describe("a reserved DCS that node-pdu reads differently (gammu at-sms 14, DCS 0xF9)", () => {
  it("keeps the text in the alphabet the facade reports", () => {
    const read = parseCmgrPdu(readGammuFile("at-sms", "14.dump"));
    if (!read.ok) throw new Error(read.error.message);
    const sms = decodeSmsPdu(read.value.pdu);
    if (!sms.ok) throw new Error(sms.error.message);
    // 23.038 group 0xF, bit 3 reserved, bit 2 clear: GSM 7-bit. node-pdu says UCS2 and
    // reads "Тест Test"; taking its text would pair a UCS2 reading with a GSM label.
    expect(sms.value.dcs).toBe(0xf9);
    expect(sms.value.alphabet).toBe("gsm7");
    expect(sms.value.text).not.toBe("Тест Test");
    expect(sms.value.text).toHaveLength(sms.value.udl);
  });
});

describe("gammu at-sms-failing: garbage is rejected with a reason", () => {
  it.each(gammuDumps("at-sms-failing"))("%s", (_name, dump) => {
    const read = parseCmgrPdu(dump);
    if (!read.ok) {
      expect(read.error.message).toMatch(/PDU/);
      return;
    }
    const sms = decodeSmsPdu(read.value.pdu);
    expect(sms.ok).toBe(false);
    if (!sms.ok) expect(sms.error.reason.length).toBeGreaterThan(0);
  });
});

describe("gammu at-sms-encode: PDUs gammu encoded decode to the backed-up text", () => {
  const cases = gammuDumps("at-sms-encode").map(([name, pdu]) => {
    const backup = readGammuFile("at-sms-encode", name.replace(".dump", ".backup"));
    const hex = /^Text00\s*=\s*([0-9A-Fa-f]*)/m.exec(backup)?.[1] ?? "";
    const more = [...backup.matchAll(/^Text0[1-9]\s*=\s*([0-9A-Fa-f]*)/gm)].map((m) => m[1]!).join("");
    const coding = /^Coding\s*=\s*(\S+)/m.exec(backup)?.[1] ?? "";
    return [name, pdu.trim(), ucs2HexToText(hex + more) ?? "", coding] as const;
  });
  // gammu writes characters outside the GSM alphabet without their accents under Default
  // coding ("Zkouška" -> "Zkouska"), and the backup holds the whole text while the dump is
  // the first PDU, or one PDU cut at 160 characters.
  const plain = (s: string, coding: string) =>
    coding === "Default" ? s.normalize("NFD").replace(/[\u0300-\u036f]/g, "") : s;
  it.each(cases)("%s", (_name, pdu, text, coding) => {
    const sms = decodeSmsPdu(pdu);
    if (!sms.ok) throw new Error(sms.error.message);
    if (!/Default|Unicode/.test(coding) || !text) return;
    const decoded = plain(sms.value.text, coding);
    expect(decoded.length).toBeGreaterThan(0);
    if (sms.value.concat && sms.value.concat.total > 1) expect(plain(text, coding)).toContain(decoded);
    else expect(plain(text, coding).startsWith(decoded)).toBe(true);
  });
});

describe("gammu at-sms-txt: text-mode reads", () => {
  it("keeps multi-line texts and reads the header without <alpha>", () => {
    const r = parseCmgrText(readGammuFile("at-sms-txt", "motorola-long.dump"));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const [m] = r.value;
    expect(m!.status).toBe("REC READ");
    expect(m!.number).toBe("+6667776667744");
    expect(m!.scts).toBe("2009/8/18,19:11:45");
    expect(m!.sctsIso).toBe("2009-08-18T19:11:45");
    expect(m!.text.split("\n")).toHaveLength(4);
    // The capture ends "Noytaj. " before OK: the sender's trailing space is kept.
    expect(m!.text.endsWith("Noytaj. ")).toBe(true);
  });

  it("reads the zone in quarter hours", () => {
    const r = parseCmgrText(readGammuFile("at-sms-txt", "timezone.dump"));
    expect(r.ok && r.value[0]!.sctsIso).toBe("2007-07-05T09:56:03+02:00");
    expect(r.ok && r.value[0]!.text).toBe("Test message 2");
  });

  it.each(gammuDumps("at-sms-txt-detail"))("detailed header %s", (_n, dump) => {
    const r = parseCmgrText(dump);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.value[0]!.text.length).toBeGreaterThan(0);
  });
});

describe("gammu service centre, storage and registration dumps", () => {
  it.each(gammuDumps("at-smsc"))("+CSCA %s", (_n, dump) => {
    const r = parseCscaRead(dump);
    expect(r.ok && r.value.number).toMatch(/^\+?\d+$/);
  });
  it("an empty service centre is an error", () => {
    expect(parseCscaRead(readGammuFile("at-smsc-failing", "04.dump")).ok).toBe(false);
  });
  it.each(gammuDumps("at-cpms").filter(([n]) => n !== "samsung-j700.dump"))("+CPMS=? %s", (_n, dump) => {
    const r = parseCpmsTest(dump);
    expect(r.ok && r.value.mem1.length).toBeGreaterThan(0);
  });
  it("+CPMS=? with nothing after the colon (Samsung J700) lists no storages", () => {
    const r = parseCpmsTest(readGammuFile("at-cpms", "samsung-j700.dump"));
    expect(r.ok && r.value).toEqual({ mem1: [], mem2: [], mem3: [] });
  });
  it("corner cases of +CREG never throw and keep what is readable", () => {
    const empty = parseRegistration(readGammuFile("at-creg-corner", "empty-lac.dump"), { solicited: true });
    expect(empty.ok && [empty.value.state, empty.value.lac, empty.value.ci]).toEqual(["HOME", 0, 0x605f]);
    const quotes = parseRegistration(readGammuFile("at-creg-corner", "mismatched-quotes.dump"), { solicited: true });
    expect(quotes.ok && [quotes.value.state, quotes.value.lac]).toEqual(["HOME", 0x0b]);
    const huawei = parseRegistration(readGammuFile("at-creg", "huawei.dump"), { solicited: true });
    expect(huawei.ok && [huawei.value.lac, huawei.value.ci]).toEqual([0x4ca, 0x81de445]);
  });
  it.each(gammuDumps("at-ussd"))("+CUSD %s decodes", (_n, dump) => {
    const r = decodeCusd(dump);
    expect(r.ok && r.value.text.length).toBeGreaterThan(0);
  });
});
