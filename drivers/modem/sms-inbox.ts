/**
 * Incoming SMS: read a stored message, hand it to the sink, and delete it from the SIM only
 * once the sink says it is durably stored. A message the sink cannot take stays on the SIM
 * and is picked up by the next sweep. Parts of a long message are joined once; after the
 * timeout a message with a missing part is delivered with the gap marked, never dropped.
 */
import { Data, Deferred, Effect, Exit } from "effect";
import { parseCmglPdu, parseCmgrPdu } from "../../protocol/at/sms-storage";
import { decodeSmsPdu, type SmsPdu } from "../../protocol/sms/decode";
import { Reassembler, type AssembledMessage } from "../../protocol/sms/reassembly";
import type { AtPort, DirectAt } from "../at/at-port";
import type { AtError } from "../at/errors";

/** One received part, as the sink gets it. */
export interface ReceivedPart {
  /** The SIM it was read from (null while the SIM is unknown, e.g. not yet read). */
  readonly iccid: string | null;
  /** Where it was stored on the modem (`SM` 3), or null for a +CMT that was never stored. */
  readonly storage: string | null;
  readonly index: number | null;
  readonly pdu: SmsPdu;
  /** The PDU hex as read. */
  readonly raw: string;
  readonly receivedAt: Date;
}

export class SinkError extends Data.TaggedError("SinkError")<{ readonly reason: string }> {}

/** Where received parts go. `storePart` returns only after the part is durable. */
export interface SmsSink {
  readonly storePart: (part: ReceivedPart) => Effect.Effect<void, SinkError>;
}

export type InboxEvent =
  | { readonly type: "sms-part"; readonly part: ReceivedPart }
  | { readonly type: "sms-message"; readonly message: AssembledMessage; readonly sender: string }
  | { readonly type: "sms-kept"; readonly storage: string; readonly index: number; readonly reason: string }
  | { readonly type: "sms-unreadable"; readonly storage: string; readonly index: number; readonly reason: string };

export interface InboxOptions {
  readonly multipartTimeoutMs: number;
  /** The SIM currently in the modem. */
  readonly iccid: () => string | null;
  /** False between a card leaving and the new card's identity being read. */
  readonly simKnown: () => boolean;
}

