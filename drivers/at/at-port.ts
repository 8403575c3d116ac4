/**
 * The AT port: the only thing that talks to a modem's transport. One command is in flight at
 * a time; its reply matcher is in place before its bytes are written; unsolicited codes go
 * to subscribers whenever they arrive, also in the middle of a reply; and after a timeout the
 * port resynchronises with a marker command, so a late reply is never taken for the answer
 * to the next command.
 *
 * Requests wait in a priority queue (urgent, interactive, normal, bulk): a technician's
 * command or an emergency hang-up is not stuck behind a queue of bulk SMS. An exclusive
 * operation (a SIM slot switch) runs alone: it starts when the command in flight ends, and
 * nothing else runs until it has finished.
 */
import { Data, Deferred, Effect, Order, PubSub, Queue, STM, Stream, SubscriptionRef, TPriorityQueue, type Scope } from "effect";
import { AtFramer, type AtEvent } from "../../protocol/at/framer";
import { describeModemError } from "../../protocol/at/errors";
import type { FinalResult } from "../../protocol/at/final-result";
import { classifyUrc, UrcCollector, type Urc } from "../../protocol/at/urc";
import type { Transport } from "../transport/transport";
import { AtModemError, AtPortClosed, AtTimeout, type AtError } from "./errors";
import { classOf, DEFAULT_TIMEOUTS_MS, type CommandClass } from "./timeouts";

export type Priority = "urgent" | "interactive" | "normal" | "bulk";
const PRIORITY_RANK: Record<Priority, number> = { urgent: 0, interactive: 1, normal: 2, bulk: 3 };

export interface AtResponse {
  readonly command: string;
  /** Information lines, in order (no echo, no blank lines, no URCs). */
  readonly lines: readonly string[];
  readonly final: FinalResult;
  readonly finalText: string;
  readonly elapsedMs: number;
}

export interface CommandOptions {
  readonly priority?: Priority;
  readonly timeoutMs?: number;
}

/** What arrives without being asked for. */
export type PortEvent =
  | { readonly type: "urc"; readonly urc: Urc }
  /** Output that belongs to nothing: a late reply after a timeout, line noise. */
  | { readonly type: "stray"; readonly text: string }
  | { readonly type: "state"; readonly state: PortState; readonly detail: string };

export type PortState = "ready" | "resyncing" | "unresponsive" | "gone";

export interface AtPortOptions {
  /** Per-class timeouts (vendor profiles override some). */
  readonly timeouts?: Partial<Record<CommandClass, number>>;
  /** How long to wait for the `> ` prompt of +CMGS/+CMGW. */
  readonly promptTimeoutMs?: number;
  /** Resync attempts after a timeout before the port is called unresponsive. */
  readonly resyncAttempts?: number;
  readonly resyncTimeoutMs?: number;
}

/** Commands that run directly, inside an exclusive operation. */
export interface DirectAt {
  readonly command: (text: string, options?: CommandOptions) => Effect.Effect<AtResponse, AtError>;
}

export interface AtPort extends DirectAt {
  /** A command that is answered with the `> ` prompt, then takes `body` ended by Ctrl-Z. */
  readonly commandWithBody: (text: string, body: string, options?: CommandOptions) => Effect.Effect<AtResponse, AtError>;
  /** Runs `operation` alone on the port: queued work waits until it has finished. */
  readonly exclusive: <A, E, R>(operation: (at: DirectAt) => Effect.Effect<A, E, R>) => Effect.Effect<A, E | AtPortClosed, R>;
  /** Unsolicited codes and port events, from the moment of subscription. */
  readonly events: Effect.Effect<Queue.Dequeue<PortEvent>, never, Scope.Scope>;
  readonly state: SubscriptionRef.SubscriptionRef<PortState>;
  readonly target: string;
}

class Request extends Data.Class<{
  readonly rank: number;
  readonly seq: number;
  readonly run: Effect.Effect<void>;
}> {}

interface InFlight {
  readonly command: string;
  readonly lines: string[];
  readonly prompt: Deferred.Deferred<void> | null;
  readonly done: Deferred.Deferred<{ final: FinalResult; text: string }, AtPortClosed>;
  /** Resync: finals before this line has been seen are stale replies and are dropped. */
  readonly marker: RegExp | null;
  markerSeen: boolean;
}

const CTRL_Z = "\x1a";
const ESC = "\x1b";
const RESYNC_COMMAND = "AT+CMEE?";
const RESYNC_MARKER = /^\+CMEE:/i;

