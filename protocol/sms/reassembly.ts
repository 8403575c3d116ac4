/**
 * Pure multipart reassembly in memory, for a caller that joins texts on the spot (the
 * simulator's SMSC joins what a modem submits). Received messages are not joined here: the
 * store joins them, as it outlives a run and sees every modem, and gives up on a missing part
 * by the database's clock. Groups are keyed by sender, reference, part count and reference
 * width, so two senders (or two messages from one sender with different sizes) never mix.
 * The SMSC is not part of the key: ModemManager's capture shows one message's parts arriving
 * through different SMSCs.
 */
export interface IncomingPart {
  readonly sender: string;
  readonly ref: number;
  readonly total: number;
  readonly seq: number;
  readonly refBits?: 8 | 16;
  readonly text: string;
  /** Milliseconds; the group's first part gives the message its `firstReceivedAt`. */
  readonly receivedAt: number;
}

export interface AssembledMessage {
  readonly key: string;
  readonly sender: string;
  readonly ref: number;
  readonly total: number;
  readonly text: string;
  /** Sequence numbers that never arrived (empty for a complete message). */
  readonly missing: readonly number[];
  readonly firstReceivedAt: number;
}

export type AddOutcome =
  | { readonly kind: "complete"; readonly message: AssembledMessage }
  | { readonly kind: "waiting"; readonly key: string; readonly have: number; readonly total: number }
  | { readonly kind: "duplicate"; readonly key: string }
  | { readonly kind: "invalid"; readonly reason: string };

interface Group {
  readonly sender: string;
  readonly ref: number;
  readonly total: number;
  readonly parts: Map<number, string>;
  readonly firstReceivedAt: number;
}

export const partKey = (p: Pick<IncomingPart, "sender" | "ref" | "total" | "refBits">): string =>
  `${p.sender}\u0000${p.refBits ?? 8}\u0000${p.ref}\u0000${p.total}`;

/** Shown in place of a part that never arrived, so a gap is never silent. */
export const missingPartMarker = (seq: number, total: number): string => `[part ${seq} of ${total} missing]`;

export class Reassembler {
  private readonly groups = new Map<string, Group>();

  add(part: IncomingPart): AddOutcome {
    if (!(part.total >= 1 && part.seq >= 1 && part.seq <= part.total))
      return { kind: "invalid", reason: `part ${part.seq} of ${part.total}` };
    const key = partKey(part);
    let group = this.groups.get(key);
    if (!group) {
      group = { sender: part.sender, ref: part.ref, total: part.total, parts: new Map(), firstReceivedAt: part.receivedAt };
      this.groups.set(key, group);
    }
    if (group.parts.has(part.seq)) return { kind: "duplicate", key };
    group.parts.set(part.seq, part.text);
    if (group.parts.size < group.total) return { kind: "waiting", key, have: group.parts.size, total: group.total };
    this.groups.delete(key);
    return { kind: "complete", message: assemble(key, group) };
  }

  /** The groups still waiting for parts, as they would read now (for diagnosis). */
  waiting(): AssembledMessage[] {
    return [...this.groups].map(([key, group]) => assemble(key, group));
  }
}

const assemble = (key: string, g: Group): AssembledMessage => {
  const missing: number[] = [];
  let text = "";
  for (let seq = 1; seq <= g.total; seq++) {
    const t = g.parts.get(seq);
    if (t === undefined) {
      missing.push(seq);
      text += missingPartMarker(seq, g.total);
    } else text += t;
  }
  return { key, sender: g.sender, ref: g.ref, total: g.total, text, missing, firstReceivedAt: g.firstReceivedAt };
};
