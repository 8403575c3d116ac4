import { describe, expect, it } from "vitest";
import type { Evidence, Leftover, OutRow, StoredRow } from "./evidence";
import { Ledger, type InboundEntry, type OutboundEntry } from "./ledger";
import { classify, failures, formatSummary } from "./report";
import { textFor } from "./texts";

// The classifier on hand-made evidence: each category is recognised, and nothing that is
// accounted for (waiting at the SMSC, declared unattributed, in flight at a kill) fails the run.
const A = "8900000000000000001";
const B = "8900000000000000002";
const T0 = Date.parse("2024-06-01T12:00:00Z");

const inbound = (ledger: Ledger, kind: InboundEntry["kind"], iccid = A): InboundEntry => {
  const tag = ledger.newTag();
  const text = textFor(kind, tag);
  const entry: InboundEntry = { tag, kind, iccid, number: "+1555", sender: "Shop", text, parts: kind === "multipart" ? 3 : 1, at: T0, fault: "hang", episode: 1, modem: "pool-m01" };
  ledger.addInbound(entry);
  return entry;
};
const outbound = (ledger: Ledger, toIccid: string | null = null): OutboundEntry => {
  const tag = ledger.newTag();
  return ledger.addOutbound({ tag, kind: toIccid ? "sim-to-sim" : "short", api: "simfolder", iccid: A, number: "+1555", to: "+1555900", toIccid, text: textFor("short", tag), at: T0, apiAccepted: true, answer: "sms_id", smsId: null, fault: "db-kill", episode: 2, modem: null });
};
const row = (id: number, iccid: string, text: string, missing: number[] = [], receivedAt = T0 + 1_000): StoredRow => ({ id, iccid, text, parts: 1, missing, receivedAt });
const out = (id: number, text: string, state: string, sentAt: number | null = T0 + 500): OutRow => ({ id, iccid: A, text, state, error: null, createdAt: T0, sentAt, job: "done" });
const evidence = (e: Partial<Evidence>): Evidence => ({
  smsIn: [],
  smsParts: [],
  smsOut: [],
  unattributed: [],
  unattributedTables: ["sms_unattributed"],
  submitted: [],
  onSims: [],
  inModems: [],
  atSmsc: [],
  removed: [],
  knownIccids: new Set([A, B]),
  ...e,
});
const submit = (id: number, text: string, fromIccid = A, at = T0 + 400) => ({ id, fromIccid, from: "+1555", to: "+1555900", text, parts: 1, missing: [], statusReport: false, at: new Date(at).toISOString() });
const left = (where: string, tag: number, seq = 1): Leftover => ({ where, iccid: A, tag, seq, sender: "Shop" });
const run = (ledger: Ledger, e: Partial<Evidence>) => classify({ profile: "test", seed: 1, ledger, evidence: evidence(e), timings: {} });

describe("fault campaign classification", () => {
  it("counts a message stored once under its card as fine", () => {
    const ledger = new Ledger();
    const m = inbound(ledger, "short");
    const report = run(ledger, { smsIn: [row(1, A, m.text)] });
    expect(failures(report)).toEqual([]);
    expect(report.totals.messages).toBe(1);
  });

  it("finds lost, duplicated, misattributed and stuck inbound messages", () => {
    const ledger = new Ledger();
    const lost = inbound(ledger, "short");
    const twice = inbound(ledger, "ucs2");
    const wrong = inbound(ledger, "short");
    const onSim = inbound(ledger, "short");
    const gap = inbound(ledger, "multipart");
    const report = run(ledger, {
      smsIn: [row(1, A, twice.text), row(2, A, twice.text), row(3, B, wrong.text), row(4, A, gap.text, [2])],
      onSims: [left(`SIM ${A}`, onSim.tag)],
    });
    const by = (c: string) => report.findings.filter((f) => f.category === c).map((f) => f.tag);
    expect(by("lost")).toEqual([lost.tag, gap.tag]);
    expect(by("duplicated")).toEqual([twice.tag]);
    expect(by("misattributed")).toEqual([wrong.tag]);
    expect(by("stuck")).toEqual([onSim.tag]);
    expect(report.rows.find((r) => r.kind === "hang")!.counts.lost).toBe(2);
  });

  it("keeps waiting-at-SMSC and declared-unattributed messages apart from lost ones", () => {
    const ledger = new Ledger();
    const waiting = inbound(ledger, "short");
    const declared = inbound(ledger, "short");
    const report = run(ledger, {
      atSmsc: [left(`SMSC for ${A}`, waiting.tag)],
      unattributed: [{ table: "sms_unattributed", tags: [declared.tag], seq: null, evidence: "{}" }],
    });
    expect(failures(report)).toEqual([]);
    expect(report.totals.counts.waitingAtSmsc).toBe(1);
    expect(report.totals.counts.unattributed).toBe(1);
  });

  it("tells a send that went twice from one in flight at a kill, and finds stuck and late sends", () => {
    const ledger = new Ledger();
    const twice = outbound(ledger);
    const killed = outbound(ledger);
    const stuck = outbound(ledger);
    const late = outbound(ledger);
    const vanished = outbound(ledger);
    const noReference = outbound(ledger);
    const unknown = outbound(ledger);
    ledger.addKill({ kind: "service-kill", at: T0, inFlight: [2, 7], detail: "" });
    const report = run(ledger, {
      smsOut: [
        out(1, twice.text, "sent"),
        out(2, killed.text, "sent"),
        out(3, stuck.text, "sending", null),
        out(4, late.text, "sent", T0 + 90_000),
        out(6, noReference.text, "sent-without-reference"),
        out(7, unknown.text, "unknown", null),
      ],
      submitted: [submit(1, twice.text), submit(2, twice.text), submit(3, killed.text), submit(4, killed.text), submit(5, late.text, A, T0 + 90_000), submit(6, noReference.text), submit(7, unknown.text)],
    });
    const by = (c: string) => report.findings.filter((f) => f.category === c).map((f) => f.tag);
    expect(by("duplicated")).toEqual([twice.tag]);
    expect(by("inFlightAtKill")).toEqual([killed.tag, unknown.tag]);
    expect(by("stuck")).toEqual([stuck.tag]);
    expect(by("late")).toEqual([late.tag]);
    expect(by("lost")).toEqual([vanished.tag]);
    expect(formatSummary(report)).toContain("SIMGATE_FAULTS_SEED=1");
  });

  it("expects a SIM-to-SIM message as often as the network carried it, from the right card", () => {
    const ledger = new Ledger();
    const s2s = outbound(ledger, B);
    const report = run(ledger, {
      smsOut: [out(1, s2s.text, "sent")],
      submitted: [submit(1, s2s.text, B)],
      smsIn: [row(1, B, s2s.text)],
    });
    expect(report.findings.map((f) => f.category)).toEqual(["misattributed"]);
  });
});
