import { Deliver, parse, Submit } from "node-pdu";
import { afterEach, describe, expect, it } from "vitest";
import { decodeSmsPdu } from "../../../protocol/sms/decode";
import { encodeSubmit } from "../../../protocol/sms/encode";
import { relativeValidityMinutes } from "../../../protocol/sms/fields";
import { readJsonFixture } from "../../support/fixtures";

/**
 * The node-pdu 2.1.1 defects from the stack notes (1-11) and one found while building the
 * facade (12). Each test first shows node-pdu's wrong answer on the same input (so we learn
 * when an upgrade fixes it), then the facade's right one.
 */
const vectors = readJsonFixture<{ vectors: { id: string; pdu: string }[] }>("pdu-vectors.json").vectors;
const pduOf = (id: string) => vectors.find((v) => v.id === id)!.pdu;
const decoded = (hex: string) => {
  const r = decodeSmsPdu(hex);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};
const submitWithVp = (vp: string) => `0011000B915155551532F40000${vp}02E834`;

describe("node-pdu defects, corrected by the facade", () => {
  const tz = process.env.TZ;
  afterEach(() => {
    if (tz === undefined) delete process.env.TZ;
    else process.env.TZ = tz;
  });

  it("1. GSM 7-bit 0x5F is '§', not '`'", () => {
    const encoded = encodeSubmit({ to: "+15555551234", text: "§ 5" });
    if (!encoded.ok) throw new Error(encoded.error.message);
    const pdu = encoded.value[0]!.pdu;
    expect((parse(pdu) as Submit).data.getText()).toBe("` 5");
    expect(decoded(pdu).text).toBe("§ 5");
    // oFono's whole-alphabet vector is a bare TPDU: an empty SMSC part goes in front.
    expect(decoded(`00${pduOf("ofono-sms-charset-default")}`).text).toContain("Ü§¿");
  });

  it("2. relative validity periods decode to the 23.040 durations", () => {
    const cases: [string, number][] = [
      ["A0", (12 * 60 + 17 * 30) * 60],
      ["AA", 4 * 24 * 3600],
      ["C5", 5 * 7 * 24 * 3600],
    ];
    for (const [vp, seconds] of cases) {
      const node = parse(submitWithVp(vp)) as Submit;
      expect(node.validityPeriod.interval).not.toBe(seconds);
      const ours = decoded(submitWithVp(vp)).validity;
      expect(ours).toEqual({ kind: "relative", octet: Number.parseInt(vp, 16), minutes: seconds / 60 });
    }
  });

  it("3. validity beyond 30 days encodes in weeks and round-trips", () => {
    const days100 = 100 * 24 * 3600;
    const node = new Submit("+15555551234", "hi");
    node.setValidityPeriod(days100);
    const nodeHex = node.toString();
    const nodeRead = decodeSmsPdu(nodeHex);
    expect(nodeRead.ok && nodeRead.value.validity.kind === "relative" && nodeRead.value.validity.minutes >= days100 / 60).toBe(false);

    const ours = encodeSubmit({ to: "+15555551234", text: "hi", validityMinutes: days100 / 60 });
    expect(ours.ok).toBe(true);
    if (!ours.ok) return;
    expect(ours.value[0]!.pdu.length % 2).toBe(0);
    const v = decoded(ours.value[0]!.pdu).validity;
    expect(v.kind).toBe("relative");
    if (v.kind === "relative") {
      expect(v.octet).toBe(207); // 15 weeks: the smallest period of at least 100 days
      expect(v.minutes).toBe(relativeValidityMinutes(207));
    }
  });

  it("4. SCTS keeps its own offset: +00:00 and +05:30 as written", () => {
    const utc = "07912143658709F1040B918100551512F20000111010214365000AE8329BFD4697D9EC37";
    const india = "07912143658709F1040B918100551512F20000111010214365220AE8329BFD4697D9EC37";
    expect((parse(india) as Deliver).serviceCenterTimeStamp.getIsoString()).toBe("2011-01-01T12:34:56+5.5:00");
    expect(decoded(india).scts).toBe("2011-01-01T12:34:56+05:30");
    process.env.TZ = "Asia/Tokyo";
    expect((parse(utc) as Deliver).serviceCenterTimeStamp.getIsoString()).not.toMatch(/\+00:00$/);
    expect(decoded(utc).scts).toBe("2011-01-01T12:34:56+00:00");
  });

  it("5. absolute validity does not depend on the host time zone", () => {
    const hex = pduOf("pygsm-decode-10");
    const nodeAt = (zone: string) => {
      process.env.TZ = zone;
      return (parse(hex) as Submit).validityPeriod.dateTime?.toString();
    };
    expect(nodeAt("America/New_York")).not.toBe(nodeAt("Asia/Tokyo"));
    for (const zone of ["America/New_York", "Asia/Tokyo", "UTC"]) {
      process.env.TZ = zone;
      expect(decoded(hex).validity).toEqual({ kind: "absolute", at: "2013-07-10T13:39:00+02:00" });
    }
  });

  it("6. malformed PDUs are rejected, not returned with an empty text", () => {
    for (const id of ["mm-invalid-wrong-udh", "mm-invalid-wrong-user-data-elements-size"]) {
      expect(() => parse(pduOf(id))).not.toThrow();
      const r = decodeSmsPdu(pduOf(id));
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.reason).toMatch(/malformed/);
    }
  });

  it("7. an address length that counts the F filler does not keep it", () => {
    const hex = pduOf("pygsm-decode-08");
    expect((parse(hex) as Submit).address.phone).toBe("60164355246F");
    expect(decoded(hex).number).toBe("+60164355246");
  });

  it("8. splitting counts septets: extension characters never overflow a part", () => {
    // node-pdu cuts 133 characters per part: 133 '[' are 266 septets, far past 160.
    const text = "x".repeat(20) + "[".repeat(140);
    const node = new Submit("+15555551234", text);
    const nodeParts = node.getPartStrings();
    const first = decodeSmsPdu(nodeParts[0]!);
    expect(first.ok).toBe(false);
    if (!first.ok) expect(first.error.reason).toMatch(/exceeds 140/);
    const ours = encodeSubmit({ to: "+15555551234", text, reference: 1 });
    expect(ours.ok).toBe(true);
    if (!ours.ok) return;
    expect(ours.value.map((p) => decoded(p.pdu).text).join("")).toBe(text);
    for (const p of ours.value) expect(decoded(p.pdu).udl).toBeLessThanOrEqual(160);
  });

  it("9. non-GSM characters below U+00C0 switch to UCS2 instead of becoming spaces", () => {
    const text = "¢ © °";
    const node = new Submit("+15555551234", text);
    expect(decoded(node.toString()).text).toBe("     ");
    const ours = encodeSubmit({ to: "+15555551234", text, reference: 1 });
    expect(ours.ok && decoded(ours.value[0]!.pdu)).toMatchObject({ alphabet: "ucs2", text });
  });

  it("10. parts use the real limits: 160/153 septets, 70/67 UCS2 units", () => {
    const sizes = (text: string) => {
      const r = encodeSubmit({ to: "+15555551234", text, reference: 1 });
      return r.ok ? r.value.map((p) => p.text.length) : [];
    };
    expect(new Submit("+15555551234", "a".repeat(161)).data.parts.map((p) => p.text.length)).toEqual([133, 28]);
    expect(sizes("a".repeat(160))).toEqual([160]);
    expect(sizes("a".repeat(161))).toEqual([153, 8]);
    expect(sizes("Ж".repeat(70))).toEqual([70]);
    expect(sizes("Ж".repeat(71))).toEqual([67, 4]);
  });

  it("11. the TPDU length for AT+CMGS excludes the SMSC part", () => {
    const node = new Submit("+15555551234", "hi") as unknown as Record<string, unknown>;
    expect(node.tpduLength).toBeUndefined();
    const withSmsc = encodeSubmit({ to: "+15555551234", text: "hi", smsc: "+19037029920" });
    const without = encodeSubmit({ to: "+15555551234", text: "hi" });
    if (!withSmsc.ok || !without.ok) throw new Error("encode failed");
    expect(withSmsc.value[0]!.tpduLength).toBe(without.value[0]!.tpduLength);
    expect(withSmsc.value[0]!.tpduLength).toBe(withSmsc.value[0]!.pdu.length / 2 - 8);
    expect(decoded(withSmsc.value[0]!.pdu).tpduLength).toBe(withSmsc.value[0]!.tpduLength);
  });

  it("12. address semi-octets 0xA-0xE are '*', '#', 'a', 'b', 'c' (23.040 9.1.2.3)", () => {
    const encoded = encodeSubmit({ to: "*100#", text: "x" });
    if (!encoded.ok) throw new Error(encoded.error.message);
    const pdu = encoded.value[0]!.pdu;
    expect(pdu).toContain("05811A00FB"); // 5 digits, type 0x81, then *1 00 #F swapped
    expect((parse(pdu) as Submit).address.phone).toBe("A100B");
    expect(decoded(pdu).number).toBe("*100#");
    // ZTE's status report (python-gsmmodem): node-pdu also drops a digit and keeps the filler.
    const zte = pduOf("pygsm-decode-11");
    expect(parse(zte).address.phone).toBe("#8427829207025F");
    expect(decoded(zte).number).toBe("+#08427829207025");
  });
});