export const makeInbox = (port: AtPort, sink: SmsSink, publish: (event: InboxEvent) => Effect.Effect<unknown>, options: InboxOptions) =>
  Effect.gen(function* () {
    const reassembler = new Reassembler();
    // One reader at a time: a +CMTI and a sweep must not store the same slot twice.
    const lock = yield* Effect.makeSemaphore(1);
    let memory = "SM";
    // Set while the expiry loop sleeps with nothing to expire; a waiting part wakes it.
    let waiter: Deferred.Deferred<void> | null = null;

    const select = (at: DirectAt, storage: string) =>
      storage === memory ? Effect.void : at.command(`AT+CPMS="${storage}"`).pipe(Effect.tap(() => Effect.sync(() => (memory = storage))));

    const assemble = (part: ReceivedPart) =>
      Effect.suspend(() => {
        const { pdu } = part;
        const concat = pdu.concat ?? { ref: 0, seq: 1, total: 1, refBits: 8 as const };
        const outcome = reassembler.add({ sender: pdu.number, ...concat, text: pdu.text, receivedAt: part.receivedAt.getTime() });
        if (outcome.kind === "waiting" && waiter) {
          Deferred.unsafeDone(waiter, Exit.void);
          waiter = null;
        }
        return outcome.kind === "complete" ? publish({ type: "sms-message", message: outcome.message, sender: pdu.number }) : Effect.void;
      });

    /** Stores one PDU through the sink; deletes the slot only after that succeeded. */
    const take = (at: DirectAt, storage: string | null, index: number | null, raw: string): Effect.Effect<void, AtError> =>
      Effect.gen(function* () {
        const decoded = decodeSmsPdu(raw, { hasSmsc: true });
        if (!decoded.ok) {
          // Kept on the SIM for a person to look at; reported so it is not silently stuck.
          if (storage !== null && index !== null)
            yield* publish({ type: "sms-unreadable", storage, index, reason: decoded.error.message });
          return;
        }
        const iccid = options.iccid();
        // Between a card switch and the read of the new card, whose message this is is not
        // known: it stays on the SIM for the sweep that follows the read.
        if (!options.simKnown() && storage !== null && index !== null) {
          yield* publish({ type: "sms-kept", storage, index, reason: "the SIM's identity is not read yet" });
          return;
        }
        const part: ReceivedPart = { iccid, storage, index, pdu: decoded.value, raw, receivedAt: new Date() };
        const stored = yield* sink.storePart(part).pipe(Effect.either);
        if (stored._tag === "Left") {
          if (storage !== null && index !== null) yield* publish({ type: "sms-kept", storage, index, reason: stored.left.reason });
          return;
        }
        if (storage !== null && index !== null) yield* at.command(`AT+CMGD=${index}`);
        yield* publish({ type: "sms-part", part });
        yield* assemble(part);
      });

    /**
     * Reading, storing and deleting a message hold the port: a SIM switch (which takes the
     * port too) can never fall between reading a slot and deleting it, so a message is
     * always put down to the card it was read from, and a delete never hits the next card.
     */
    const holdingPort = <A>(work: (at: DirectAt) => Effect.Effect<A, AtError>): Effect.Effect<A, AtError> => lock.withPermits(1)(port.exclusive(work));

    /** A +CMTI: read that slot. An empty slot (already swept) is not an error. */
    const readSlot = (storage: string, index: number) =>
      holdingPort((at) =>
        Effect.gen(function* () {
          yield* select(at, storage);
          const reply = yield* at.command(`AT+CMGR=${index}`);
          if (reply.lines.length === 0) return;
          const parsed = parseCmgrPdu(reply.lines.join("\r\n"), index);
          if (!parsed.ok || !parsed.value.pdu) {
            yield* publish({ type: "sms-unreadable", storage, index, reason: parsed.ok ? "no PDU line" : parsed.error.message });
            return;
          }
          yield* take(at, storage, index, parsed.value.pdu);
        }),
      );

    /** Every stored message: at start-up, after re-registration, and for clients that missed a +CMTI. */
    const sweep = (storage = "SM") =>
      holdingPort((at) =>
        Effect.gen(function* () {
          yield* select(at, storage);
          const reply = yield* at.command("AT+CMGL=4");
          const parsed = parseCmglPdu(reply.lines.join("\r\n"));
          if (!parsed.ok) return 0;
          for (const entry of parsed.value) {
            if (entry.pdu) yield* take(at, storage, entry.index, entry.pdu);
            else yield* publish({ type: "sms-unreadable", storage, index: entry.index, reason: "no PDU line" });
          }
          return parsed.value.length;
        }),
      );

    /** A +CMT: the message came straight to us and was never stored. */
    const direct = (raw: string) => holdingPort((at) => take(at, null, null, raw));

    /** Gives up on long messages whose parts stopped coming; they go out with the gap marked. */
    const expire = (now: number) =>
      Effect.forEach(reassembler.expire(now, options.multipartTimeoutMs), (message) =>
        publish({ type: "sms-message", message, sender: message.sender }),
      );

    /** Resolves at once while parts wait for the rest of their message, else when one does. */
    const whenWaiting: Effect.Effect<void> = Effect.suspend(() => {
      if (reassembler.pending > 0) return Effect.void;
      return Effect.flatMap(Deferred.make<void>(), (signal) => {
        waiter = signal;
        return Deferred.await(signal);
      });
    });

    return { readSlot, sweep, direct, expire, whenWaiting, pending: () => reassembler.pending };
  });
