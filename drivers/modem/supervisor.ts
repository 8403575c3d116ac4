/**
 * Keeps one modem working for as long as simgate runs. It opens the device, brings up a
 * port and an actor, checks health periodically, and when the modem stops answering it
 * escalates: the port resyncs by itself; if that fails, a module reset (the vendor's own
 * command, AT+CFUN=1,1 for most; never while a call is up unless it stays silent); if the
 * modem is still silent or the device vanished, the port is closed and opened again,
 * waiting with backoff for the device to come back (it may come back on another tty: open
 * by a stable path such as /dev/serial/by-id). Every step is an event. A hung modem never
 * blocks anything but itself.
 */
import { Effect, Option, PubSub, Schedule, Stream, SubscriptionRef, type Queue, type Scope } from "effect";
import type { Transport, TransportError } from "../transport/transport";
import { makeAtPort, type AtPortOptions, type PortState } from "../at/at-port";
import { makeModemActor, type ModemActor, type ModemActorOptions, type ModemEvent } from "./modem-actor";
import { answersAt } from "./bring-up";

export type SupervisorStep = "opening" | "connected" | "open-failed" | "bring-up-failed" | "unresponsive" | "reset" | "lost" | "waiting" | "check-failed";

export type SupervisedEvent = ModemEvent | { readonly type: "supervisor"; readonly step: SupervisorStep; readonly detail: string; readonly at: Date };

export interface SupervisorOptions extends ModemActorOptions {
  /** How to open the device; run again for every reconnection. */
  readonly open: Effect.Effect<Transport, TransportError, Scope.Scope>;
  readonly port?: AtPortOptions;
  /** Health check period (AT+CSQ, which also refreshes the signal). Default 30 s. */
  readonly healthEveryMs?: number;
  /** While a call is up, how long an unresponsive modem is given before it is reset anyway. Default 30 s. */
  readonly callGraceMs?: number;
  /** After the reset command, how long the modem may take to answer again. Default 20 s. */
  readonly resetWaitMs?: number;
  /** Backoff between reconnection attempts: from `minMs`, doubling, up to `maxMs`. */
  readonly backoff?: { readonly minMs: number; readonly maxMs: number };
}

export interface SupervisedModem {
  /** The live actor, when connected. */
  readonly actor: SubscriptionRef.SubscriptionRef<Option.Option<ModemActor>>;
  readonly events: Effect.Effect<Queue.Dequeue<SupervisedEvent>, never, Scope.Scope>;
}

export const superviseModem = (options: SupervisorOptions): Effect.Effect<SupervisedModem, never, Scope.Scope> =>
  Effect.gen(function* () {
    const events = yield* PubSub.unbounded<SupervisedEvent>();
    const actorRef = yield* SubscriptionRef.make<Option.Option<ModemActor>>(Option.none());
    const step = (s: SupervisorStep, detail: string) => PubSub.publish(events, { type: "supervisor", step: s, detail, at: new Date() });
    const backoff = options.backoff ?? { minMs: 1_000, maxMs: 60_000 };
    let connected = false;
    const callGraceMs = options.callGraceMs ?? 30_000;

    /** Runs until the port is gone or the modem stays silent through a reset. */
    const session = Effect.scoped(
      Effect.gen(function* () {
        yield* step("opening", "opening the device");
        const transport = yield* options.open;
        const port = yield* makeAtPort(transport, options.port);
        const actor = yield* makeModemActor(port, options);
        // Forward the actor's events for as long as this session lasts.
        const actorEvents = yield* actor.events;
        yield* Effect.forever(Effect.flatMap(actorEvents.take, (e) => PubSub.publish(events, e))).pipe(Effect.forkScoped);
        yield* SubscriptionRef.set(actorRef, Option.some(actor));
        connected = true;
        yield* step("connected", transport.target);
        // The health check's failures are said, with the modem's own words; the port's
        // state machine deals with silence.
        yield* port
          .command("AT+CSQ", { priority: "bulk" })
          .pipe(
            Effect.catchAll((e) => step("check-failed", `AT+CSQ: ${e.message}`)),
            Effect.repeat(Schedule.spaced(options.healthEveryMs ?? 30_000)),
            Effect.forkScoped,
          );

        const states = port.state.changes.pipe(Stream.filter((s): s is Exclude<PortState, "ready" | "resyncing"> => s === "unresponsive" || s === "gone"));
        for (;;) {
          const bad = yield* states.pipe(Stream.take(1), Stream.runHead);
          if (Option.isNone(bad) || bad.value === "gone") {
            yield* step("lost", "the device went away");
            return;
          }
          yield* step("unresponsive", "no answer after resync");
          // A reset ends a call: while one is up, the modem gets time to answer again first.
          if ((yield* actor.currentCall) !== null) {
            yield* step("unresponsive", `a call is up: not reset for up to ${callGraceMs} ms while it answers again or the call ends`);
            const answered = yield* answersAt(port, { timeoutMs: 1_000, priority: "urgent" }).pipe(
              Effect.retry(Schedule.spaced(1_000)),
              Effect.timeoutOption(callGraceMs),
            );
            if (Option.isSome(answered)) {
              yield* actor.recover("the port answers again during a call, without a reset");
              continue;
            }
          }
          const reset = actor.profile.resetCommand;
          yield* step("reset", reset);
          const resetWaitMs = options.resetWaitMs ?? 20_000;
          yield* port.command(reset, { priority: "urgent", timeoutMs: Math.min(2_000, resetWaitMs) }).pipe(Effect.ignore);
          // Any final result proves the modem is back, an ERROR included.
          const back = yield* answersAt(port, { timeoutMs: 1_000, priority: "urgent" }).pipe(
            Effect.retry(Schedule.spaced(1_000)),
            Effect.timeoutOption(resetWaitMs),
          );
          if (Option.isNone(back)) {
            yield* step("lost", "still silent after a reset: reopening the device");
            return;
          }
          // The module forgot its settings (storages, notifications) and may hold messages
          // that arrived while it was hung: set it up again and sweep now.
          yield* actor.recover("after a module reset");
        }
      }).pipe(
        Effect.catchTags({
          TransportError: (e) => step("open-failed", e.message),
          BringUpFailed: (e) => step("bring-up-failed", e.message),
        }),
        Effect.ensuring(SubscriptionRef.set(actorRef, Option.none())),
      ),
    );

    // Reconnect forever. The delay doubles while attempts fail, and starts again from the
    // minimum after a session that got connected.
    let delay = backoff.minMs;
    yield* Effect.forever(
      Effect.gen(function* () {
        connected = false;
        yield* session;
        if (connected) delay = backoff.minMs;
        yield* step("waiting", `reconnecting in ${delay} ms`);
        yield* Effect.sleep(delay);
        if (!connected) delay = Math.min(delay * 2, backoff.maxMs);
      }),
    ).pipe(Effect.forkScoped);

    return { actor: actorRef, events: PubSub.subscribe(events) };
  });
