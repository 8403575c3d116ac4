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
import { Cause, Deferred, Effect, Exit, PubSub, Runtime, SubscriptionRef, type Queue, type Scope } from "effect";
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
  /**
   * `inReplyTo`: the code is also an information line of that command's reply (a +CUSD that
   * comes before the OK of AT+CUSD), so whoever shows the reply has it already.
   */
  | { readonly type: "urc"; readonly urc: Urc; readonly inReplyTo?: string }
  /** Output that belongs to nothing: a late reply after a timeout, line noise. */
  | { readonly type: "stray"; readonly text: string }
  | { readonly type: "state"; readonly state: PortState; readonly detail: string }
  /**
   * The modem echoes commands again after it was told ATE0: it restarted without saying so
   * (no RDY), and forgot every setting. Whoever set it up should do so again.
   */
  | { readonly type: "settings-lost"; readonly detail: string };

export type PortState = "ready" | "resyncing" | "unresponsive" | "gone";

export interface AtPortOptions {
  /** Per-class timeouts (vendor profiles override some). */
  readonly timeouts?: Partial<Record<CommandClass, number>>;
  /** How long to wait for the `> ` prompt of +CMGS/+CMGW. */
  readonly promptTimeoutMs?: number;
  /** Resync attempts after a timeout before the port is called unresponsive. */
  readonly resyncAttempts?: number;
  readonly resyncTimeoutMs?: number;
  /**
   * Unsolicited codes beyond 27.007's (vendor status lines such as Quectel's `+QUSIM: 1`):
   * published as codes and kept out of the reply they land in, unless the command in flight
   * asks for that very code.
   */
  readonly extraUrcs?: readonly RegExp[];
}

/** Commands that run directly, inside an exclusive operation (their priority is the operation's). */
export interface DirectAt {
  readonly command: (text: string, options?: CommandOptions) => Effect.Effect<AtResponse, AtError>;
  /** A command that is answered with the `> ` prompt, then takes `body` ended by Ctrl-Z. */
  readonly commandWithBody: (text: string, body: string, options?: CommandOptions) => Effect.Effect<AtResponse, AtError>;
}

export interface AtPort extends DirectAt {
  /**
   * Runs `operation` alone on the port: queued work waits until it has finished. It waits
   * its turn as `priority` (default urgent: a slot switch goes first).
   */
  readonly exclusive: <A, E, R>(operation: (at: DirectAt) => Effect.Effect<A, E, R>, options?: { readonly priority?: Priority }) => Effect.Effect<A, E, R>;
  /** Unsolicited codes and port events, from the moment of subscription. */
  readonly events: Effect.Effect<Queue.Dequeue<PortEvent>, never, Scope.Scope>;
  readonly state: SubscriptionRef.SubscriptionRef<PortState>;
  readonly target: string;
  /** Vendor timeouts, once the modem is known (bring-up picks the profile after the port exists). */
  readonly setTimeouts: (overrides: Partial<Record<CommandClass, number>>) => Effect.Effect<void>;
  /** Vendor unsolicited codes (see AtPortOptions.extraUrcs); added to those already known. */
  readonly addUrcs: (patterns: readonly RegExp[]) => Effect.Effect<void>;
  /**
   * From now on, whenever the modem may have lost its settings (it answers again after a
   * resync or an unresponsive spell, or its echo came back after ATE0), the port runs `setUp`
   * alone and ahead of everything queued: a send waiting for the modem must not reach a
   * module that forgot +CMEE and its storages. Until it has run, only urgent work gets the wire.
   */
  readonly setUpAfterSpells: (setUp: (at: DirectAt) => Effect.Effect<void>) => Effect.Effect<void>;
}

interface Waiter {
  readonly rank: number;
  readonly seq: number;
  readonly latch: Deferred.Deferred<void>;
}

interface InFlight {
  readonly command: string;
  readonly lines: string[];
  readonly prompt: Deferred.Deferred<void> | null;
  readonly done: Deferred.Deferred<{ final: FinalResult; text: string } | typeof TIMED_OUT, AtPortClosed>;
  /** Resync: finals before this line has been seen are stale replies and are dropped. */
  readonly marker: RegExp | null;
  markerSeen: boolean;
  /**
   * Resync only: final results still owed by the modem, this command's included (a command
   * that timed out may still answer). When an error final pays the last of them, it is the
   * resync command's own answer: a modem that does not know the marker query answers ERROR.
   */
  owed: number;
  /** Resync only: finals seen without the marker (stale replies, or an error answer). */
  finalsSeen: number;
  lastFinal: { final: FinalResult; text: string } | null;
}

