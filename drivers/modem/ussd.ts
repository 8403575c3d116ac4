/**
 * USSD on one modem: a request, the network's reply, and sessions that stay open while the
 * network wants more (+CUSD: 1). One exchange at a time per modem. The listener is in place
 * before the request is written, so a +CUSD before OK (SIMCom) is caught as surely as one
 * after it; a release code that precedes the answer ("+CUSD: 2, Initiating Release") is
 * passed over when the answer follows shortly.
 */
import { Data, Effect, Queue, type Scope } from "effect";
import { parseCusd, ussdStatusName, type UssdStatus } from "../../protocol/ussd/cusd";
import { decodeUssdPayload } from "../../protocol/ussd/decode";
import { buildCusdWrite, encodeUssdRequest } from "../../protocol/ussd/encode";
import type { AtPort, PortEvent } from "../at/at-port";
import type { AtError } from "../at/errors";
import type { TeCharset } from "../../protocol/text/charset";
import type { VendorProfile } from "./profiles";

export interface UssdReply {
  readonly status: UssdStatus;
  /** The decoded text. */
  readonly text: string;
  readonly dcs: number | null;
  /** The payload as the modem sent it, kept for when the decoding is in doubt. */
  readonly raw: string;
  /** True while the network waits for an answer (status 1). */
  readonly sessionOpen: boolean;
}

export class UssdError extends Data.TaggedError("UssdError")<{
  readonly request: string;
  readonly reason: "not-encodable" | "no-reply" | "unsupported" | "released";
  readonly detail: string;
}> {
  override get message(): string {
    return `USSD ${this.request}: ${this.reason} (${this.detail})`;
  }
}

export interface UssdOptions {
  /** The +CSCS in force (default GSM, what the init sets). */
  readonly charset?: () => TeCharset;
  /** How long the network may take to answer (default 30 s). */
  readonly replyTimeoutMs?: number;
  /** After a release code, how long to wait for the answer that may follow (default 1.5 s). */
  readonly releaseGraceMs?: number;
}

const isCusd = (event: PortEvent): event is Extract<PortEvent, { type: "urc" }> => event.type === "urc" && event.urc.kind === "ussd";

export const makeUssd = (port: AtPort, profile: VendorProfile, subscribe: Effect.Effect<Queue.Dequeue<PortEvent>, never, Scope.Scope>, options: UssdOptions = {}) =>
  Effect.gen(function* () {
    const lock = yield* Effect.makeSemaphore(1);
    const replyTimeoutMs = options.replyTimeoutMs ?? 30_000;
    const graceMs = options.releaseGraceMs ?? 1_500;

    const decode = (line: string): UssdReply | null => {
      const parsed = parseCusd(line);
      if (!parsed.ok) return null;
      const c = parsed.value;
      // Text payloads are in the +CSCS in force; the vendor says whether hex may hide in them.
      const text = c.payload === "" ? "" : decodeUssdPayload(c.payload, c.dcs, options.charset?.() ?? "GSM", { trust: profile.ussdReply }).text;
      return { status: ussdStatusName(c.status), text, dcs: c.dcs, raw: c.payload, sessionOpen: c.status === 1 };
    };

    /** Waits for the reply: the first answer (0/1), or a final code after the grace period. */
    const awaitReply = (events: Queue.Dequeue<PortEvent>, request: string) =>
      Effect.gen(function* () {
        let last: UssdReply | null = null;
        for (;;) {
          const wait = last ? graceMs : replyTimeoutMs;
          const event = yield* Queue.take(events).pipe(Effect.repeat({ until: isCusd }), Effect.timeoutOption(wait));
          if (event._tag === "None") break;
          const reply = decode(event.value.urc.line);
          if (!reply) continue;
          if (reply.status === "done" || reply.status === "more") return reply;
          last = reply;
        }
        if (!last) return yield* Effect.fail(new UssdError({ request, reason: "no-reply", detail: `nothing in ${replyTimeoutMs} ms` }));
        if (last.status === "unsupported") return yield* Effect.fail(new UssdError({ request, reason: "unsupported", detail: "+CUSD: 4" }));
        // A release with a text is the network's answer (an operator's "try later").
        if (last.text) return last;
        return yield* Effect.fail(new UssdError({ request, reason: "released", detail: `+CUSD: ${last.raw ? last.raw : last.status}` }));
      });

    /** Sends a code (`*100#`) or, inside an open session, the user's answer. */
    const send = (request: string): Effect.Effect<UssdReply, UssdError | AtError> =>
      lock.withPermits(1)(
        Effect.scoped(
          Effect.gen(function* () {
            const encoded = encodeUssdRequest(request, profile.ussdRequest);
            if (!encoded.ok) return yield* Effect.fail(new UssdError({ request, reason: "not-encodable", detail: encoded.error.message }));
            const events = yield* subscribe;
            yield* port.command(buildCusdWrite(encoded.value));
            const reply = yield* awaitReply(events, request).pipe(
              // No answer: close whatever the network may still hold open.
              Effect.tapError((e) => (e._tag === "UssdError" && e.reason === "no-reply" ? port.command("AT+CUSD=2").pipe(Effect.ignore) : Effect.void)),
            );
            return reply;
          }),
        ),
      );

    /** Ends an open session. */
    const cancel = port.command("AT+CUSD=2").pipe(Effect.asVoid);

    return { send, cancel };
  });
