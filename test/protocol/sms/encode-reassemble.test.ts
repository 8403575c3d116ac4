import { FastCheck as fc } from "effect";
import { describe, expect, it } from "vitest";
import { decodeSmsPdu } from "../../../protocol/sms/decode";
import { encodeSubmit } from "../../../protocol/sms/encode";
import { missingPartMarker, Reassembler } from "../../../protocol/sms/reassembly";
import { GSM7_DEFAULT } from "../../../protocol/text/gsm7";
import { readJsonFixture } from "../../support/fixtures";

const vectors = readJsonFixture<{ vectors: { id: string; pdu: string; expected: Record<string, string | null> }[] }>(
  "pdu-vectors.json",
).vectors;

describe("encodeSubmit", () => {
  // ModemManager's encoder output (MR 0, relative VP octet 0 when set): byte-exact.
  it.each(vectors.filter((v) => v.id.startsWith("mm-encode-")).map((v) => [v.id, v] as const))("%s", (_id, v) => {
    const first = Number.parseInt(v.pdu.slice(Number.parseInt(v.pdu.slice(0, 2), 16) * 2 + 2).slice(0, 2), 16);
    const r = encodeSubmit({
      to: v.expected.number!,
      text: v.expected.text!,
      ...(v.expected.smsc ? { smsc: v.expected.smsc } : {}),
      ...(first & 0x10 ? { validityMinutes: 5 } : {}),
    });
    expect(r.ok && r.value.map((p) => p.pdu)).toEqual([v.pdu]);
  });

  const roundTrip = (text: string, reference: number) => {
    const r = encodeSubmit({ to: "+15555551234", text: text || "x", reference });
    if (!r.ok) throw new Error(r.error.message);
    const reassembler = new Reassembler();
    let whole: string | null = r.value.length === 1 ? decodeText(r.value[0]!.pdu) : null;
    for (const part of [...r.value].reverse()) {
      const d = decodeSmsPdu(part.pdu);
      if (!d.ok) throw new Error(d.error.message);
      expect(d.value.udl).toBeLessThanOrEqual(d.value.alphabet === "gsm7" ? 160 : 140);
      if (!d.value.concat) continue;
      const out = reassembler.add({ sender: "a", ...d.value.concat, text: d.value.text, receivedAt: 0 });
      if (out.kind === "complete") whole = out.message.text;
    }
    expect(whole).toBe(text || "x");
  };

  it("round-trips any text through split, encode, decode and reassembly", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 600 }), fc.integer({ min: 0, max: 255 }), roundTrip),
      { numRuns: 200 },
    );
  });

  // Random graphemes are almost never GSM-only, so the GSM 7-bit path gets its own property:
  // every default and extension character, '@' (septet 0) at the ends and '§' included.
  const gsmChar = fc.constantFrom(...[...GSM7_DEFAULT].filter((c) => c !== "\x1b"), ..."^{}\\[~]|€\f");
  it("round-trips any GSM 7-bit text, escapes and trailing '@' included", () => {
    fc.assert(
      fc.property(fc.array(gsmChar, { maxLength: 480 }).map((cs) => cs.join("")), fc.integer({ min: 0, max: 255 }), roundTrip),
      { numRuns: 300 },
    );
    roundTrip("@".repeat(7), 0);
    roundTrip("x".repeat(152) + "@", 0);
  });

  it("rejects bad input with a reason", () => {
    expect(encodeSubmit({ to: "not a number", text: "hi" })).toMatchObject({ ok: false });
    expect(encodeSubmit({ to: "+1555", text: "hi", reference: 300 })).toMatchObject({ ok: false });
    expect(encodeSubmit({ to: "+1555", text: "a".repeat(153 * 256), reference: 1 })).toMatchObject({ ok: false });
    expect(encodeSubmit({ to: "+1555", text: "a".repeat(161) })).toMatchObject({
      ok: false,
      error: { reason: /no concatenation reference/ },
    });
    expect(encodeSubmit({ to: "+1555", text: "a".repeat(160) }).ok).toBe(true);
  });
});

const decodeText = (pdu: string) => {
  const d = decodeSmsPdu(pdu);
  return d.ok ? d.value.text : null;
};

describe("Reassembler", () => {
  const part = (sender: string, seq: number, text: string, receivedAt = 0) => ({ sender, ref: 7, total: 3, seq, text, receivedAt });

  it("assembles out of order and ignores duplicates", () => {
    const r = new Reassembler();
    expect(r.add(part("A", 3, "c")).kind).toBe("waiting");
    expect(r.add(part("A", 1, "a")).kind).toBe("waiting");
    expect(r.add(part("A", 1, "a")).kind).toBe("duplicate");
    const done = r.add(part("A", 2, "b"));
    expect(done).toMatchObject({ kind: "complete", message: { text: "abc", missing: [] } });
    expect(r.waiting()).toEqual([]);
  });

  it("never mixes senders that share a reference", () => {
    const r = new Reassembler();
    r.add(part("A", 1, "a1"));
    r.add(part("B", 1, "b1"));
    r.add(part("A", 2, "a2"));
    r.add(part("B", 2, "b2"));
    expect(r.add(part("B", 3, "b3"))).toMatchObject({ message: { sender: "B", text: "b1b2b3" } });
    expect(r.add(part("A", 3, "a3"))).toMatchObject({ message: { sender: "A", text: "a1a2a3" } });
  });

  // Giving up on a missing part after a timeout, once, is the store's (test/store/store.test.ts).
  it("shows a message still waiting with its gap marked, from its first part's time", () => {
    const r = new Reassembler();
    r.add(part("A", 1, "Your code ", 1000));
    r.add(part("A", 3, " - do not share", 2000));
    expect(r.waiting()).toMatchObject([{ missing: [2], text: `Your code ${missingPartMarker(2, 3)} - do not share`, firstReceivedAt: 1000 }]);
    expect(r.add(part("A", 2, "4856"))).toMatchObject({ kind: "complete", message: { missing: [], text: "Your code 4856 - do not share" } });
    expect(r.waiting()).toEqual([]);
  });

  it("refuses impossible sequence numbers", () => {
    expect(new Reassembler().add({ ...part("A", 4, "x") })).toMatchObject({ kind: "invalid" });
  });
});
