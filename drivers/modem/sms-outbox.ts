/**
 * Outgoing SMS: encode, send every part through the prompt, keep each part's message
 * reference, and match status reports back to it. References are one octet and wrap at 255,
 * so the newest part holding a reference owns it.
 */
import { Data, Effect } from "effect";
import { decodeSmsPdu } from "../../protocol/sms/decode";
import { encodeSubmit } from "../../protocol/sms/encode";
import type { AtPort } from "../at/at-port";
import type { AtError } from "../at/errors";

export class SmsEncodeError extends Data.TaggedError("SmsEncodeError")<{ readonly reason: string }> {}

/** SimFolder's outcome codes: 0 error, 1 sent, 2 delivered. */
export type SendOutcome = 0 | 1 | 2;

export interface SentPart {
  readonly seq: number;
  readonly mr: number;
}

export interface SentSms {
  readonly id: number;
  readonly to: string;
  readonly parts: readonly SentPart[];
  readonly statusReport: boolean;
}

export type OutboxEvent =
  | { readonly type: "sms-sent"; readonly sms: SentSms }
  /** A part's status report; `outcome` is the whole message's once every part has reported. */
  | { readonly type: "sms-report"; readonly id: number; readonly seq: number; readonly status: number; readonly outcome: SendOutcome | null };

interface Tracked {
  readonly sms: SentSms;
  /** Parts the message has; `sms.parts` fills up as they are sent. */
  readonly total: number;
  readonly reports: Map<number, number>;
}

export const makeOutbox = (port: AtPort, publish: (event: OutboxEvent) => Effect.Effect<unknown>) =>
  Effect.gen(function* () {
    let nextId = 1;
    // The concatenation reference must differ between long messages in flight to one
    // recipient; a counter per modem does that.
    let concatRef = Math.floor(Math.random() * 256);
    const byMr = new Map<number, { tracked: Tracked; seq: number }>();
    const early = new Map<number, number>();

    const send = (to: string, text: string, options: { statusReport?: boolean; priority?: "normal" | "bulk" | "interactive" } = {}) =>
      Effect.gen(function* () {
        concatRef = (concatRef + 1) & 0xff;
        const encoded = encodeSubmit({ to, text, statusReport: options.statusReport ?? false, reference: concatRef });
        if (!encoded.ok) return yield* Effect.fail(new SmsEncodeError({ reason: encoded.error.message }));
        const parts: SentPart[] = [];
        const sms: SentSms = { id: nextId++, to, parts, statusReport: options.statusReport ?? false };
        const tracked: Tracked = { sms, total: encoded.value.length, reports: new Map() };
        // Each part is one queued exchange, so other work can run between parts of a long message.
        for (const part of encoded.value) {
          const reply = yield* port.commandWithBody(`AT+CMGS=${part.tpduLength}`, part.pdu, { priority: options.priority ?? "normal" });
          const mr = Number(/\+CMGS:\s*(\d+)/i.exec(reply.lines.join("\n"))?.[1] ?? Number.NaN);
          parts.push({ seq: part.seq, mr });
          // Registered at once: a part's report can come before the next part is sent, and
          // even before this fiber resumes after +CMGS (then it waits in `early`).
          if (sms.statusReport && Number.isInteger(mr)) {
            byMr.set(mr, { tracked, seq: part.seq });
            const held = early.get(mr);
            early.delete(mr);
            if (held !== undefined) yield* applyReport(mr, held);
          }
        }
        yield* publish({ type: "sms-sent", sms });
        return sms;
      }) satisfies Effect.Effect<SentSms, AtError | SmsEncodeError>;

    /** A +CDS body (PDU hex). A report for an unknown reference is held: its part may be a moment from being registered. */
    const statusReport = (raw: string) =>
      Effect.gen(function* () {
        const decoded = decodeSmsPdu(raw, { hasSmsc: true });
        if (!decoded.ok || decoded.value.type !== "SMS-STATUS-REPORT" || decoded.value.mr === null) return;
        const status = decoded.value.status ?? 0xff;
        if (!byMr.has(decoded.value.mr)) {
          // One per reference at most (they are one octet), so this cannot grow without bound.
          early.set(decoded.value.mr, status);
          return;
        }
        yield* applyReport(decoded.value.mr, status);
      });

    const applyReport = (mr: number, status: number) =>
      Effect.gen(function* () {
        const entry = byMr.get(mr);
        if (!entry) return;
        byMr.delete(mr);
        entry.tracked.reports.set(entry.seq, status);
        // Complete only when every part was sent and has reported.
        const all = entry.tracked.sms.parts.length === entry.tracked.total && entry.tracked.reports.size === entry.tracked.total;
        // 23.040 9.2.3.15: 0x00-0x1F delivered; 0x20-0x3F still trying; 0x40 and up failed.
        const statuses = [...entry.tracked.reports.values()];
        const outcome: SendOutcome | null = statuses.some((s) => s >= 0x40) ? 0 : all && statuses.every((s) => s < 0x20) ? 2 : null;
        yield* publish({ type: "sms-report", id: entry.tracked.sms.id, seq: entry.seq, status, outcome });
      });

    return { send, statusReport };
  });
