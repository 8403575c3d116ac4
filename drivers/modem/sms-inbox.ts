/**
 * Incoming SMS: read a stored message, hand it to the sink, and delete it from the SIM only
 * once the sink says it is durably stored. A message the sink cannot take stays on the SIM
 * and is picked up by the next sweep (the actor sweeps again, with backoff, while any is
 * kept). Sweeps read the SIM's memory and the modem's own. Each part of a long message is
 * handed over on its own and forgotten: the sink is the one place a long message is joined,
 * so parts that arrive through two modems (a card moved between them) or across a restart
 * still make one message, and a part that never comes is the sink's to mark.
 */
import { Data, Deferred, Effect, Exit } from "effect";
import { parseCmglPdu, parseCmgrPdu, parseCpmsSet, parseCpmsTest } from "../../protocol/at/sms-storage";
import { decodeSmsPdu, type SmsPdu } from "../../protocol/sms/decode";
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
}

export class SinkError extends Data.TaggedError("SinkError")<{ readonly reason: string }> {}

/**
 * Where received parts go. `storePart` returns only after the part is durable; the part of a
 * long message is joined with its siblings there, whichever modem or run read them.
 */
export interface SmsSink {
  readonly storePart: (part: ReceivedPart) => Effect.Effect<void, SinkError>;
  /**
   * A storage was read to its end and everything readable in it was stored and deleted,
   * with `iccid` in the modem: whatever is found there later arrived after now. The modem's
   * own memory (ME) does not follow a card, so this bounds which card a message found there
   * can belong to. (The port is held until this returns: no card switch falls in between.)
   */
  readonly storageEmptied?: (storage: string, iccid: string) => Effect.Effect<void, SinkError>;
}

export type InboxEvent =
  | { readonly type: "sms-part"; readonly part: ReceivedPart }
  /** Left on the modem: the sink refused it (swept again with backoff), or the card is not read yet (swept after the read). */
  | { readonly type: "sms-kept"; readonly storage: string; readonly index: number; readonly reason: string; readonly cause: "sink" | "sim-unknown" }
  | { readonly type: "sms-unreadable"; readonly storage: string; readonly index: number; readonly reason: string };

export interface InboxOptions {
  /** The SIM currently in the modem. */
  readonly iccid: () => string | null;
  /** False between a card leaving and the new card's identity being read. */
  readonly simKnown: () => boolean;
  /**
   * Asks the modem, with the port held, whether the card it shows is the one in it (false:
   * it is not, or it did not say). Messages read from the SIM are put down to that card,
   * so they are left in place until it is sure.
   */
  readonly cardHere?: (at: DirectAt) => Effect.Effect<boolean>;
  /** Status reports found in a storage (SR, or anywhere a modem put one) go to report matching. */
  readonly statusReport: (raw: string) => Effect.Effect<void>;
}

/** What one sweep found. */
export interface SweepOutcome {
  /** Messages listed, over every storage. */
  readonly listed: number;
  /** Messages left in place because they could not be stored yet (retried by `whenKept`). */
  readonly kept: number;
}

/**
 * The storages a sweep reads, from `AT+CPMS=?`'s first list: SM (on the SIM, follows the
 * card), ME (the modem's own memory, where a modem that forgot our +CPMS puts new messages)
 * and SR (status reports). Not MT: it is SM and ME again under other indexes, and would
 * read every message twice.
 */
const SWEPT = ["SM", "ME", "SR"] as const;