/** An odd number of double quotes: a quoted parameter continues on the next line. */
const quoteOpen = (text: string): boolean => (text.match(/"/g)?.length ?? 0) % 2 === 1;

const byRankThenSeq = Order.combine(
  Order.mapInput(Order.number, (r: Request) => r.rank),
  Order.mapInput(Order.number, (r: Request) => r.seq),
);

export const makeAtPort = (transport: Transport, options: AtPortOptions = {}): Effect.Effect<AtPort, never, Scope.Scope> =>
  Effect.gen(function* () {
    const timeouts = { ...DEFAULT_TIMEOUTS_MS, ...options.timeouts };
    const promptTimeoutMs = options.promptTimeoutMs ?? 5_000;
    const resyncAttempts = options.resyncAttempts ?? 3;
    const resyncTimeoutMs = options.resyncTimeoutMs ?? 2_000;
    const framer = new AtFramer();
    const collector = new UrcCollector();
    const events = yield* PubSub.unbounded<PortEvent>();
    const state = yield* SubscriptionRef.make<PortState>("ready");
    const queue = yield* TPriorityQueue.empty<Request>(byRankThenSeq).pipe(STM.commit);
    let inFlight: InFlight | null = null;
    let openCusd: string | null = null;
    let seq = 0;
    let goneReason: string | null = null;

    const closed = (command: string) => new AtPortClosed({ command, reason: goneReason ?? "closed" });

    const setState = (next: PortState, detail: string) =>
      Effect.gen(function* () {
        const previous = yield* SubscriptionRef.getAndSet(state, next);
        if (previous !== next) yield* PubSub.publish(events, { type: "state", state: next, detail });
      });

    // ---- reading ----------------------------------------------------------------------------

    const publishUrcLine = (text: string) => {
      const urc = collector.push(text);
      return urc ? PubSub.publish(events, { type: "urc", urc }) : Effect.void;
    };

    const onEvent = (event: AtEvent): Effect.Effect<unknown> => {
      const current = inFlight;
      switch (event.kind) {
        case "echo":
          return Effect.void;
        case "prompt":
          return current?.prompt ? Deferred.succeed(current.prompt, undefined) : PubSub.publish(events, { type: "stray", text: "> " });
        case "line": {
          // A quoted +CUSD text may hold line breaks: join lines until its quote closes.
          if (openCusd !== null) {
            openCusd += `\n${event.text}`;
            // A quote that never closes (noise) must not swallow the port: give up at 4 KiB.
            if (quoteOpen(openCusd) && openCusd.length < 4096) return Effect.void;
            const joined = openCusd;
            openCusd = null;
            return onEvent({ kind: "line", text: joined });
          }
          if (/^\+CUSD:/i.test(event.text) && quoteOpen(event.text)) {
            openCusd = event.text;
            return Effect.void;
          }
          // A +CMT/+CDS header is followed by its PDU line, wherever it lands.
          if (collector.waitingForBody) return publishUrcLine(event.text);
          const urc = classifyUrc(event.text, current?.command);
          if (urc && !urc.answersPending) return publishUrcLine(event.text);
          if (current) {
            if (current.marker?.test(event.text)) current.markerSeen = true;
            current.lines.push(event.text);
            // +CUSD answers the request and is also what USSD listeners wait for.
            return urc?.alsoAfterFinal ? publishUrcLine(event.text) : Effect.void;
          }
          return urc ? publishUrcLine(event.text) : PubSub.publish(events, { type: "stray", text: event.text });
        }
        case "final": {
          if (openCusd !== null) {
            // The reply ended inside an open quote: hand on what there is, then the final.
            const partial = openCusd;
            openCusd = null;
            return Effect.zipRight(publishUrcLine(partial), onEvent(event));
          }
          // NO CARRIER and friends end a call; they answer a command only while dialling.
          if (classifyUrc(event.text, current?.command)) return publishUrcLine(event.text);
          if (!current || (current.marker && !current.markerSeen)) {
            if (current) current.lines.length = 0;
            return PubSub.publish(events, { type: "stray", text: event.text });
          }
          // The command owns nothing after its final result, even before its fiber resumes:
          // a BUSY right behind the OK of ATD is the call's end, not a second answer.
          inFlight = null;
          return Deferred.succeed(current.done, { final: event.result, text: event.text });
        }
      }
    };

    const portGone = (reason: string) =>
      Effect.gen(function* () {
        goneReason = reason;
        yield* setState("gone", reason);
        const current = inFlight;
        if (current) yield* Deferred.fail(current.done, closed(current.command));
      });

    yield* transport.reads.pipe(
      Stream.runForEach((chunk) => Effect.forEach(framer.push(chunk), onEvent, { discard: true })),
      Effect.catchAll((error) => portGone(error.message)),
      Effect.zipRight(Effect.suspend(() => (goneReason ? Effect.void : portGone("the device closed")))),
      Effect.forkScoped,
    );

    // ---- writing ----------------------------------------------------------------------------

    const exchange = (command: string, body: string | null, marker: RegExp | null, timeoutMs: number): Effect.Effect<AtResponse, AtError> =>
      Effect.gen(function* () {
        if (goneReason) return yield* Effect.fail(closed(command));
        const started = performance.now();
        const entry: InFlight = {
          command,
          lines: [],
          prompt: body === null ? null : yield* Deferred.make<void>(),
          done: yield* Deferred.make<{ final: FinalResult; text: string }, AtPortClosed>(),
          marker,
          markerSeen: false,
        };
        framer.expectEcho(command);
        if (body !== null) framer.expectPrompt();
        inFlight = entry;
        // A failed write means the device is gone: serialport does not always tell a reader
        // that a tty vanished, but writing to it fails with EIO.
        const write = (data: string) =>
          transport.write(data).pipe(Effect.catchAll((e) => portGone(e.message).pipe(Effect.zipRight(Effect.fail(closed(command))))));
        yield* write(`${command}\r`);
        if (entry.prompt) {
          const prompted = yield* Deferred.await(entry.prompt).pipe(Effect.timeoutOption(promptTimeoutMs));
          if (prompted._tag === "None") {
            // Leave the text-entry state the modem may be in, so the next command is heard.
            yield* write(ESC).pipe(Effect.ignore);
            return yield* Effect.fail(new AtTimeout({ command, afterMs: promptTimeoutMs, waitingFor: "prompt" }));
          }
          framer.expectEcho(body!);
          yield* write(`${body}${CTRL_Z}`);
        }
        const result = yield* Deferred.await(entry.done).pipe(Effect.timeoutOption(timeoutMs));
        if (result._tag === "None") return yield* Effect.fail(new AtTimeout({ command, afterMs: timeoutMs, waitingFor: "reply" }));
        const lines = entry.lines;
        const error = describeModemError(result.value.final);
        if (error && !/^AT[DA]/i.test(command)) return yield* Effect.fail(new AtModemError({ command, error, lines }));
        return { command, lines, final: result.value.final, finalText: result.value.text, elapsedMs: performance.now() - started };
      }).pipe(
        Effect.ensuring(
          Effect.sync(() => {
            inFlight = null;
          }),
        ),
      );

    /** After a timeout: drop whatever is pending and find the modem again. */
    const resync = Effect.gen(function* () {
      yield* setState("resyncing", "a command timed out");
      for (let attempt = 1; attempt <= resyncAttempts; attempt++) {
        framer.reset();
        const outcome = yield* exchange(RESYNC_COMMAND, null, RESYNC_MARKER, resyncTimeoutMs).pipe(Effect.either);
        if (outcome._tag === "Right" || outcome.left._tag === "AtModemError") {
          yield* setState("ready", `answered after ${attempt} resync attempt(s)`);
          return;
        }
        if (outcome.left._tag === "AtPortClosed") return;
      }
      yield* setState("unresponsive", `no answer to ${resyncAttempts} resync attempts`);
    });

    const runCommand = (command: string, body: string | null, timeoutMs: number) =>
      exchange(command, body, null, timeoutMs).pipe(
        Effect.tapError((error) => (error._tag === "AtTimeout" ? resync : Effect.void)),
        Effect.tap(() =>
          Effect.gen(function* () {
            // A reply after an unresponsive spell: the modem is back.
            if ((yield* SubscriptionRef.get(state)) === "unresponsive") yield* setState("ready", "answered again");
          }),
        ),
      );

    const timeoutFor = (command: string, opts?: CommandOptions) => opts?.timeoutMs ?? timeouts[classOf(command)];

    /** Queues work; the caller waits for its outcome. An interrupted caller's work is skipped if not started. */
    const enqueue = <A, E, R>(priority: Priority, work: Effect.Effect<A, E, R>): Effect.Effect<A, E | AtPortClosed, R> =>
      Effect.gen(function* () {
        const done = yield* Deferred.make<A, E | AtPortClosed>();
        const context = yield* Effect.context<R>();
        let cancelled = false;
        const run = Effect.suspend(() =>
          cancelled ? Effect.void : Deferred.complete(done, work.pipe(Effect.provide(context))).pipe(Effect.asVoid),
        );
        yield* TPriorityQueue.offer(queue, new Request({ rank: PRIORITY_RANK[priority], seq: seq++, run })).pipe(STM.commit);
        return yield* Deferred.await(done).pipe(
          Effect.onInterrupt(() =>
            Effect.sync(() => {
              cancelled = true;
            }),
          ),
        );
      });

    yield* Effect.forever(
      TPriorityQueue.take(queue).pipe(
        STM.commit,
        Effect.flatMap((request) => request.run),
      ),
    ).pipe(Effect.forkScoped);

    const direct: DirectAt = { command: (text, opts) => runCommand(text, null, timeoutFor(text, opts)) };

    const port: AtPort = {
      target: transport.target,
      state,
      command: (text, opts) => enqueue(opts?.priority ?? "normal", direct.command(text, opts)),
      commandWithBody: (text, body, opts) => enqueue(opts?.priority ?? "normal", runCommand(text, body, timeoutFor(text, opts))),
      exclusive: (operation) => enqueue("urgent", Effect.suspend(() => operation(direct))),
      events: PubSub.subscribe(events),
    };
    return port;
  });
