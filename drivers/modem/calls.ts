/**
 * Voice calls on one modem. The modem says little on its own (RING, +CLIP, NO CARRIER), so
 * while a call exists its state is read from +CLCC; every change is an event with its time.
 */
import { Data, Deferred, Effect, Exit } from "effect";
import { parseClcc, parseClipUnsolicited } from "../../protocol/at/calls";
import type { Urc } from "../../protocol/at/urc";
import type { AtPort } from "../at/at-port";
import type { AtError } from "../at/errors";

export type CallState = "dialing" | "alerting" | "ringing" | "active" | "ended";
export type CallEndReason = "hangup" | "no-carrier" | "busy" | "no-answer" | "gone";

export interface CallRecord {
  readonly id: number;
  readonly direction: "outgoing" | "incoming";
  /** The far end; null for an incoming call before +CLIP (or with the number withheld). */
  number: string | null;
  state: CallState;
  readonly startedAt: Date;
  answeredAt: Date | null;
  endedAt: Date | null;
  endReason: CallEndReason | null;
}

export type CallEvent = { readonly type: "call"; readonly call: Readonly<CallRecord> };

export class CallError extends Data.TaggedError("CallError")<{ readonly reason: string }> {}

const END_GRACE_MS = 1_000;

const END_WORDS: Readonly<Record<string, CallEndReason>> = { "NO CARRIER": "no-carrier", BUSY: "busy", "NO ANSWER": "no-answer" };

export const makeCalls = (port: AtPort, publish: (event: CallEvent) => Effect.Effect<unknown>) =>
  Effect.gen(function* () {
    let nextId = 1;
    let current: CallRecord | null = null;
    let missingSince: number | null = null;
    // Set while the poller sleeps with no call: a new call wakes it (no timer ticks when idle).
    let started: Deferred.Deferred<void> | null = null;
    const track = (call: CallRecord) => {
      current = call;
      if (started) {
        Deferred.unsafeDone(started, Exit.void);
        started = null;
      }
    };

    const emit = (call: CallRecord) => publish({ type: "call", call: { ...call } });

    const end = (reason: CallEndReason) =>
      Effect.suspend(() => {
        const call = current;
        if (!call) return Effect.void;
        current = null;
        missingSince = null;
        call.state = "ended";
        call.endReason = reason;
        call.endedAt = new Date();
        return emit(call);
      });

    const dial = (number: string): Effect.Effect<CallRecord, AtError | CallError> =>
      Effect.gen(function* () {
        if (!/^\+?[0-9*#]{1,32}$/.test(number)) return yield* Effect.fail(new CallError({ reason: `not a dialable number: "${number}"` }));
        if (current) return yield* Effect.fail(new CallError({ reason: `a call is in progress (${current.state})` }));
        const reply = yield* port.command(`ATD${number};`, { priority: "interactive" });
        const call: CallRecord = { id: nextId++, direction: "outgoing", number, state: "dialing", startedAt: new Date(), answeredAt: null, endedAt: null, endReason: null };
        const word = END_WORDS[reply.finalText.toUpperCase()];
        track(call);
        if (word) {
          yield* end(word);
          return call;
        }
        yield* emit(call);
        return call;
      });

    const answer: Effect.Effect<void, AtError | CallError> = Effect.gen(function* () {
      if (!current || current.state !== "ringing") return yield* Effect.fail(new CallError({ reason: "no call is ringing" }));
      yield* port.command("ATA", { priority: "interactive" });
      if (current) {
        current.state = "active";
        current.answeredAt = new Date();
        yield* emit(current);
      }
    });

    /** Urgent: a hang-up never waits behind queued bulk work. */
    const hangup: Effect.Effect<void, AtError> = Effect.gen(function* () {
      yield* port.command("ATH", { priority: "urgent" });
      yield* end("hangup");
    });

    /** Takes the call-related unsolicited codes; returns false for the others. */
    const onUrc = (urc: Urc): Effect.Effect<boolean> =>
      Effect.gen(function* () {
        switch (urc.kind) {
          case "ring":
          case "ring-typed":
            if (!current) {
              const call: CallRecord = { id: nextId++, direction: "incoming", number: null, state: "ringing", startedAt: new Date(), answeredAt: null, endedAt: null, endReason: null };
              track(call);
              yield* emit(call);
            }
            return true;
          case "caller-id": {
            const clip = parseClipUnsolicited(urc.line);
            if (current && current.direction === "incoming" && current.number === null && clip.ok && clip.value.number) {
              current.number = clip.value.number;
              yield* emit(current);
            }
            return true;
          }
          case "call-ended":
            yield* end(END_WORDS[urc.line.toUpperCase()] ?? "no-carrier");
            return true;
          default:
            return false;
        }
      });

    /** While a call exists, +CLCC tells its state (dialing, alerting, active) or that it is gone. */
    const poll: Effect.Effect<void> = Effect.gen(function* () {
      const call = current;
      if (!call) return;
      const reply = yield* port.command("AT+CLCC", { priority: "interactive" }).pipe(Effect.option);
      if (reply._tag === "None" || current !== call) return;
      // An empty list for a while: the call is over, whether or not the modem said so. Not at
      // once: its NO CARRIER or BUSY is usually on the way (the reader may have it already),
      // and it says why.
      if (reply.value.lines.length === 0) {
        missingSince ??= Date.now();
        if (Date.now() - missingSince >= END_GRACE_MS) yield* end("no-carrier");
        return;
      }
      missingSince = null;
      const list = parseClcc(reply.value.lines.join("\r\n"));
      if (!list.ok) return;
      const mine = list.value.find((c) => (call.direction === "outgoing") === (c.direction === "outgoing"));
      if (!mine) {
        yield* end("no-carrier");
        return;
      }
      const state: CallState | null =
        mine.state === "active" ? "active" : mine.state === "alerting" ? "alerting" : mine.state === "dialing" ? "dialing" : mine.state === "incoming" ? "ringing" : null;
      if (state && state !== call.state) {
        call.state = state;
        if (state === "active" && !call.answeredAt) call.answeredAt = new Date();
        if (call.number === null && mine.number) call.number = mine.number;
        yield* emit(call);
      }
    });

    /** Resolves at once while a call exists, else when the next one starts. */
    const whenCall: Effect.Effect<void> = Effect.suspend(() => {
      if (current) return Effect.void;
      return Effect.flatMap(Deferred.make<void>(), (signal) => {
        started = signal;
        return Deferred.await(signal);
      });
    });

    return { dial, answer, hangup, onUrc, poll, whenCall, current: () => current, gone: end("gone") };
  });
