/**
 * The modem actor: owns one AT port for the port's life, brings the modem up, keeps a
 * snapshot others can watch, and reacts to what the modem reports by itself (new SMS, status
 * reports, registration, SIM changes). Everything that wants the modem goes through the
 * port's queue, so the actor's own work and a caller's never interleave on the wire.
 */
import { Effect, PubSub, Stream, SubscriptionRef } from "effect";
import { CardChanged } from "./card-changed";
import { parseRegistration, isRegistered } from "../../protocol/at/registration";
import { parseCsq } from "../../protocol/at/sim";
import { parseCmtiUnsolicited } from "../../protocol/at/sms-storage";
import type { Urc } from "../../protocol/at/urc";
import type { AtPort, DirectAt } from "../at/at-port";
import { bringUp, charsetInForce, initialise, readCardKey, readNetwork, readSim, type BringUpFailed, type ProbeOptions, type StepProblem } from "./bring-up";
import { makeInbox, type InboxEvent, type SmsSink } from "./sms-inbox";
import { makeOutbox, type OutboxEvent, type SendOptions } from "./sms-outbox";
import { makeUssd, type UssdOptions } from "./ussd";
import { makeCalls, type CallEvent } from "./calls";
import { INITIAL_SNAPSHOT, simStatusOf, type ModemSnapshot, type SimStatus } from "./state";
import type { VendorProfile } from "./profiles";

export type ModemEvent =
  | InboxEvent
  | OutboxEvent
  | CallEvent
  | { readonly type: "state"; readonly snapshot: ModemSnapshot; readonly simStatus: SimStatus }
  | { readonly type: "problem"; readonly problem: StepProblem }
  /** A recovery step the actor took by itself (a sweep after a hang, a restart, a refused store). */
  | { readonly type: "recovery"; readonly step: "sweep" | "card-check"; readonly detail: string }
  /** Unsolicited codes the actor does not act on itself (RING, +CLIP, +CUSD, vendor lines). */
  | { readonly type: "urc"; readonly urc: Urc }
  /**
   * A card known only by its IMSI (`imsi:<IMSI>`, no ICCID was readable) now shows its ICCID:
   * the store moves the card's history to the ICCID.
   */
  | { readonly type: "card-rekeyed"; readonly from: string; readonly to: string; readonly imsi: string };

export { CardChanged };

export interface ModemActorOptions {
  /** Where every received part goes, one by one: long messages are joined there, not here. */
  readonly sink: SmsSink;
  readonly ussd?: UssdOptions;
  readonly probe?: ProbeOptions;
  /**
   * USSD codes that answer with the SIM's own number, by MCC+MNC (the IMSI's first 5 or 6
   * digits), for SIMs that do not carry their number (+CNUM answers nothing).
   */
  readonly ownNumberCodes?: Readonly<Record<string, string>>;
  /**
   * A sweep this often even when nothing called for one (default 30 s; 0 turns it off): a
   * +CMTI lost while the modem hung with no command in flight leaves no other trace.
   */
  readonly sweepEveryMs?: number;
  /** How often +CLCC is read while a call exists (default 1 s). */
  readonly callPollMs?: number;
  /**
   * After +CPIN: NOT READY, how long to wait for READY before asking the modem: a card
   * pulled out is reported only as NOT READY, and only asking shows it absent (default 3 s).
   */
  readonly simCheckMs?: number;
  /** While the SIM is not ready (or absent), how often it is read again (default 5 s; 0 turns it off). */
  readonly simRecheckMs?: number;
}

