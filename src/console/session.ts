/**
 * One console session on a modem this host drives: a technician's lines go into the modem
 * actor's queue at interactive priority (ahead of bulk SMS, behind an urgent hang-up or
 * switch), so a job's reply and a console's never cross; each whole reply comes back to the
 * session that asked, with its time and its notes; the modem's unsolicited codes stream to
 * every session watching it. Lines that could brick a SIM or lose the modem wait for a
 * confirmation; lines that change a setting the service relies on run with a warning, and the
 * actor sets its own settings again right after. Every typed line is a row (the audit and
 * the user's history).
 */
import { randomBytes } from "node:crypto";
import { Effect, Option, Queue, Stream, SubscriptionRef, type Scope } from "effect";
import { sql, type Kysely } from "kysely";
import { consoleSubmit, judgeConsoleLine, type ConsoleVerdict } from "../../protocol/at/console-safety";
import { describeModemError } from "../../protocol/at/errors";
import { parseFinalResult } from "../../protocol/at/final-result";
import type { AtError } from "../../drivers/at/errors";
import type { AtResponse, PortEvent } from "../../drivers/at/at-port";
import type { ModemActor } from "../../drivers/modem/modem-actor";
import { mayWorkTheFarm, type Role } from "../access/roles";
import type { RegisteredModem } from "../devices/registry";
import { tryStore, type StoreError } from "../store/database";
import type { Database } from "../store/schema";
import { annotate } from "./annotate";
import { breakLease, leaseOn, MAX_LEASE_MINUTES, releaseLease, takeLease, type Lease } from "../scheduler/console-leases";
import { unstoredMessages } from "./unstored";
import { DEFAULT_BUTTONS, type ClientMessage, type ConsoleLease, type ConsoleModem, type ConsoleTranscript, type ServerMessage } from "./wire";

export interface ConsoleUser {
  readonly id: number;
  readonly name: string;
  readonly role: Role;
  readonly admin: boolean;
}

/** The sessions of this process by modem, so a lease's news reaches everyone watching it. */
export class ConsoleHub {
  private readonly watchers = new Map<string, Set<(lease: Lease | null) => void>>();
  watch(device: string, modem: number, onLease: (lease: Lease | null) => void): () => void {
    const key = `${device}/${modem}`;
    const set = this.watchers.get(key) ?? this.watchers.set(key, new Set()).get(key)!;
    set.add(onLease);
    return () => {
      set.delete(onLease);
      if (set.size === 0) this.watchers.delete(key);
    };
  }
  /** What was last said per modem: the session's own change and the follower's news of it are one change. */
  private readonly last = new Map<string, string>();
  leaseChanged(device: string, modem: number, lease: Lease | null): void {
    const key = `${device}/${modem}`;
    const said = lease ? `${lease.userId} ${lease.until.getTime()}` : "none";
    if (this.last.get(key) === said) return;
    this.last.set(key, said);
    for (const tell of this.watchers.get(key) ?? []) tell(lease);
  }
}

export interface SessionContext {
  readonly db: Kysely<Database>;
  readonly hub: ConsoleHub;
  readonly host: string;
}

/** A line may hold one command line: AT..., printable, no CR/LF/Ctrl-Z of its own. */
const LINE = /^AT[\x20-\x7e]{0,498}$/i;
const MAX_BODY = 2_000;
/** A technician's own limit on one line: at least 1 s, at most 10 minutes (a band scan takes 3). */
const TIMEOUT_RANGE = { min: 1_000, max: 600_000 } as const;
const HISTORY_SIZE = 500;
/** How many exchanges and unsolicited codes a session's transcript keeps (the latest). */
export const TRANSCRIPT_KEPT = 10_000;
const SOLICITED = { solicited: true } as const;
const UNSOLICITED = { solicited: false } as const;
/**
 * Numeric or quiet result codes (ATV0, ATQ1, alone or run together with other basic
 * commands): the port then cannot tell where any reply ends, not even this line's, so
 * nothing could set the modem back through it. Refused with the reason.
 */