const TIMED_OUT = Symbol("timed out");
const CTRL_Z = "\x1a";
const ESC = "\x1b";
const RESYNC_COMMAND = "AT+CMEE?";
const RESYNC_MARKER = /^\+CMEE:/i;

/** An odd number of double quotes: a quoted parameter continues on the next line. */
const quoteOpen = (text: string): boolean => (text.match(/"/g)?.length ?? 0) % 2 === 1;

export const makeAtPort = (transport: Transport, options: AtPortOptions = {}): Effect.Effect<AtPort, never, Scope.Scope> =>
  Effect.gen(function* () {
    const timeouts = { ...DEFAULT_TIMEOUTS_MS, ...options.timeouts };
    const promptTimeoutMs = options.promptTimeoutMs ?? 5_000;
    const resyncAttempts = options.resyncAttempts ?? 3;
    const resyncTimeoutMs = options.resyncTimeoutMs ?? 2_000;
    const framer = new AtFramer();
    const extraUrcs: RegExp[] = [...(options.extraUrcs ?? [])];
    /** A vendor code, unless the command in flight asks for it (`AT#QSS?` wants `#QSS: 1,1`). */
    const isVendorUrc = (text: string, command: string | undefined): boolean => {
      if (!extraUrcs.some((p) => p.test(text))) return false;
      const prefix = /^([+^#!*$%][A-Z0-9]+)/i.exec(text)?.[1]?.toUpperCase();
      return !(prefix && command?.toUpperCase().includes(prefix));
    };
    const collector = new UrcCollector();
    const events = yield* PubSub.unbounded<PortEvent>();
    const state = yield* SubscriptionRef.make<PortState>("ready");
    // The priority lock: who holds the wire, and who waits for it (sorted).
    let busy = false;
    const waiting: Waiter[] = [];
    const runtime = yield* Effect.runtime<never>();
    const runSync = Runtime.runSync(runtime);
    let inFlight: InFlight | null = null;
    // Echo was turned off (ATE0 answered OK): an echo from now on means a silent restart.
    let echoOff = false;
    let openCusd: string | null = null;
    let seq = 0;
    let goneReason: string | null = null;
    // See AtPort.setUpAfterSpells: the owner's set-up, and whether it is owed now.
    const portScope = yield* Effect.scope;
    let setUp: ((at: DirectAt) => Effect.Effect<void>) | null = null;
    let setUpOwed = false;
    const owe: Effect.Effect<void> = Effect.suspend(() => {
      if (!setUp || setUpOwed || goneReason) return Effect.void;
      setUpOwed = true;
      const run = setUp;
      // Forked: the event that owes it may come from inside a command's own exchange.
      // The flag drops before the wire is released, so the release hands it on to queued work;
      // a run cut short (the port closing) drops it too.
      const done = Effect.sync(() => {
        setUpOwed = false;
        if (!busy && waiting.length > 0) {
          busy = true;
          handOn();
        }
      });
      return enqueue("urgent", Effect.suspend(() => run(direct)).pipe(Effect.ensuring(Effect.sync(() => (setUpOwed = false))))).pipe(
        Effect.ensuring(done),
        Effect.forkIn(portScope),
        Effect.asVoid,
      );
    });

    const closed = (command: string) => new AtPortClosed({ command, reason: goneReason ?? "closed" });

    // Mirrors `state` so the per-command path can read it without an effect.
    let currentState: PortState = "ready";
    const setState = (next: PortState, detail: string) =>
      Effect.suspend(() => {
        if (currentState === next) return Effect.void;
        const spellEnds = next === "ready" && (currentState === "resyncing" || currentState === "unresponsive");
        currentState = next;
        return Effect.zipRight(
          spellEnds ? owe : Effect.void,
          Effect.zipRight(SubscriptionRef.set(state, next), PubSub.publish(events, { type: "state", state: next, detail })),
        );
      });

    // ---- reading ----------------------------------------------------------------------------

    const publishUrcLine = (text: string, inReplyTo?: string) => {
      const urc = collector.push(text);
      return urc ? PubSub.publish(events, inReplyTo ? { type: "urc", urc, inReplyTo } : { type: "urc", urc }) : Effect.void;
    };

    const onEvent = (event: AtEvent): Effect.Effect<unknown> => {
      const current = inFlight;
      switch (event.kind) {
        case "echo":
          // Only a command line counts: many modules echo a PDU typed after the prompt
          // whatever ATE says.
          if (!echoOff || !/^AT/i.test(event.text)) return Effect.void;
          // Once per restart: the next ATE0 arms it again.
          echoOff = false;
          return Effect.zipRight(owe, PubSub.publish(events, { type: "settings-lost", detail: `echo is back (${event.text}) after ATE0` }));
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
          if (!urc && isVendorUrc(event.text, current?.command))
            return PubSub.publish(events, { type: "urc", urc: { kind: "vendor-indication", line: event.text, body: null } });
          if (current) {
            if (current.marker?.test(event.text)) current.markerSeen = true;
            current.lines.push(event.text);
            // +CUSD answers the request and is also what USSD listeners wait for.
            return urc?.alsoAfterFinal ? publishUrcLine(event.text, current.command) : Effect.void;
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
          if (current?.marker && !current.markerSeen) {
            current.lines.length = 0;
            current.finalsSeen++;
            current.owed--;
            current.lastFinal = { final: event.result, text: event.text };
            if (current.owed <= 0 && event.result.kind !== "ok") {
              // Every earlier command has answered, so this error is the marker query's.
              inFlight = null;
              return Deferred.succeed(current.done, { final: event.result, text: event.text });
            }
            return PubSub.publish(events, { type: "stray", text: event.text });
          }
          if (!current) return PubSub.publish(events, { type: "stray", text: event.text });
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
        // Anyone held back by an owed set-up may now have the wire, to fail at once.
        if (!busy && waiting.length > 0) {
          busy = true;
          handOn();
        }
        yield* setState("gone", reason);
        const current = inFlight;
        if (current) yield* Deferred.fail(current.done, closed(current.command));
      });

    // The framer runs in the transport's data callback: every step of the event handling is
    // synchronous (an unbounded PubSub, Deferreds), and bench:actor measured a stream hop per
    // chunk at more than the command itself.
    const stopListening = transport.listen({
      data: (chunk) => {
        // A defect here must not become an exception in the device's data callback.
        for (const event of framer.push(chunk))
          runSync(onEvent(event).pipe(Effect.catchAllCause((cause) => PubSub.publish(events, { type: "stray", text: `internal error: ${Cause.pretty(cause)}` }))));
      },
      end: (reason) => runSync(goneReason ? Effect.void : portGone(reason)),
    });
    yield* Effect.addFinalizer(() => Effect.sync(stopListening));

    // ---- writing ----------------------------------------------------------------------------

    // The reply timer of the command in flight; cleared with it.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const settle = Effect.sync(() => {
      clearTimeout(timer);
      timer = undefined;
      inFlight = null;
    });

    // Commands that timed out since the port last answered: each may still send its final.
    let unanswered = 0;
    // Some firmwares print a second final result behind an error (`+CMS ERROR: 321` then
    // `OK`). Written at once, the next command would take that OK for its answer; after an
    // error the line is left quiet this long first, and what arrives meanwhile is stray.
    const STRAY_AFTER_ERROR_MS = 30;
    let quietUntil = 0;

    const exchange = (command: string, body: string | null, marker: RegExp | null, timeoutMs: number): Effect.Effect<AtResponse, AtError> =>
      Effect.gen(function* () {
        if (goneReason) return yield* Effect.fail(closed(command));
        const quiet = quietUntil - performance.now();
        if (quiet > 0) yield* Effect.sleep(quiet);
        const started = performance.now();
        const entry: InFlight = {
          command,
          lines: [],
          prompt: body === null ? null : yield* Deferred.make<void>(),
          done: yield* Deferred.make<{ final: FinalResult; text: string } | typeof TIMED_OUT, AtPortClosed>(),
          marker,
          markerSeen: false,
          owed: unanswered + 1,
          finalsSeen: 0,
          lastFinal: null,
        };
        framer.expectEcho(command);
        if (body !== null) framer.expectPrompt();
        inFlight = entry;
        // Not awaited: a write that fails means the device is gone, and the transport says so
        // through `end`, which fails the command in flight.
        const write = (data: string) =>
          Effect.suspend(() => {
            transport.send(data);
            return goneReason ? Effect.fail(closed(command)) : Effect.void;
          });
        yield* write(`${command}\r`);
        if (entry.prompt) {
          // A final result in place of the prompt (+CMS ERROR: 330 with no SMSC, ERROR for a
          // length the modem refuses) ends the wait at once: it is the command's answer, and
          // nothing may be typed after it.
          const prompted = yield* Effect.raceFirst(
            Deferred.await(entry.prompt).pipe(Effect.as("prompt" as const)),
            Deferred.await(entry.done).pipe(Effect.as("final" as const)),
          ).pipe(Effect.timeoutOption(promptTimeoutMs));
          if (prompted._tag === "None") {
            // Leave the text-entry state the modem may be in, so the next command is heard.
            yield* write(ESC).pipe(Effect.ignore);
            unanswered++;
            return yield* Effect.fail(new AtTimeout({ command, afterMs: promptTimeoutMs, waitingFor: "prompt" }));
          }
          if (prompted.value === "final") {
            // Only an error may stand in for the prompt: a bare OK here is a late answer to an
            // earlier command, not this one's. Nothing was typed, so nothing was sent; taking
            // it as the answer would report a message sent that never left.
            const ended = yield* Deferred.await(entry.done);
            if (ended !== TIMED_OUT && ended.final.kind === "ok") {
              yield* write(ESC).pipe(Effect.ignore);
              unanswered++;
              return yield* Effect.fail(new AtTimeout({ command, afterMs: Math.round(performance.now() - started), waitingFor: "prompt" }));
            }
          }
          if (prompted.value === "prompt") {
            framer.expectEcho(body!);
            yield* write(`${body}${CTRL_Z}`);
          }
        }
        // The one bare timer in drivers/: Effect.timeoutOption forks a sleeping fiber for every
        // command, which bench:actor measured at half of the port's own cost. The port talks to
        // real devices in real time, so a TestClock could not drive it anyway.
        timer = setTimeout(() => Deferred.unsafeDone(entry.done, Exit.succeed(TIMED_OUT)), timeoutMs);
        const outcome = yield* Deferred.await(entry.done);
        if (outcome === TIMED_OUT) {
          const last = entry.lastFinal;
          // A stale OK alone says the old command finished, not that the marker was heard.
          if (entry.marker && last && last.final.kind !== "ok") {
            // The modem answered, only not with the marker (an ERROR to AT+CMEE? that could not
            // be told from a stale reply until the line stayed quiet this long): it is alive.
            unanswered = 0;
            const error = describeModemError(last.final) ?? describeModemError({ kind: "error" })!;
            return yield* Effect.fail(new AtModemError({ command, error, lines: [] }));
          }
          unanswered++;
          return yield* Effect.fail(new AtTimeout({ command, afterMs: timeoutMs, waitingFor: "reply" }));
        }
        unanswered = 0;
        if (outcome.final.kind === "ok") {
          // V.250 6.2.4: E0 turns echo off; E1, Z and &F (the stored or factory profile) on.
          if (/^ATE0?(?![0-9])/i.test(command)) echoOff = true;
          else if (/^AT(E1|Z|&F)/i.test(command)) echoOff = false;
        }
        const lines = entry.lines;
        const error = describeModemError(outcome.final);
        if (error && !/^AT[DA]/i.test(command)) {
          quietUntil = performance.now() + STRAY_AFTER_ERROR_MS;
          return yield* Effect.fail(new AtModemError({ command, error, lines }));
        }
        return { command, lines, final: outcome.final, finalText: outcome.text, elapsedMs: performance.now() - started };
      }).pipe(Effect.ensuring(settle));

    /** After a timeout: drop whatever is pending and find the modem again. */
    const resync = Effect.gen(function* () {
      yield* setState("resyncing", "a command timed out");
      for (let attempt = 1; attempt <= resyncAttempts; attempt++) {
        // A modem left in text entry (an SMS prompt whose body never came: the host that
        // asked for it was killed) takes every line as the message's text until ESC, which
        // cancels it unsent. The CR ends the line ESC starts on a modem in command mode, which
        // has no AT prefix and is ignored, so the query below starts on a line of its own.
        if (!goneReason) transport.send(`${ESC}\r`);
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
        // A reply after an unresponsive spell: the modem is back.
        Effect.tap(() => (currentState === "unresponsive" ? setState("ready", "answered again") : Effect.void)),
      );

    const timeoutFor = (command: string, opts?: CommandOptions) => opts?.timeoutMs ?? timeouts[classOf(command)];

    /**
     * A priority lock on the wire: the caller runs its own exchange once it holds it. When the
     * port is idle, taking it allocates nothing; otherwise the caller waits in line (by
     * priority, then arrival) and the lock is handed straight to the next in line on release.
     * Waiting can be interrupted (a caller's timeout, a closing scope): the waiter leaves the
     * line, or passes the lock on if it was handed over at that moment.
     */
    const acquire = (priority: Priority, restore: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>): Effect.Effect<void> =>
      Effect.suspend(() => {
        if (!busy && waiting.length === 0 && mayHave(PRIORITY_RANK[priority])) {
          busy = true;
          return Effect.void;
        }
        return Effect.flatMap(Deferred.make<void>(), (latch) => {
          const waiter: Waiter = { rank: PRIORITY_RANK[priority], seq: seq++, latch };
          let at = waiting.length;
          while (at > 0 && waiting[at - 1]!.rank > waiter.rank) at--;
          waiting.splice(at, 0, waiter);
          // The wire is free but was withheld from those in line (a set-up is owed): this
          // newcomer may be the urgent work that may have it.
          if (!busy) {
            busy = true;
            handOn();
          }
          return restore(Deferred.await(latch)).pipe(
            Effect.onInterrupt(() =>
              Effect.sync(() => {
                const place = waiting.indexOf(waiter);
                if (place >= 0) waiting.splice(place, 1);
                else handOn();
              }),
            ),
          );
        });
      });

    /** While a set-up is owed only urgent work may have the wire; a port that is gone lets all through to fail. */
    const mayHave = (rank: number) => !setUpOwed || goneReason !== null || rank === PRIORITY_RANK.urgent;

    /** Hands the wire to the next in line that may have it, or frees it. */
    const handOn = () => {
      const next = waiting[0] && mayHave(waiting[0].rank) ? waiting.shift() : undefined;
      if (next) Deferred.unsafeDone(next.latch, Exit.void);
      else busy = false;
    };
    const release = Effect.sync(handOn);

    /** Runs work alone on the port, after everything waiting with a higher or equal priority. */
    const enqueue = <A, E, R>(priority: Priority, work: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
      Effect.uninterruptibleMask((restore) => Effect.zipRight(acquire(priority, restore), restore(work).pipe(Effect.ensuring(release))));

    const direct: DirectAt = {
      command: (text, opts) => runCommand(text, null, timeoutFor(text, opts)),
      commandWithBody: (text, body, opts) => runCommand(text, body, timeoutFor(text, opts)),
    };

    const port: AtPort = {
      target: transport.target,
      state,
      command: (text, opts) => enqueue(opts?.priority ?? "normal", direct.command(text, opts)),
      commandWithBody: (text, body, opts) => enqueue(opts?.priority ?? "normal", direct.commandWithBody(text, body, opts)),
      exclusive: (operation, opts) => enqueue(opts?.priority ?? "urgent", Effect.suspend(() => operation(direct))),
      // Explicit per-call timeouts and the caller's own options still win.
      setTimeouts: (overrides) => Effect.sync(() => Object.assign(timeouts, overrides, options.timeouts)),
      setUpAfterSpells: (run) =>
        Effect.sync(() => {
          setUp = run;
        }),
      addUrcs: (patterns) => Effect.sync(() => extraUrcs.push(...patterns.filter((p) => !extraUrcs.some((q) => q.source === p.source && q.flags === p.flags)))),
      events: PubSub.subscribe(events),
    };
    return port;
  });
