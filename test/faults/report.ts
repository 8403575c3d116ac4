/**
 * Classification: the ledger against the evidence, message by message and part by part,
 * filed under the fault each message was sent into.
 *
 * Inbound (network and SIM-to-SIM messages, each expected once per time the network carried
 * it), per part:
 * - lost: a copy of a part is nowhere: not in sms_in or sms_parts (under any card), not
 *   declared unattributed, not left on a SIM or in a modem's memory, not at the SMSC;
 * - waiting at SMSC: the network still holds a part for an absent or full SIM (not lost);
 * - duplicated: a part stored for its card more often than the network carried it;
 * - misattributed: stored under another card of the farm;
 * - unattributed: declared so by the service (its table, or a row under no known card);
 * - stuck: after the settle phase still on a SIM or in a modem's memory, or stored only as
 *   parts that were never assembled into the message;
 * - late: first stored more than 60 s after the network took it.
 * Outbound (accepted sends):
 * - lost: accepted but no sms_out row, or marked sent while the network never got it;
 * - duplicated: the network got it more than once, the send not in flight at a kill;
 * - in flight at a kill: state "sending" when the service or its database connections were
 *   killed, and then sent twice or declared neither sent nor failed;
 * - misattributed: sent from another card than the one asked for;
 * - stuck: still queued or sending after the settle phase;
 * - late: sent more than 60 s after it was accepted.
 */
import type { Evidence, Leftover, OutRow, StoredRow } from "./evidence";
import type { InboundEntry, Ledger, Origin, OutboundEntry } from "./ledger";
import { FAULT_KINDS, type FaultKind, type MessageKind } from "./schedule";
import { partsOf, tagsIn } from "./texts";

export const LATE_MS = 60_000;

export const CATEGORIES = ["lost", "duplicated", "misattributed", "unattributed", "stuck", "late", "waitingAtSmsc", "inFlightAtKill"] as const;
export type Category = (typeof CATEGORIES)[number];
/** Any of these fails the campaign. */
export const FAILING: readonly Category[] = ["lost", "duplicated", "misattributed", "stuck"];

export interface Finding extends Origin {
  readonly category: Category;
  readonly tag: number;
  readonly direction: "in" | "out";
  readonly kind: MessageKind;
  readonly iccid: string;
  readonly detail: string;
}

export interface KindRow {
  readonly kind: FaultKind;
  faults: number;
  messages: number;
  refused: number;
  failed: number;
  counts: Record<Category, number>;
}

export interface Report {
  readonly profile: string;
  readonly seed: number;
  readonly rows: readonly KindRow[];
  readonly totals: KindRow;
  readonly findings: readonly Finding[];
  readonly notes: readonly string[];
  readonly timings: Readonly<Record<string, number>>;
}

/** sent, sent-without-reference (no +CMGS reference came back), delivered. */
const isSent = (state: string) => /^(sent|delivered)/.test(state);
const isFailed = (state: string) => state === "failed" || state === "undelivered";
const OPEN_STATES = new Set(["queued", "sending"]);
/** Anything else (unknown) is the service declaring it cannot say. */
const isDeclared = (state: string) => !isSent(state) && !isFailed(state) && !OPEN_STATES.has(state);

const emptyCounts = (): Record<Category, number> => Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<Category, number>;

const byTag = <T>(items: readonly T[], tagsOf: (item: T) => readonly (number | null)[]) => {
  const map = new Map<number, T[]>();
  for (const item of items) for (const tag of tagsOf(item)) if (tag !== null) map.set(tag, [...(map.get(tag) ?? []), item]);
  return map;
};

interface InboundExpectation extends Origin {
  readonly tag: number;
  readonly kind: MessageKind;
  readonly iccid: string;
  readonly parts: number;
  /** How many times the network carried it (a send that went twice arrives twice). */
  readonly copies: number;
  readonly at: number;
}