const SILENCING = /^AT(?:[A-Z&][0-9]*)*?(?:V0|Q1)/i;

export const newSessionId = () => randomBytes(9).toString("base64url");

const leaseOut = (lease: Lease | null, userId: number): ConsoleLease | null =>
  lease ? { device: lease.device, modem: lease.modem, holder: lease.holder, until: lease.until.toISOString(), mine: lease.userId === userId } : null;

/** The reply as the modem printed it after its echo (verbose result codes), for the replay personality. */
const replyBytes = (lines: readonly string[], final: string) => `${lines.map((l) => `\r\n${l}\r\n`).join("")}\r\n${final}\r\n`;

export const userHistory = (db: Kysely<Database>, userId: number): Effect.Effect<string[], StoreError> =>
  tryStore("reading a console history", () =>
    db.selectFrom("console_lines").select("command").where("user_id", "=", userId).where("outcome", "!=", "refused").orderBy("id", "desc").limit(HISTORY_SIZE).execute(),
  ).pipe(
    Effect.map((rows) => {
      // Newest last, each line once (its latest use).
      const seen = new Set<string>();
      const out: string[] = [];
      for (const r of rows) if (!seen.has(r.command)) seen.add(r.command) && out.push(r.command);
      return out.reverse();
    }),
  );

export const userButtons = (db: Kysely<Database>, userId: number): Effect.Effect<string[], StoreError> =>
  tryStore("reading console buttons", () => db.selectFrom("console_buttons").select("buttons").where("user_id", "=", userId).executeTakeFirst()).pipe(
    Effect.map((r) => (r ? [...r.buttons] : [...DEFAULT_BUTTONS])),
  );

/** Hot buttons as kept: at most 24 AT lines of at most 100 characters; null when not acceptable. */
export const validButtons = (buttons: unknown): string[] | null =>
  Array.isArray(buttons) && buttons.length <= 24 && buttons.every((b) => typeof b === "string" && b.length <= 100 && LINE.test(b.trim())) ? buttons.map((b: string) => b.trim()) : null;

export type LineOutcome = "ok" | "error" | "failed" | "refused" | "unconfirmed";

/**
 * A typed line in the console's audit (who, when, which modem and card, the reply). A store
 * that cannot take it is said on stderr: the line has run, and failing it now would lie.
 */
export const recordLine = (
  db: Kysely<Database>,
  line: { readonly user: ConsoleUser; readonly device: string; readonly modem: number; readonly iccid: string | null; readonly command: string; readonly outcome: LineOutcome; readonly reply: string | null; readonly ms: number | null },
): Effect.Effect<void> =>
  tryStore("recording a console line", () =>
    db
      .insertInto("console_lines")
      .values({ user_id: line.user.id, user_name: line.user.name, device: line.device, modem: line.modem, iccid: line.iccid, command: line.command, outcome: line.outcome, reply: line.reply, ms: line.ms })
      .execute(),
  ).pipe(
    Effect.asVoid,
    Effect.catchAll((e) => Effect.logWarning(`console: ${e.message}`).pipe(Effect.annotateLogs({ device: line.device, modem: line.modem, user: line.user.name }))),
  );

export interface SessionHandle {
  readonly id: string;
  /** A message from the client; answered through `send`. */
  readonly receive: (message: ClientMessage) => Effect.Effect<void>;
}

/**
 * Opens a session on a modem of this host for `user`; `send` delivers the service's messages
 * to the client. Closing the scope ends the session and lets the user's lease go.
 */