export const makeInbox = (port: AtPort, sink: SmsSink, publish: (event: InboxEvent) => Effect.Effect<unknown>, options: InboxOptions) =>
  Effect.gen(function* () {
    // One reader at a time: a +CMTI and a sweep must not store the same slot twice.
    const lock = yield* Effect.makeSemaphore(1);
    // Learned once per port from +CPMS=?; null until then.
    let storages: readonly string[] | null = null;
    // Messages left on the modem because the sink refused them: a retry is due.
    let keptPending = false;
    let keptWaiter: Deferred.Deferred<void> | null = null;

    const markKept = Effect.sync(() => {
      keptPending = true;
      if (keptWaiter) {
        Deferred.unsafeDone(keptWaiter, Exit.void);
        keptWaiter = null;
      }
    });

    /**
     * Every read names its storage: a modem that restarted has forgotten which one was
     * selected, and reading index 3 of the wrong memory would store (and delete) another
     * message than the one announced. Returns how many messages the storage holds, when the
     * modem says.
     */
    const select = (at: DirectAt, storage: string) =>
      at.command(`AT+CPMS="${storage}"`).pipe(
        Effect.map((reply) => {
          const usage = parseCpmsSet(reply.lines.join("\r\n"));
          return usage.ok ? (usage.value[0]?.used ?? null) : null;
        }),
      );

    const sweptStorages = (at: DirectAt) =>
      storages !== null
        ? Effect.succeed(storages)
        : at.command("AT+CPMS=?").pipe(
            Effect.map((reply) => {
              const offered = parseCpmsTest(reply.lines.join("\r\n"));
              const mem1 = offered.ok ? offered.value.mem1.map((s) => s.toUpperCase()) : [];
              const chosen = SWEPT.filter((s) => mem1.includes(s));
              return chosen.length > 0 ? chosen : ["SM"];
            }),
            // A modem that does not answer the test form still has the SIM's memory.
            Effect.orElseSucceed(() => ["SM"]),
            Effect.tap((chosen) => Effect.sync(() => (storages = chosen))),
          );

    /**
     * Stores one PDU through the sink; deletes the slot only after that succeeded. Returns
     * whether the message was left in place to be tried again.
     */
    const take = (at: DirectAt, storage: string | null, index: number | null, raw: string): Effect.Effect<boolean, AtError> =>
      Effect.gen(function* () {
        const decoded = decodeSmsPdu(raw, { hasSmsc: true });
        if (!decoded.ok) {
          // Kept on the SIM for a person to look at; reported so it is not silently stuck.
          if (storage !== null && index !== null)
            yield* publish({ type: "sms-unreadable", storage, index, reason: decoded.error.message });
          return false;
        }
        if (decoded.value.type === "SMS-STATUS-REPORT") {
          yield* options.statusReport(raw);
          if (storage !== null && index !== null) yield* at.command(`AT+CMGD=${index}`);
          return false;
        }
        const iccid = options.iccid();
        // Between a card switch and the read of the new card, whose message this is is not
        // known: it stays on the SIM for the sweep that follows the read.
        if (!options.simKnown() && storage !== null && index !== null) {
          // Not a retry: reading the card sweeps again.
          yield* publish({ type: "sms-kept", storage, index, reason: "the SIM's identity is not read yet", cause: "sim-unknown" });
          return true;
        }
        const part: ReceivedPart = { iccid, storage, index, pdu: decoded.value, raw };
        const stored = yield* sink.storePart(part).pipe(Effect.either);
        if (stored._tag === "Left") {
          if (storage !== null && index !== null) {
            yield* publish({ type: "sms-kept", storage, index, reason: stored.left.reason, cause: "sink" });
            yield* markKept;
          }
          return true;
        }
        if (storage !== null && index !== null) yield* at.command(`AT+CMGD=${index}`);
        yield* publish({ type: "sms-part", part });
        return false;
      });

    /**
     * Reading, storing and deleting a message hold the port: a SIM switch (which takes the
     * port too) can never fall between reading a slot and deleting it, so a message is
     * always put down to the card it was read from, and a delete never hits the next card.
     */
    const holdingPort = <A>(work: (at: DirectAt) => Effect.Effect<A, AtError>): Effect.Effect<A, AtError> => lock.withPermits(1)(port.exclusive(work));

    /** The card is the one the snapshot shows; otherwise what is read stays where it is. */
    const sureOfCard = (at: DirectAt, storage: string | null, index: number | null) =>
      Effect.gen(function* () {
        if (!options.simKnown() || !options.cardHere || (yield* options.cardHere(at))) return true;
        if (storage !== null && index !== null)
          yield* publish({ type: "sms-kept", storage, index, reason: "the card in the modem is not the one it showed: read again first", cause: "sim-unknown" });
        return false;
      });

    /** A +CMTI: read that slot. An empty slot (already swept) is not an error. */
    const readSlot = (storage: string, index: number) =>
      holdingPort((at) =>
        Effect.gen(function* () {
          if (!(yield* sureOfCard(at, storage, index))) return;
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

    /** One storage, every message in it. */
    const sweepStorage = (at: DirectAt, storage: string) =>
      Effect.gen(function* () {
        const emptied = Effect.suspend(() => {
          const iccid = options.iccid();
          return storage === "ME" && sink.storageEmptied && options.simKnown() && iccid ? sink.storageEmptied(storage, iccid).pipe(Effect.ignore) : Effect.void;
        });
        const used = yield* select(at, storage);
        // The extra memories are usually empty: their count spares a listing. The SIM's is
        // always listed, as it was before anyone counted.
        if (used === 0 && storage !== "SM") {
          yield* emptied;
          return { listed: 0, kept: 0 };
        }
        const reply = yield* at.command("AT+CMGL=4");
        const parsed = parseCmglPdu(reply.lines.join("\r\n"));
        if (!parsed.ok) return { listed: 0, kept: 0 };
        let kept = 0;
        let unreadable = 0;
        for (const entry of parsed.value) {
          if (!entry.pdu) {
            unreadable++;
            yield* publish({ type: "sms-unreadable", storage, index: entry.index, reason: "no PDU line" });
          } else if (yield* take(at, storage, entry.index, entry.pdu)) kept++;
        }
        if (kept === 0) yield* emptied;
        return { listed: parsed.value.length, kept };
      });

    /**
     * Every stored message in every storage the modem offers: at start-up, after a restart
     * or a recovery, after re-registration, and for clients that missed a +CMTI. The SIM's
     * memory is selected again at the end, as the rest of simgate expects.
     */
    const sweep = (): Effect.Effect<SweepOutcome, AtError> =>
      holdingPort((at) =>
        Effect.gen(function* () {
          keptPending = false;
          let listed = 0;
          let kept = 0;
          // Reading the card again sweeps again.
          if (!(yield* sureOfCard(at, null, null))) return { listed, kept };
          const chosen = yield* sweptStorages(at);
          for (const storage of chosen) {
            const outcome = yield* sweepStorage(at, storage);
            listed += outcome.listed;
            kept += outcome.kept;
          }
          if (chosen.length > 1 || chosen[0] !== "SM") yield* select(at, "SM").pipe(Effect.ignore);
          return { listed, kept };
        }),
      );

    /** Resolves when a message was left in place for want of the sink (or at once if one is). */
    const whenKept: Effect.Effect<void> = Effect.suspend(() => {
      if (keptPending) return Effect.void;
      return Effect.flatMap(Deferred.make<void>(), (signal) => {
        keptWaiter = signal;
        return Deferred.await(signal);
      });
    });

    /** A +CMT: the message came straight to us and was never stored. */
    const direct = (raw: string) => holdingPort((at) => take(at, null, null, raw).pipe(Effect.asVoid));

    return { readSlot, sweep, direct, whenKept };
  });
