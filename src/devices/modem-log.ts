/**
 * One log line for every step a modem's supervisor or actor takes by itself: opening,
 * losing and resetting the modem, sweeps after a recovery, messages kept on the modem
 * because the store refused them, and setup steps the modem did not accept. The events
 * themselves stay on the modem's stream for the recorders; this is what an operator reads.
 */
import { Effect, type Scope } from "effect";
import type { SupervisedEvent } from "../../drivers/modem/supervisor";
import type { Registry } from "./registry";

const lineOf = (event: SupervisedEvent): string | null => {
  switch (event.type) {
    case "supervisor":
      return event.step === "waiting" ? null : `${event.step}: ${event.detail}`;
    case "recovery":
      return `recovery: ${event.detail}`;
    case "problem":
      return `setup step ${event.problem.command} failed: ${event.problem.error}`;
    case "sms-kept":
      // A card being switched in is normal; only a refused store is news.
      if (event.cause !== "sink") return null;
      return `message kept on the modem (${event.storage} ${event.index}): ${event.reason}`;
    case "sms-unreadable":
      return `message left on the modem unread (${event.storage} ${event.index}): ${event.reason}`;
    default:
      return null;
  }
};

export const logModemSteps = (registry: Registry, write: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): Effect.Effect<void, never, Scope.Scope> =>
  Effect.forEach(
    registry.modems,
    (m) =>
      Effect.gen(function* () {
        const events = yield* m.supervised.events;
        yield* Effect.forever(
          Effect.flatMap(events.take, (event) =>
            Effect.sync(() => {
              const line = lineOf(event);
              if (line) write(`modem ${m.device}#${m.position}: ${line}`);
            }),
          ),
        ).pipe(Effect.forkScoped);
      }),
    { discard: true },
  );