export const classify = (input: { profile: string; seed: number; ledger: Ledger; evidence: Evidence; timings: Record<string, number>; notes?: readonly string[] }): Report => {
  const { ledger, evidence } = input;
  const findings: Finding[] = [];
  const notes: string[] = [...(input.notes ?? [])];
  const rows = new Map<FaultKind, KindRow>(FAULT_KINDS.map((k) => [k, { kind: k, faults: 0, messages: 0, refused: 0, failed: 0, counts: emptyCounts() }]));
  for (const f of ledger.faults) rows.get(f.fault)!.faults++;
  for (const k of ledger.kills) if (k.kind !== "crash") rows.get(k.kind)!.faults++;

  const smsIn = byTag(evidence.smsIn, (r) => tagsIn(r.text));
  const smsParts = byTag(evidence.smsParts, (r) => tagsIn(r.text));
  const smsOut = byTag(evidence.smsOut, (r) => tagsIn(r.text));
  const submitted = byTag(evidence.submitted, (s) => tagsIn(s.text));
  const onHardware = byTag([...evidence.onSims, ...evidence.inModems], (l) => [l.tag]);
  const deleted = byTag(evidence.removed, (l) => [l.tag]);
  /** Where the simulator saw the lost parts deleted, if it did. */
  const deletedText = (tag: number, seqs: readonly number[]) => {
    const found = (deleted.get(tag) ?? []).filter((l) => seqs.includes(l.seq));
    return found.length ? `; ${found.map((l) => `part ${l.seq} ${l.where}`).join(", ")}` : "";
  };
  const atSmsc = byTag(evidence.atSmsc, (l) => [l.tag]);
  const declared = byTag(evidence.unattributed, (u) => u.tags);
  const known = evidence.knownIccids;

  const flag = (category: Category, e: { tag: number; kind: MessageKind; iccid: string } & Origin, direction: "in" | "out", detail: string) => {
    rows.get(e.fault)!.counts[category]++;
    findings.push({ category, tag: e.tag, direction, kind: e.kind, iccid: e.iccid, fault: e.fault, episode: e.episode, modem: e.modem, detail });
  };

  // ---- inbound ---------------------------------------------------------------------------
  const expectations: InboundExpectation[] = ledger.inbound.map((e: InboundEntry) => ({ ...e, copies: 1 }));
  for (const o of ledger.outbound) {
    if (!o.toIccid) continue;
    const carried = submitted.get(o.tag) ?? [];
    if (carried.length === 0) continue;
    expectations.push({ fault: o.fault, episode: o.episode, modem: o.modem, tag: o.tag, kind: o.kind, iccid: o.toIccid, parts: partsOf(o.text), copies: carried.length, at: Date.parse(carried[0]!.at) });
  }

  for (const e of expectations) {
    rows.get(e.fault)!.messages++;
    const stored = smsIn.get(e.tag) ?? [];
    const mine = stored.filter((r) => r.iccid === e.iccid);
    const others = stored.filter((r) => r.iccid !== e.iccid && known.has(r.iccid));
    const nobody = stored.filter((r) => !known.has(r.iccid));
    const parts = smsParts.get(e.tag) ?? [];
    const left = onHardware.get(e.tag) ?? [];
    const waiting = atSmsc.get(e.tag) ?? [];
    const declaredRows = declared.get(e.tag) ?? [];
    const covers = (r: StoredRow, seq: number) => !r.missing.includes(seq);
    const lostParts: number[] = [];
    const doubled: number[] = [];
    for (let seq = 1; seq <= e.parts; seq++) {
      const inRows = mine.filter((r) => covers(r, seq)).length;
      const asParts = parts.filter((p) => p.iccid === e.iccid && (p.seq === seq || e.parts === 1)).length;
      const elsewhere = others.filter((r) => covers(r, seq)).length + parts.filter((p) => p.iccid !== e.iccid && known.has(p.iccid) && p.seq === seq && p.messageId === null).length;
      const unattributed = declaredRows.filter((d) => d.seq === null || d.seq === seq || e.parts === 1).length + nobody.filter((r) => covers(r, seq)).length + parts.filter((p) => !known.has(p.iccid) && p.seq === seq && p.messageId === null).length;
      const here = left.filter((l) => l.seq === seq).length + waiting.filter((l) => l.seq === seq).length;
      if (inRows > e.copies) doubled.push(seq);
      if (Math.max(inRows, asParts) + elsewhere + unattributed + here < e.copies) lostParts.push(seq);
    }
    const where = (l: Leftover) => `${l.where} (part ${l.seq})`;
    const storedAt = mine.map((r) => `sms_in ${r.id}${r.missing.length ? ` missing ${r.missing.join(",")}` : ""}`).join(", ") || "no sms_in row";
    const origin = `${e.copies > 1 ? `carried ${e.copies} times; ` : ""}${storedAt}`;
    if (lostParts.length)
      flag(
        "lost",
        e,
        "in",
        `part${lostParts.length > 1 ? "s" : ""} ${lostParts.join(",")} of ${e.parts} delivered but stored nowhere (${origin}; sms_parts here: ${parts.filter((p) => p.iccid === e.iccid).map((p) => p.seq).join(",") || "none"}${deletedText(e.tag, lostParts)})`,
      );
    if (doubled.length) flag("duplicated", e, "in", `parts ${doubled.join(",")} stored ${mine.length} times for ${e.copies} carried (${origin})`);
    if (others.length) flag("misattributed", e, "in", `stored under ${others.map((r) => `${r.iccid} (sms_in ${r.id})`).join(", ")}`);
    if (declaredRows.length || nobody.length)
      flag("unattributed", e, "in", [...declaredRows.map((d) => `${d.table}: ${d.evidence}`), ...nobody.map((r) => `sms_in ${r.id} under "${r.iccid}"`)].join("; "));
    if (waiting.length) flag("waitingAtSmsc", e, "in", `the SMSC holds ${waiting.map(where).join(", ")}`);
    const complete = mine.filter((r) => r.missing.length === 0).length;
    if (left.length) flag("stuck", e, "in", `still on the hardware after settling: ${left.map(where).join(", ")}`);
    else if (!lostParts.length && !waiting.length && !others.length && !declaredRows.length && !nobody.length && complete < e.copies)
      flag(
        "stuck",
        e,
        "in",
        `stored as parts (${parts.map((p) => `sms_parts ${p.id} part ${p.seq} under ${p.iccid === e.iccid ? "its card" : p.iccid}, message ${p.messageId ?? "none"}`).join("; ") || "none"}) but ${complete} of ${e.copies} whole messages (${origin})`,
      );
    const first = Math.min(...mine.map((r) => r.receivedAt));
    if (Number.isFinite(first) && first - e.at > LATE_MS) flag("late", e, "in", `stored ${Math.round((first - e.at) / 1000)} s after the network took it`);
  }

  // ---- outbound --------------------------------------------------------------------------
  const inFlightAt = new Map<number, string>();
  for (const k of ledger.kills) for (const id of k.inFlight) if (!inFlightAt.has(id)) inFlightAt.set(id, `${k.kind} at ${new Date(k.at).toISOString().slice(11, 23)}`);
  for (const o of ledger.outbound as OutboundEntry[]) {
    const row = rows.get(o.fault)!;
    const out = smsOut.get(o.tag) ?? [];
    if (out.length === 0 && o.apiAccepted !== true) {
      row.refused++;
      continue;
    }
    row.messages++;
    if (out.length === 0) {
      flag("lost", o, "out", `the API answered "${o.answer}" but there is no sms_out row`);
      continue;
    }
    if (out.length > 1) flag("duplicated", o, "out", `${out.length} sms_out rows for one request: ${out.map((r) => r.id).join(", ")}`);
    const sms: OutRow = out[0]!;
    const carried = submitted.get(o.tag) ?? [];
    const kill = inFlightAt.get(sms.id);
    const state = `sms_out ${sms.id} ${sms.state}${sms.error ? ` (${sms.error.slice(0, 80)})` : ""}; job ${sms.job}`;
    if (isFailed(sms.state)) row.failed++;
    const wrongCard = carried.filter((s) => s.fromIccid !== o.iccid);
    if (wrongCard.length) flag("misattributed", o, "out", `sent from ${wrongCard.map((s) => s.fromIccid).join(", ")} instead of ${o.iccid}`);
    if (carried.length > 1) {
      if (kill) flag("inFlightAtKill", o, "out", `sent ${carried.length} times; in flight at the ${kill}; ${state}`);
      else flag("duplicated", o, "out", `the network got it ${carried.length} times (${carried.map((s) => s.at.slice(11, 23)).join(", ")}); ${state}`);
    } else if (kill && isDeclared(sms.state)) flag("inFlightAtKill", o, "out", `declared ${sms.state}; in flight at the ${kill}`);
    if (isSent(sms.state) && carried.length === 0) {
      const partial = (evidence.incompleteSubmits ?? []).filter((g) => tagsIn(g.text).includes(o.tag));
      const held = partial.map((g) => `${g.sender.split(">")[0]} ref ${g.ref} missing part(s) ${g.missing.join(", ")}`).join("; ");
      flag("lost", o, "out", `marked ${sms.state} but the network never got it${held ? ` whole (it holds ${held})` : ""}; ${state}`);
    }
    if (OPEN_STATES.has(sms.state)) flag("stuck", o, "out", `${state}${kill ? `; in flight at the ${kill}` : ""}`);
    if (isDeclared(sms.state) && !kill) notes.push(`#M${o.tag}#: declared "${sms.state}" with no kill in flight (${carried.length} time(s) on the network)`);
    if (isFailed(sms.state) && carried.length > 0) notes.push(`#M${o.tag}#: declared ${sms.state} but the network got it ${carried.length} time(s)`);
    const sentAt = sms.sentAt ?? (carried[0] ? Date.parse(carried[0].at) : null);
    if (sentAt !== null && sentAt - sms.createdAt > LATE_MS) flag("late", o, "out", `sent ${Math.round((sentAt - sms.createdAt) / 1000)} s after it was accepted`);
  }

  // Why sends were refused: a service that was down, a card SR-Navigator could not open.
  const refusals = new Map<string, number>();
  for (const o of ledger.outbound)
    if (o.apiAccepted !== true && !smsOut.has(o.tag)) {
      const reason = o.answer.replace(/\d+/g, "N").slice(0, 60);
      refusals.set(reason, (refusals.get(reason) ?? 0) + 1);
    }
  if (refusals.size)
    notes.push(`sends refused: ${[...refusals].sort((a, b) => b[1] - a[1]).map(([r, n]) => `${n}x ${r}`).join("; ")}`);
  // What no ledger entry explains: parts without a tag on the hardware, at the SMSC.
  const untraceable = [...evidence.onSims, ...evidence.inModems, ...evidence.atSmsc].filter((l) => l.tag === null);
  if (untraceable.length) notes.push(`${untraceable.length} part(s) without a tag left on the hardware: ${untraceable.slice(0, 5).map((l) => l.where).join("; ")}`);
  const strangers = evidence.smsIn.filter((r) => tagsIn(r.text).length === 0);
  if (strangers.length) notes.push(`${strangers.length} stored message(s) match no ledger entry: ${strangers.slice(0, 5).map((r) => `sms_in ${r.id} "${r.text.slice(0, 40)}"`).join("; ")}`);
  if (evidence.unattributedTables.length === 0) notes.push("no unattributed-message table in the database yet: unattributed counts 0 by construction");
  const crashes = ledger.kills.filter((k) => k.kind === "crash");
  if (crashes.length) notes.push(`the service exited on its own ${crashes.length} time(s); first: ${crashes[0]!.detail.slice(0, 800)}`);

  const totals: KindRow = { kind: "none", faults: 0, messages: 0, refused: 0, failed: 0, counts: emptyCounts() };
  for (const r of rows.values()) {
    totals.faults += r.faults;
    totals.messages += r.messages;
    totals.refused += r.refused;
    totals.failed += r.failed;
    for (const c of CATEGORIES) totals.counts[c] += r.counts[c];
  }
  return { profile: input.profile, seed: input.seed, rows: [...rows.values()], totals, findings, notes, timings: input.timings };
};