export const makeModemActor = (port: AtPort, options: ModemActorOptions) =>
  Effect.gen(function* () {
    const actorScope = yield* Effect.scope;
    const events = yield* PubSub.unbounded<ModemEvent>();
    const publish = (event: ModemEvent) => PubSub.publish(events, event);
    const state = yield* SubscriptionRef.make<ModemSnapshot>(INITIAL_SNAPSHOT);
    // Subscribed before bring-up, so nothing the modem says while it starts is lost.
    const portEvents = yield* port.events;

    // Mirrors `state` for readers that cannot run an effect (the inbox asks for the ICCID).
    let now: ModemSnapshot = INITIAL_SNAPSHOT;
    // Counts card switches: a SIM read that a switch overtook is not applied.
    let simEpoch = 0;
    const update = (change: (s: ModemSnapshot) => ModemSnapshot) =>
      Effect.gen(function* () {
        const before = now;
        const snapshot = yield* SubscriptionRef.updateAndGet(state, change);
        now = snapshot;
        yield* simIdentityNews(before, snapshot);
        yield* publish({ type: "state", snapshot, simStatus: simStatusOf(snapshot) });
      });

    /** Says when a card is keyed by its IMSI, and when such a card's ICCID becomes readable. */
    const simIdentityNews = (before: ModemSnapshot, after: ModemSnapshot): Effect.Effect<void> => {
      const was = before.sim;
      const is = after.sim;
      if (!is?.iccid || was?.iccid === is.iccid) return Effect.void;
      if (is.iccidSource === "imsi-fallback")
        return publish({
          type: "problem",
          problem: { command: "ICCID", error: `no ICCID command nor the SIM's EF_ICCID answered; the card is registered as ${is.iccid} until its ICCID can be read` },
        }).pipe(Effect.asVoid);
      if (was?.iccidSource === "imsi-fallback" && was.iccid && was.imsi && was.imsi === is.imsi)
        return publish({ type: "card-rekeyed", from: was.iccid, to: is.iccid, imsi: was.imsi }).pipe(Effect.asVoid);
      return Effect.void;
    };

    const outbox = yield* makeOutbox(port, publish, { iccid: () => (now.sim?.lock === "READY" ? now.sim.iccid : null) });
    const inbox = yield* makeInbox(port, options.sink, publish, {
      iccid: () => now.sim?.iccid ?? null,
      simKnown: () => now.sim?.lock === "READY",
      statusReport: outbox.statusReport,
      cardHere: (at) => (cardHere ? cardHere(at) : Effect.succeed(true)),
    });
    // Set once the profile is known (bring-up), for the inbox's check of the card.
    let cardHere: ((at: DirectAt) => Effect.Effect<boolean>) | null = null;

    const result = yield* bringUp(port, options.probe);
    const profile: VendorProfile = result.profile;
    // The TE character set in force: learned at bring-up, again after every init.
    let charset = result.charset;
    if (profile.timeouts) yield* port.setTimeouts(profile.timeouts);
    const ussd = yield* makeUssd(port, profile, port.events, { ...options.ussd, charset: () => charset });
    /** The init again; the +CSCS in force may differ if it failed this time. Runs alone on the port. */
    const setUpOn = (at: DirectAt) =>
      Effect.gen(function* () {
        const problems = yield* initialise(at, profile);
        charset = yield* charsetInForce(at, problems);
        return problems;
      });
    const reinitialise = port.exclusive(setUpOn);
    const calls = yield* makeCalls(port, publish);
    yield* Effect.forEach(result.problems, (problem) => publish({ type: "problem", problem }), { discard: true });
    yield* update(() => result.snapshot);

    const reported = (what: string) => <A, E extends { message: string }, R>(effect: Effect.Effect<A, E, R>) =>
      effect.pipe(Effect.catchAll((e) => publish({ type: "problem", problem: { command: what, error: e.message } })), Effect.asVoid);

    /** Asks the operator for the number when the SIM does not know it and a code is configured. */
    const learnOwnNumber = Effect.gen(function* () {
      const s = yield* SubscriptionRef.get(state);
      if (!s.sim || s.sim.lock !== "READY" || s.sim.number || !s.sim.imsi) return;
      const imsi = s.sim.imsi;
      const code = Object.entries(options.ownNumberCodes ?? {}).find(([prefix]) => imsi.startsWith(prefix))?.[1];
      if (!code) return;
      const reply = yield* ussd.send(code).pipe(
        Effect.catchAll((e) => publish({ type: "problem", problem: { command: `own number by ${code}`, error: e.message } }).pipe(Effect.as(null))),
      );
      const number = reply?.text.match(/\+?\d{7,15}/)?.[0];
      if (!number) return;
      yield* update((current) => (current.sim?.imsi === imsi ? { ...current, sim: { ...current.sim, number } } : current));
    });

    const sweepIfReady = Effect.gen(function* () {
      const s = yield* SubscriptionRef.get(state);
      if (s.sim?.lock === "READY") yield* inbox.sweep().pipe(reported("sweep"));
    });

    /**
     * After the module restarted by itself (RDY, ^SYSSTART) or the port came back from a
     * resync: settings first (the message storages before anything else, so new messages
     * stop landing in the modem's own memory), then a sweep at once: a +CMTI sent while
     * the modem was hung or rebooting was never heard.
     */
    const recover = (why: string, options: { readonly setUp: boolean } = { setUp: true }) =>
      Effect.gen(function* () {
        yield* publish({ type: "recovery", step: "sweep", detail: why });
        if (options.setUp) {
          const problems = yield* reinitialise;
          yield* Effect.forEach(problems, (problem) => publish({ type: "problem", problem }), { discard: true });
        }
        yield* sweepIfReady;
      });
    /** After a spell the port itself set the modem up again (setUpAfterSpells): say so, and sweep. */
    const recoverAfterSpell = (why: string) => recover(why, { setUp: false });

    /**
     * The SIM became ready: after a switch, or after the modem restarted and forgot its
     * settings. Set it up again (cheap, and harmless if it remembered), then read the SIM and
     * the network.
     */
    const rereadSimAfter = (announced?: "READY") => Effect.gen(function* () {
      const epoch = simEpoch;
      const problems = yield* reinitialise;
      yield* Effect.forEach(problems, (problem) => publish({ type: "problem", problem }), { discard: true });
      const sim = yield* readSim(port, profile, announced ? { announced } : {});
      const network = yield* readNetwork(port, charset);
      // A switch between reading the card and now: what was read is the card that left.
      if (epoch !== simEpoch) return;
      yield* update((s) => ({ ...s, sim, ...network }));
      yield* learnOwnNumber;
      yield* sweepIfReady;
    });
    const rereadSim = rereadSimAfter();
    /**
     * Asks the modem which card it holds (the way the card was keyed: ICCID, or IMSI) and
     * compares it with `expected`. On a mismatch or no answer it says so (a card-check
     * recovery event), forgets a card that is surely gone, and reads the SIM again (queued
     * behind whatever holds the port now). Returns what the modem said, or null.
     */
    const checkCard = (at: DirectAt, expected: string, before: string) =>
      Effect.gen(function* () {
        const epoch = simEpoch;
        const found = yield* readCardKey(at, profile, now.sim?.iccidSource === "imsi-fallback");
        if (found === expected && epoch === simEpoch) return { same: true as const, found };
        yield* publish({
          type: "recovery",
          step: "card-check",
          detail:
            found === null
              ? `card ${expected} did not answer to a check before ${before}: reading the SIM again`
              : found === expected
                ? `the card was switched while ${expected} was checked before ${before}: reading the SIM again`
                : `the modem holds ${found}, not ${expected} as it showed: reading the SIM again`,
        });
        if (found !== null && found !== expected && epoch === simEpoch) yield* forgetCard;
        yield* rereadSim.pipe(Effect.forkIn(actorScope));
        return { same: false as const, found };
      });
    const confirmOn = (at: DirectAt, expected: string): Effect.Effect<void, CardChanged> =>
      Effect.flatMap(checkCard(at, expected, "a send"), (c) => (c.same ? Effect.void : Effect.fail(new CardChanged({ expected, found: c.found }))));
    cardHere = (at) => {
      const expected = now.sim?.iccid;
      return expected ? Effect.map(checkCard(at, expected, "reading messages"), (c) => c.same) : Effect.succeed(true);
    };
    /** The card is leaving or left: its identity is dropped, and a read of it in flight is not applied. */
    const forgetCard = Effect.zipRight(
      Effect.sync(() => simEpoch++),
      update((s) => ({ ...s, sim: { lock: "NOT READY", iccid: null, imsi: null, number: null }, registration: null, operator: null })),
    );

    const onUrc = (urc: Urc): Effect.Effect<void> => {
      switch (urc.kind) {
        case "sms-stored": {
          const notice = parseCmtiUnsolicited(urc.line);
          return notice.ok ? inbox.readSlot(notice.value.storage, notice.value.index).pipe(reported(urc.line)) : Effect.void;
        }
        case "sms-delivered":
          return urc.body ? inbox.direct(urc.body).pipe(reported(urc.line)) : Effect.void;
        case "status-report":
          return urc.body ? outbox.statusReport(urc.body) : Effect.void;
        case "registration": {
          const reg = parseRegistration(urc.line, { solicited: false });
          if (!reg.ok || reg.value.family !== "CREG") return Effect.void;
          return Effect.gen(function* () {
            const before = (yield* SubscriptionRef.get(state)).registration;
            yield* update((s) => ({ ...s, registration: reg.value.state }));
            // Back on the network: messages may have arrived while nobody was told.
            if (isRegistered(reg.value.state) && !(before && isRegistered(before))) {
              const network = yield* readNetwork(port, charset);
              yield* update((s) => ({ ...s, ...network }));
              yield* sweepIfReady;
            }
          });
        }
        case "sim-state":
          // A read of the card in flight belongs to the card that is leaving: not applied.
          if (/NOT READY/i.test(urc.line))
            return forgetCard.pipe(
              Effect.zipRight(
                Effect.sleep(options.simCheckMs ?? 3_000).pipe(
                  Effect.zipRight(SubscriptionRef.get(state)),
                  Effect.flatMap((s) => (s.sim?.lock === "NOT READY" ? rereadSim : Effect.void)),
                  Effect.forkIn(actorScope),
                ),
              ),
              Effect.asVoid,
            );
          // The modem's own +CPIN: READY is believed even if the card is still slow to answer.
          return /READY/i.test(urc.line) ? rereadSimAfter("READY") : Effect.void;
        case "ready":
        case "system-start":
          // A restart announced by the module (RDY, ^SYSSTART): its settings are gone. Not
          // Huawei's ^BOOT, which real sticks repeat as a heartbeat.
          return recover(`the modem restarted (${urc.line.trim()})`);
        case "signal": {
          const signal = parseCsq(urc.line);
          return signal.ok ? update((s) => ({ ...s, signal: signal.value })) : Effect.void;
        }
        default:
          return calls.onUrc(urc).pipe(Effect.flatMap((handled) => (handled ? Effect.void : publish({ type: "urc", urc }).pipe(Effect.asVoid))));
      }
    };

    // From here on, after a spell that may have cost the settings, the port sets the modem up
    // again before it runs anything queued (a send must not meet a module without +CMEE).
    yield* port.setUpAfterSpells((at) =>
      Effect.flatMap(setUpOn(at), (problems) => Effect.forEach(problems, (problem) => publish({ type: "problem", problem }), { discard: true })),
    );
    let lastPortState: string = "ready";
    const onPortState = (portState: string) => {
      const before = lastPortState;
      lastPortState = portState;
      // Answering again after a hang: settings again, and what arrived meanwhile is read now,
      // not at the next registration change. Forked: the sweep queues behind the port's work.
      return portState === "ready" && (before === "resyncing" || before === "unresponsive")
        ? recoverAfterSpell(`the port answers again after ${before}`).pipe(Effect.forkIn(actorScope), Effect.asVoid)
        : Effect.void;
    };

    // Port events in arrival order; a failing handler is reported and the loop goes on.
    yield* Effect.forever(
      Effect.flatMap(portEvents.take, (event) =>
        event.type === "urc"
          ? onUrc(event.urc)
          : event.type === "settings-lost"
            ? // A restart that printed nothing (no RDY): settings again, and a sweep.
              recoverAfterSpell(`the modem restarted without notice (${event.detail})`).pipe(Effect.forkIn(actorScope), Effect.asVoid)
            : event.type === "state"
              ? onPortState(event.state)
              : Effect.void,
      ),
    ).pipe(Effect.forkScoped);

    yield* port.state.changes.pipe(
      Stream.runForEach((portState) => update((s) => ({ ...s, port: portState === "resyncing" ? s.port : portState === "ready" ? "ready" : portState }))),
      Effect.forkScoped,
    );

    // Messages left in place because the database did not take them: swept again, with
    // backoff (2 s doubling to a minute), until one sweep keeps none.
    yield* Effect.gen(function* () {
      let delayMs = 2_000;
      for (;;) {
        yield* inbox.whenKept;
        yield* Effect.sleep(delayMs);
        yield* publish({ type: "recovery", step: "sweep", detail: `retrying messages kept on the modem (next in ${delayMs} ms if still kept)` });
        const outcome = yield* inbox.sweep().pipe(Effect.option);
        delayMs = outcome._tag === "Some" && outcome.value.kept === 0 ? 2_000 : Math.min(delayMs * 2, 60_000);
      }
    }).pipe(Effect.forkScoped);

    // The call poll sleeps on a signal while there is no call: a farm of idle modems should
    // cost no timer ticks.
    yield* Effect.forever(
      Effect.zipRight(calls.whenCall, Effect.zipRight(calls.poll, Effect.sleep(options.callPollMs ?? 1_000))),
    ).pipe(Effect.forkScoped);

    const sweepEveryMs = options.sweepEveryMs ?? 30_000;
    if (sweepEveryMs > 0) yield* Effect.forever(Effect.zipRight(Effect.sleep(sweepEveryMs), sweepIfReady)).pipe(Effect.forkScoped);

    // A SIM that is not ready is asked again every simRecheckMs: the +CPIN: READY after a
    // reboot, a reinsertion or a slow card can come while the port was busy or hung, and a
    // read that timed out leaves NOT READY behind with nothing else to correct it.
    const simRecheckMs = options.simRecheckMs ?? 5_000;
    if (simRecheckMs > 0)
      yield* Effect.forever(
        Effect.zipRight(
          Effect.sleep(simRecheckMs),
          Effect.flatMap(SubscriptionRef.get(state), (s) =>
            s.port !== "ready" || s.sim === null || s.sim.lock === "READY"
              ? Effect.void
              : // An empty slot is looked at quietly (a card may be put in without a word).
                s.sim.lock === "ABSENT"
                ? rereadSim
                : Effect.zipRight(publish({ type: "recovery", step: "sweep", detail: `the SIM reads ${s.sim.lock}: asking it again` }), rereadSim),
          ),
        ),
      ).pipe(Effect.forkScoped);

    // Start-up sweep: messages that arrived while simgate was not running.
    yield* learnOwnNumber;
    yield* sweepIfReady;

    return {
      port,
      state,
      /** The vendor profile picked at bring-up (its reset command, its timeouts). */
      profile,
      events: PubSub.subscribe(events),
      simStatus: Effect.map(SubscriptionRef.get(state), simStatusOf),
      /**
       * Sends a message. With `card`, the modem is asked before every part, alone on the port
       * with it, whether it still holds that card (CardChanged if not: that part and the rest
       * are not sent).
       */
      sendSms: (to: string, text: string, sendOptions: SendOptions & { readonly card?: string } = {}) => {
        const { card, ...rest } = sendOptions;
        return outbox.send(to, text, card ? { ...rest, guard: (at) => confirmOn(at, card) } : rest);
      },
      sweep: inbox.sweep(),
      /** Settings again and a sweep: after the supervisor reset the module. */
      recover,
      /**
       * Reads the SIM and the network again: after a slot switch that the modem did not
       * announce (no +CPIN change), the state would otherwise still show the old card.
       */
      refreshSim: rereadSim,
      /**
       * Its card is about to be switched: forget the old identity now, so nothing read from
       * here on is put down to the card that is leaving. Run it inside `exclusive`, with the
       * switch, so no read is half-way across it.
       */
      simChanging: forgetCard,
      /**
       * Reads the card's key from the modem right before something goes out from it. The
       * snapshot can trail the hardware (a bank switch the modem did not announce, a +CPIN
       * lost in line noise, a controller that switched after saying nothing): a send from
       * the wrong card is worse than a late one. On a mismatch the card is forgotten and
       * read again, and the caller is told.
       */
      confirmCard: (expected: string): Effect.Effect<void, CardChanged> => confirmOn(port, expected),
      /** A USSD code, or the answer inside an open session. */
      ussd: ussd.send,
      ussdCancel: ussd.cancel,
      dial: calls.dial,
      answer: calls.answer,
      hangup: calls.hangup,
      currentCall: Effect.sync(calls.current),
      /** Runs an operation alone on the modem (a SIM slot switch): queued work waits. */
      exclusive: port.exclusive,
      /** Any AT line, for atSend and the console: its full reply, or the error with its lines. */
      raw: (line: string) => port.command(line, { priority: "interactive" }),
    };
  });

export type ModemActor = Effect.Effect.Success<ReturnType<typeof makeModemActor>>;
export type { BringUpFailed };
