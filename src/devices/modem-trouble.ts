/**
 * Every step a modem's supervisor or actor takes by itself, and every message it could not
 * hand over, becomes a log line and an event row (`modemTrouble`): opening, losing and
 * resetting the modem, sweeps after a recovery, messages kept on the modem because the
 * store refused them, messages it cannot decode, setup steps it did not accept. Nothing a
 * modem does behind the operator's back is silent. A message left unreadable is reported
 * once per connection, not at every sweep.
 */
import { Effect, type Scope } from "effect";
import type { Kysely } from "kysely";
import type { SupervisedEvent } from "../../drivers/modem/supervisor";
import { recordEvent } from "../store/events";
import { tryStore } from "../store/database";
import type { Database } from "../store/schema";
import type { Registry } from "./registry";

interface Trouble {
  readonly kind: string;
  readonly detail: string;
  /** Reported once per connection (a message that stays unreadable at every sweep). */
  readonly onceKey?: string;
}

const troubleOf = (event: SupervisedEvent): Trouble | null => {
  switch (event.type) {
    case "supervisor":
      return event.step === "waiting" || event.step === "opening" ? null : { kind: event.step, detail: event.detail };
    case "recovery":
      return { kind: "recovery", detail: event.detail };
    case "problem":
      return { kind: "setup-step-failed", detail: `${event.problem.command}: ${event.problem.error}` };
    case "sms-kept":
      // A card being switched in is normal; only a refused store is news.
      return event.cause === "sink" ? { kind: "sms-kept", detail: `${event.storage} ${event.index}: ${event.reason}` } : null;
    case "card-rekeyed":
      return { kind: "card-rekeyed", detail: `the card known by its IMSI ${event.imsi} (${event.from}) is ${event.to}: its history moved with it` };
    case "sms-unreadable":
      return { kind: "sms-unreadable", detail: `${event.storage} ${event.index}: ${event.reason}`, onceKey: `${event.storage}:${event.index}:${event.reason}` };
    default:
      return null;
  }
};

export const reportModemTrouble = (
  db: Kysely<Database>,
  registry: Registry,
  /** Where each line goes besides the event (tests); the service's log when not given. */
  write?: (line: string) => void,
): Effect.Effect<void, never, Scope.Scope> =>
  Effect.forEach(
    registry.modems,
    (m) =>
      Effect.gen(function* () {
        const events = yield* m.supervised.events;
        const reported = new Set<string>();
        yield* Effect.forever(
          Effect.flatMap(events.take, (event) => {
            if (event.type === "supervisor" && event.step === "connected") reported.clear();
            const trouble = troubleOf(event);
            if (!trouble) return Effect.void;
            if (trouble.onceKey !== undefined) {
              if (reported.has(trouble.onceKey)) return Effect.void;
              reported.add(trouble.onceKey);
            }
            const line = `${trouble.kind}: ${trouble.detail}`;
            // While the database is away (when messages are kept) the row cannot be written;
            // the log line stands for it. Coming back is news, not trouble.
            const logged = write
              ? Effect.sync(() => write(`modem ${m.device}#${m.position}: ${line}`))
              : (trouble.kind === "connected" ? Effect.logInfo(line) : Effect.logWarning(line)).pipe(Effect.annotateLogs({ device: m.device, modem: m.position }));
            return Effect.zipRight(logged, tryStore("recording modem trouble", () =>
              recordEvent(db, "modemTrouble", { device: m.device }, { modem: m.position, kind: trouble.kind, detail: trouble.detail }),
            ).pipe(Effect.ignore));
          }),
        ).pipe(Effect.forkScoped);
      }),
    { discard: true },
  );