export const failures = (report: Report): Finding[] => report.findings.filter((f) => FAILING.includes(f.category));

const COLUMNS: [string, (r: KindRow) => number][] = [
  ["faults", (r) => r.faults],
  ["msgs", (r) => r.messages],
  ["lost", (r) => r.counts.lost],
  ["dup", (r) => r.counts.duplicated],
  ["misattr", (r) => r.counts.misattributed],
  ["unattr", (r) => r.counts.unattributed],
  ["stuck", (r) => r.counts.stuck],
  ["late", (r) => r.counts.late],
  ["at SMSC", (r) => r.counts.waitingAtSmsc],
  ["kill-flight", (r) => r.counts.inFlightAtKill],
  ["failed", (r) => r.failed],
  ["refused", (r) => r.refused],
];

/** The summary table, one row per fault kind, then the totals and how to replay the run. */
export const formatSummary = (report: Report): string => {
  const width = 24;
  const head = `${"fault kind".padEnd(width)}${COLUMNS.map(([name]) => name.padStart(Math.max(8, name.length + 1))).join("")}`;
  const line = (r: KindRow, name: string) => `${name.padEnd(width)}${COLUMNS.map(([col, get]) => String(get(r)).padStart(Math.max(8, col.length + 1))).join("")}`;
  const rule = "-".repeat(head.length);
  const timing = Object.entries(report.timings)
    .map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`)
    .join(", ");
  const failing = failures(report);
  return [
    `fault campaign: profile ${report.profile}, seed ${report.seed} (replay: SIMGATE_FAULTS_PROFILE=${report.profile} SIMGATE_FAULTS_SEED=${report.seed})`,
    rule,
    head,
    rule,
    ...report.rows.filter((r) => r.faults > 0 || r.messages > 0 || r.refused > 0).map((r) => line(r, r.kind)),
    rule,
    line(report.totals, "total"),
    rule,
    `time: ${timing}`,
    failing.length ? `FAILED: ${FAILING.map((c) => `${report.totals.counts[c]} ${c}`).join(", ")}` : "passed: nothing lost, duplicated, misattributed or stuck",
    ...report.notes.map((n) => `note: ${n}`),
  ].join("\n");
};

/** The offending messages of one category, for a failure message. */
export const listFindings = (report: Report, category: Category, limit = 40): string => {
  const list = report.findings.filter((f) => f.category === category);
  const shown = list.slice(0, limit).map((f) => `  #M${f.tag}# ${f.direction === "in" ? "to" : "from"} ${f.iccid} (${f.kind}, ${f.fault}${f.episode !== null ? ` #${f.episode}` : ""}${f.modem ? ` on ${f.modem}` : ""}): ${f.detail}`);
  return [`${list.length} ${category}:`, ...shown, ...(list.length > limit ? [`  ... and ${list.length - limit} more`] : [])].join("\n");
};
