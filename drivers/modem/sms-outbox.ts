/**
 * Outgoing SMS: encode, send every part through the prompt, and keep each part's message
 * reference (TP-MR). Status reports are decoded and handed on with the card they arrived
 * on; matching them to a message is the store's work (a report may come after a
 * reconnection or a restart, which nothing in this process survives).
 */
import { Data, Effect } from "effect";
import { decodeSmsPdu } from "../../protocol/sms/decode";
import { encodeSubmit } from "../../protocol/sms/encode";
import type { AtPort, DirectAt } from "../at/at-port";
import type { AtError } from "../at/errors";
import type { CardChanged } from "./card-changed";

export class SmsEncodeError extends Data.TaggedError("SmsEncodeError")<{ readonly reason: string }> {}

/** The caller could not record that a part is about to go: it is not sent. */
export class SubmitNotRecorded extends Data.TaggedError("SubmitNotRecorded")<{ readonly reason: string }> {
  override get message(): string {
    return `not sent: ${this.reason}`;
  }
}

/**
 * Told before each part goes to the modem and when the modem answered, so a crash in
 * between leaves a trace: that part may or may not have gone out.
 */
export interface SubmitTracker {
  readonly before: (seq: number) => Effect.Effect<void, SubmitNotRecorded>;
  readonly after: (seq: number, outcome: { readonly mr: number | null; readonly error: string | null }) => Effect.Effect<void>;
}

/** SimFolder's outcome codes: 0 error, 1 sent, 2 delivered. */
export type SendOutcome = 0 | 1 | 2;

export interface SentPart {
  readonly seq: number;
  /** The modem's reference for the part; NaN when its reply carried none. */
  readonly mr: number;
}

export interface SentSms {
  readonly id: number;
  readonly to: string;
  readonly parts: readonly SentPart[];
  readonly statusReport: boolean;
}

/** A status report as it arrived (23.040 9.2.2.3). */
export interface StatusReport {
  /** The card in the modem when it arrived: the card that sent the part. */
  readonly iccid: string | null;
  readonly mr: number;
  /** TP-ST: 0x00-0x1F delivered; 0x20-0x3F still trying; 0x40 and up failed. */
  readonly status: number;
  readonly recipient: string;
  readonly dischargedAt: string | null;
  readonly raw: string;
}

export type OutboxEvent = { readonly type: "sms-sent"; readonly sms: SentSms } | { readonly type: "status-report"; readonly report: StatusReport };

export interface SendOptions {
  readonly statusReport?: boolean;
  readonly priority?: "normal" | "bulk" | "interactive";
  readonly track?: SubmitTracker;
  /**
   * The concatenation reference (0-255) for a long message. A message sent again after a
   * failed part keeps its reference, so the handset joins the parts of both tries into one
   * message; without it, a counter of this modem's gives one.
   */
  readonly reference?: number;
  /** Parts (by seq) the modem already accepted on an earlier try: not sent again. */
  readonly alreadySent?: ReadonlySet<number>;
  /**
   * Run before each part, alone on the port with it: the modem's word that the card the
   * message is for is still the one in it. A card switched in between two parts of a long
   * message would otherwise send the rest under another number.
   */
  readonly guard?: (at: DirectAt) => Effect.Effect<void, CardChanged>;
}

export const makeOutbox = (port: AtPort, publish: (event: OutboxEvent) => Effect.Effect<unknown>, options: { readonly iccid: () => string | null }) =>
  Effect.gen(function* () {
    let nextId = 1;
    // The concatenation reference must differ between long messages in flight to one
    // recipient; a counter per modem does that.
    let concatRef = Math.floor(Math.random() * 256);

    const send = (to: string, text: string, sendOptions: SendOptions = {}) =>
      Effect.gen(function* () {
        concatRef = (concatRef + 1) & 0xff;
        const encoded = encodeSubmit({ to, text, statusReport: sendOptions.statusReport ?? false, reference: sendOptions.reference ?? concatRef });
        if (!encoded.ok) return yield* Effect.fail(new SmsEncodeError({ reason: encoded.error.message }));
        const parts: SentPart[] = [];
        const sms: SentSms = { id: nextId++, to, parts, statusReport: sendOptions.statusReport ?? false };
        // Each part is one queued exchange, so other work can run between parts of a long message.
        const track = sendOptions.track;
        for (const part of encoded.value) {
          if (sendOptions.alreadySent?.has(part.seq)) continue;
          // Not recorded, not sent. The record may still have been written (its commit's
          // answer lost with the connection): it is closed, so the part is not left in doubt.
          if (track) yield* track.before(part.seq).pipe(Effect.tapError((e) => track.after(part.seq, { mr: null, error: e.message })));
          const command = `AT+CMGS=${part.tpduLength}`;
          const priority = sendOptions.priority ?? "normal";
          const guard = sendOptions.guard;
          const submit = guard
            ? port.exclusive((at) => Effect.zipRight(guard(at), at.commandWithBody(command, part.pdu)), { priority })
            : port.commandWithBody(command, part.pdu, { priority });
          const reply = yield* submit.pipe(
            // Only an error that proves nothing went out closes the record: the modem's own
            // error, no prompt, or the wrong card found before it. A reply that never came
            // after the body, or a port lost in the middle, leaves the part in doubt.
            Effect.tapError((error) =>
              track && (error._tag === "AtModemError" || error._tag === "CardChanged" || (error._tag === "AtTimeout" && error.waitingFor === "prompt"))
                ? track.after(part.seq, { mr: null, error: error.message })
                : Effect.void,
            ),
          );
          const mr = Number(/\+CMGS:\s*(\d+)/i.exec(reply.lines.join("\n"))?.[1] ?? Number.NaN);
          if (track) yield* track.after(part.seq, { mr: Number.isInteger(mr) ? mr : null, error: null });
          parts.push({ seq: part.seq, mr });
        }
        yield* publish({ type: "sms-sent", sms });
        return sms;
      }) satisfies Effect.Effect<SentSms, AtError | SmsEncodeError | SubmitNotRecorded | CardChanged>;

    /** A +CDS body, or a report read from a storage (PDU hex with its SMSC part). */
    const statusReport = (raw: string) =>
      Effect.suspend(() => {
        const decoded = decodeSmsPdu(raw, { hasSmsc: true });
        if (!decoded.ok || decoded.value.type !== "SMS-STATUS-REPORT" || decoded.value.mr === null) return Effect.void;
        const { mr, status, number, discharge } = decoded.value;
        return publish({ type: "status-report", report: { iccid: options.iccid(), mr, status: status ?? 0xff, recipient: number, dischargedAt: discharge, raw } }).pipe(Effect.asVoid);
      });

    return { send, statusReport };
  });