export const openSession = (ctx: SessionContext, modem: RegisteredModem, user: ConsoleUser, send: (message: ServerMessage) => void): Effect.Effect<SessionHandle, StoreError, Scope.Scope> =>
  Effect.gen(function* () {
    const id = newSessionId();
    const { db } = ctx;
    const device = modem.device;
    const position = modem.position;
    const mayType = mayWorkTheFarm(user.role);
    // The latest entries only: a session left open under a flood of unsolicited codes must not
    // grow without end. How many were let go is said in the exported transcript.
    const transcript: ConsoleTranscript["entries"][number][] = [];
    let dropped = 0;
    const record = (entry: ConsoleTranscript["entries"][number]) => {
      transcript.push(entry);
      if (transcript.length > TRANSCRIPT_KEPT) {
        transcript.shift();
        dropped++;
      }
    };
    const started = new Date();
    // Lines of one session run one after another in the order typed (a queue taken by one
    // fiber); another session's lines interleave only between whole lines (the port's queue).
    const typed = yield* Queue.unbounded<Extract<ClientMessage, { type: "line" }>>();
    let tookLease = false;

    const actorNow = Effect.map(SubscriptionRef.get(modem.supervised.actor), Option.getOrNull);
    const cardNow = Effect.gen(function* () {
      const actor = yield* actorNow;
      if (!actor) return { iccid: null, number: null };
      const s = yield* SubscriptionRef.get(actor.state);
      return { iccid: s.sim?.iccid ?? null, number: s.sim?.number ?? null };
    });
    const describe: Effect.Effect<ConsoleModem> = Effect.map(cardNow, (card) => ({ device, modem: position, target: modem.target, ...card, host: ctx.host }));

    const audit = (entry: { command: string; outcome: LineOutcome; reply: string | null; ms: number | null }) =>
      Effect.flatMap(cardNow, (card) => recordLine(db, { user, device, modem: position, iccid: card.iccid, ...entry }));

    // Recorded before the client hears of it: whoever reads the audit after the answer finds the line.
    const refuse = (lineId: string | null, command: string | null, reason: string) =>
      Effect.zipRight(command ? audit({ command, outcome: "refused", reply: reason, ms: null }) : Effect.void, Effect.sync(() => send({ type: "refused", id: lineId, reason })));

    // ---- unsolicited codes, from whichever actor the supervisor has now ----
    const showEvent = (event: PortEvent) =>
      Effect.sync(() => {
        switch (event.type) {
          case "urc": {
            // Part of a reply (a +CUSD before OK): the asking session shows it with the reply.
            if (event.inReplyTo) return;
            const at = Date.now();
            record({ urc: `\r\n${event.urc.line}\r\n${event.urc.body ? `${event.urc.body}\r\n` : ""}`, at });
            return send({ type: "urc", line: event.urc.line, body: event.urc.body ?? null, notes: [...annotate(event.urc.line, UNSOLICITED), ...(event.urc.body ? annotate(event.urc.body, UNSOLICITED) : [])], at });
          }
          case "stray":
            return send({ type: "port", state: "stray", detail: `output that belongs to no command: ${JSON.stringify(event.text)}` });
          case "state":
            return send({ type: "port", state: event.state, detail: event.detail });
          case "settings-lost":
            return send({ type: "port", state: "settings-lost", detail: `the modem restarted without notice: ${event.detail}` });
        }
      });
    const followActor = (actor: Option.Option<ModemActor>) =>
      Option.isNone(actor)
        ? Stream.fromEffect(Effect.sync(() => send({ type: "port", state: "disconnected", detail: "the modem is not connected; the service is opening it again" }))).pipe(Stream.drain)
        : Stream.unwrapScoped(
            Effect.map(actor.value.port.events, (events) =>
              Stream.concat(Stream.fromEffect(Effect.sync(() => send({ type: "port", state: "connected", detail: `the modem answers on ${modem.target}` }))).pipe(Stream.drain), Stream.fromQueue(events)),
            ),
          );
    yield* modem.supervised.actor.changes.pipe(
      Stream.changesWith((a, b) => Option.getOrNull(a) === Option.getOrNull(b)),
      Stream.flatMap(followActor, { switch: true }),
      Stream.runForEach(showEvent),
      Effect.forkScoped,
    );

    // ---- the lease's news, whoever changed it ----
    const unwatch = ctx.hub.watch(device, position, (lease) => send({ type: "lease", lease: leaseOut(lease, user.id) }));
    yield* Effect.addFinalizer(() =>
      Effect.gen(function* () {
        unwatch();
        // A lease ends with the session that took it (a closed laptop must not pin a modem).
        if (tookLease && (yield* releaseLease(db, device, position, user.id).pipe(Effect.orElseSucceed(() => false)))) {
          ctx.hub.leaseChanged(device, position, null);
          yield* Effect.logInfo(`console: ${user.name}'s lease on ${device}/${position} ended with the session`);
        }
      }),
    );

    // ---- lines ----
    const outcomeOf = (reply: AtResponse) => {
      const final = parseFinalResult(reply.finalText);
      const error = final ? describeModemError(final) : null;
      return { error, ok: error === null };
    };

    const run = (lineId: string, text: string, body: string | undefined, timeoutMs: number | undefined, verdict: ConsoleVerdict) =>
      Effect.gen(function* () {
        const actor = yield* actorNow;
        if (!actor) {
          send({ type: "failed", id: lineId, command: text, reason: "the modem is not connected right now", ms: 0 });
          return yield* audit({ command: text, outcome: "failed", reply: "not connected", ms: 0 });
        }
        const options = { priority: "interactive" as const, ...(timeoutMs !== undefined ? { timeoutMs } : {}) };
        const startedAt = performance.now();
        const at = Date.now();
        const result = yield* Effect.either(body === undefined ? actor.port.command(text, options) : actor.port.commandWithBody(text, body, options));
        const ms = Math.round(performance.now() - startedAt);
        if (result._tag === "Left") {
          const error: AtError = result.left;
          if (error._tag === "AtModemError") {
            const lines = error.lines;
            send({ type: "reply", id: lineId, command: text, lines, final: error.error.text, ok: false, error: { family: error.error.family, code: error.error.code, name: error.error.name, retryable: error.error.retryable }, ms, notes: lines.map((l) => annotate(l, SOLICITED)), finalNotes: annotate(error.error.text, SOLICITED) });
            record({ command: text, reply: replyBytes(lines, error.error.text), delayMs: ms, at });
            return yield* audit({ command: text, outcome: "error", reply: [...lines, error.error.text].join("\n"), ms });
          }
          // How the resync after a timeout ended, not that it worked: an unanswered resync said to have worked misleads.
          const portState = yield* SubscriptionRef.get(actor.port.state);
          const reason =
            error._tag === "AtTimeout"
              ? `no ${error.waitingFor} after ${error.afterMs} ms; ${portState === "ready" ? "the port has resynchronised" : portState === "gone" ? "the port is gone" : "the modem does not answer the resync either (unresponsive)"}`
              : `the port is closed: ${error.reason}`;
          send({ type: "failed", id: lineId, command: text, reason, ms });
          return yield* audit({ command: text, outcome: "failed", reply: reason, ms });
        }
        const reply = result.right;
        const { ok, error } = outcomeOf(reply);
        send({ type: "reply", id: lineId, command: text, lines: reply.lines, final: reply.finalText, ok, error, ms, notes: reply.lines.map((l) => annotate(l, SOLICITED)), finalNotes: annotate(reply.finalText, SOLICITED) });
        record({ command: text, reply: replyBytes(reply.lines, reply.finalText), delayMs: ms, at });
        yield* audit({ command: text, outcome: ok ? "ok" : "error", reply: [...reply.lines, reply.finalText].join("\n"), ms });
        if (verdict.kind === "send" && ok && body !== undefined && verdict.command === "CMGS") yield* recordSend(lineId, text, body);
      });

    /** A message sent from the console is an outgoing SMS like any other (it shows, it counts). */
    const recordSend = (lineId: string, text: string, body: string) =>
      Effect.gen(function* () {
        const message = consoleSubmit(text, body, !/\+CMGF=1/i.test(text));
        const card = yield* cardNow;
        if (!message) return send({ type: "info", id: lineId, text: "the message went out, but its PDU could not be read: it is not in the outbox" });
        const row = yield* tryStore("recording a console SMS", () =>
          db
            .insertInto("sms_out")
            .values({ iccid: card.iccid, addressee: message.to, text: message.text, state: "sent", outcome: 1, error: `sent by ${user.name} from the console`, sent_at: sql<Date>`now()` })
            .returning("id")
            .executeTakeFirstOrThrow(),
        );
        send({ type: "info", id: lineId, text: `recorded as outgoing SMS ${row.id} to ${message.to} from ${card.iccid ?? "an unknown card"}` });
      }).pipe(Effect.catchAll((e) => Effect.sync(() => send({ type: "info", id: lineId, text: `the message went out but could not be recorded: ${e.message}` }))));

    const line = (m: Extract<ClientMessage, { type: "line" }>) =>
      Effect.gen(function* () {
        const text = typeof m.text === "string" ? m.text.trim() : "";
        const lineId = typeof m.id === "string" ? m.id.slice(0, 64) : "";
        if (!mayType) return yield* refuse(lineId, text || null, `${user.name} is a viewer: viewers watch, operators and admins type`);
        if (!LINE.test(text)) return yield* refuse(lineId, null, 'one AT command line: it starts with "AT", printable characters only, at most 500');
        if (m.body !== undefined && (typeof m.body !== "string" || m.body.length > MAX_BODY || /[\x1a\x1b]/.test(m.body))) return yield* refuse(lineId, text, `a body is text of at most ${MAX_BODY} characters, without Ctrl-Z or Esc`);
        if (m.timeoutMs !== undefined && !(Number.isInteger(m.timeoutMs) && m.timeoutMs >= TIMEOUT_RANGE.min && m.timeoutMs <= TIMEOUT_RANGE.max))
          return yield* refuse(lineId, text, `a line's timeout is between ${TIMEOUT_RANGE.min} and ${TIMEOUT_RANGE.max} ms`);
        const lease = yield* leaseOn(db, device, position);
        if (lease && lease.userId !== user.id) return yield* refuse(lineId, text, `${device}/${position} is leased to ${lease.holder} until ${lease.until.toISOString()}: you can watch, not type`);
        const verdict = judgeConsoleLine(text);
        const needsBody = verdict.kind === "send" && verdict.command !== "CMSS";
        if (needsBody && m.body === undefined) return yield* refuse(lineId, text, `${text} waits for a body after its > prompt: type it, then Ctrl-Z`);
        if (!needsBody && m.body !== undefined) return yield* refuse(lineId, text, "only AT+CMGS and AT+CMGW take a body");
        if (verdict.kind === "confirm" && m.confirm !== true) {
          yield* audit({ command: text, outcome: "unconfirmed", reply: verdict.reason, ms: null });
          return send({ type: "confirm", id: lineId, command: text, reason: verdict.reason });
        }
        if (verdict.kind === "delete" && m.confirm !== true) {
          const actor = yield* actorNow;
          const unstored = actor ? yield* unstoredMessages(db, actor, verdict.index, verdict.flag) : [];
          if (unstored.length > 0) {
            const reason = `the inbox has not stored ${unstored.map((u) => `index ${u.index} (from ${u.sender ?? "unknown"})`).join(", ")} yet: deleting loses ${unstored.length === 1 ? "it" : "them"}`;
            yield* audit({ command: text, outcome: "unconfirmed", reply: reason, ms: null });
            return send({ type: "confirm", id: lineId, command: text, reason });
          }
        }
        if (SILENCING.test(text.replace(/\s+/g, "")))
          return yield* refuse(lineId, text, "ATV0 and ATQ1 turn the modem's result codes numeric or off: the service could no longer read any reply (this line's included), so it does not send them");
        if (verdict.kind === "reassert") send({ type: "warning", id: lineId, text: `${verdict.reason}; the service sets its own settings again after this line` });
        yield* run(lineId, text, m.body, m.timeoutMs, verdict);
        if (verdict.kind === "reassert") {
          const actor = yield* actorNow;
          if (actor) {
            yield* actor.recover(`the console line ${text} of ${user.name} changed the modem's settings`);
            send({ type: "info", id: lineId, text: "the service's settings are set again" });
          }
        }
      });

    const lease = (minutes: unknown) =>
      Effect.gen(function* () {
        if (!mayType) return yield* refuse(null, null, "viewers cannot lease a modem");
        if (typeof minutes !== "number" || !Number.isFinite(minutes) || minutes < 1 || minutes > MAX_LEASE_MINUTES)
          return yield* refuse(null, null, `a lease is 1 to ${MAX_LEASE_MINUTES} minutes (a forgotten lease must not pin a modem for long)`);
        const taken = yield* Effect.either(takeLease(db, device, position, user, minutes));
        if (taken._tag === "Left") return yield* refuse(null, null, taken.left.message);
        tookLease = true;
        ctx.hub.leaseChanged(device, position, taken.right);
      });

    const handle = (message: ClientMessage): Effect.Effect<void, StoreError> => {
      switch (message?.type) {
        case "line":
          return Queue.offer(typed, message);
        case "lease":
          return lease(message.minutes);
        case "release":
          return Effect.flatMap(releaseLease(db, device, position, user.id), (had) =>
            had ? Effect.sync(() => ctx.hub.leaseChanged(device, position, null)) : refuse(null, null, "you hold no lease on this modem"),
          );
        case "break":
          if (!user.admin) return refuse(null, null, "only an admin can break another's lease");
          return Effect.flatMap(breakLease(db, device, position), (ended) =>
            ended ? Effect.sync(() => (send({ type: "info", id: null, text: `${ended.holder}'s lease is broken` }), ctx.hub.leaseChanged(device, position, null))) : refuse(null, null, "no lease stands on this modem"),
          );
        case "transcript":
          return Effect.sync(() =>
            send({
              type: "transcript",
              transcript: {
                name: `${device}-${position}-${started.toISOString()}`,
                description: `console session of ${user.name} on ${device}/${position} (${modem.target}) from ${started.toISOString()}${dropped ? `; the first ${dropped} entries were let go (the latest ${TRANSCRIPT_KEPT} are kept)` : ""}`,
                source: `simgate console, host ${ctx.host}`,
                entries: [...transcript],
              },
            }),
          );
        case "buttons": {
          const buttons = validButtons(message.buttons);
          if (!buttons) return refuse(null, null, "hot buttons are at most 24 AT lines of at most 100 characters");
          return tryStore("saving console buttons", () =>
            db.insertInto("console_buttons").values({ user_id: user.id, buttons: JSON.stringify(buttons) }).onConflict((oc) => oc.column("user_id").doUpdateSet({ buttons: JSON.stringify(buttons) })).execute(),
          ).pipe(Effect.zipRight(Effect.sync(() => send({ type: "buttons", buttons }))));
        }
        default:
          return refuse(null, null, `unknown message ${JSON.stringify((message as { type?: unknown })?.type ?? null)}`);
      }
    };

    // ---- hello ----
    send({
      type: "hello",
      session: id,
      modem: yield* describe,
      user: { name: user.name, role: user.role },
      mayType,
      lease: leaseOut(yield* leaseOn(db, device, position), user.id),
      buttons: yield* userButtons(db, user.id),
      history: yield* userHistory(db, user.id),
    });

    // A store failure answers the one message, never ends the session.
    const answered = <E extends { message: string }>(lineId: string | null, effect: Effect.Effect<void, E>) =>
      effect.pipe(Effect.catchAll((e) => Effect.sync(() => send({ type: "refused", id: lineId, reason: `the database is not reachable: ${e.message}` }))));
    yield* Effect.forever(Effect.flatMap(Queue.take(typed), (m) => answered(typeof m.id === "string" ? m.id : null, line(m)))).pipe(Effect.forkScoped);
    const receive = (message: ClientMessage) => answered(null, handle(message));
    return { id, receive };
  });

