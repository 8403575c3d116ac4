/**
 * Pure multipart reassembly. The caller owns time and storage: it feeds parts with their
 * arrival time and asks which groups have waited too long. Groups are keyed by sender,
 * reference, part count and reference width, so two senders (or two messages from one
 * sender with different sizes) never mix. The SMSC is not part of the key: ModemManager's
 * capture shows one message's parts arriving through different SMSCs.
 */
export interface IncomingPart {
  readonly sender: string;
  readonly ref: number;
  readonly total: number;
  readonly seq: number;
  readonly refBits?: 8 | 16;
  readonly text: string;
  /** Milliseconds; only compared with other times given to the same reassembler. */
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

  /** Gives up on groups whose first part arrived at or before `now - timeoutMs`. */
  expire(now: number, timeoutMs: number): AssembledMessage[] {
    const out: AssembledMessage[] = [];
    for (const [key, group] of this.groups) {
      if (now - group.firstReceivedAt >= timeoutMs) {
        this.groups.delete(key);
        out.push(assemble(key, group));
      }
    }
    return out;
  }

  get pending(): number {
    return this.groups.size;
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
