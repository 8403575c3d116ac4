/**
 * The SR controller over its own serial line (or tcp://): text commands chained with `&&`,
 * one reply line per command, `1` for done and `NULL` for refused
 * (../shared/specs/sr-navigator-notes.md). One exchange at a time; a controller that does not
 * answer in time fails the switch rather than hanging the scheduler.
 *
 * Known limit: the language has no tags, so a reply that comes after its timeout could be
 * read as the next exchange's. Lines that arrive while nothing waits are dropped; the final
 * modem>status check catches a switch that did not happen.
 */
import { Deferred, Effect, Exit, type Scope } from "effect";
import { parseModemStatus, planSwitch, reachable, srLayout, type SrModel } from "../../protocol/sr/topology";
import type { Transport } from "../transport/transport";
import { BankError, type BankLayout, type SimBankDriver } from "./sim-bank-driver";

export interface SrSerialOptions {
  readonly model: SrModel;
  readonly rows: number;
  /** Per exchange (default 3 s). */
  readonly timeoutMs?: number;
}

/** Sends one chained line and collects one reply line per command. */
const makeLink = (transport: Transport, timeoutMs: number) =>
  Effect.gen(function* () {
    const lock = yield* Effect.makeSemaphore(1);
    let buffer = "";
    let waiting: { count: number; lines: string[]; done: Deferred.Deferred<string[]> } | null = null;
    let gone: string | null = null;
    const stop = transport.listen({
      data: (chunk) => {
        buffer += Buffer.from(chunk).toString("latin1");
        let end: number;
        while ((end = buffer.search(/\r?\n/)) >= 0) {
          const line = buffer.slice(0, end).trim();
          buffer = buffer.slice(buffer[end] === "\r" ? end + 2 : end + 1);
          if (!line || !waiting) continue;
          waiting.lines.push(line);
          if (waiting.lines.length >= waiting.count) {
            Deferred.unsafeDone(waiting.done, Exit.succeed(waiting.lines));
            waiting = null;
          }
        }
      },
      end: (reason) => {
        gone = reason;
        if (waiting) Deferred.unsafeDone(waiting.done, Exit.succeed(waiting.lines));
      },
    });
    yield* Effect.addFinalizer(() => Effect.sync(stop));
    return (commands: readonly string[]): Effect.Effect<string[], BankError> =>
      lock.withPermits(1)(
        Effect.gen(function* () {
          if (gone) return yield* Effect.fail(new BankError({ reason: "gone", detail: gone }));
          const done = yield* Deferred.make<string[]>();
          waiting = { count: commands.length, lines: [], done };
          transport.send(`${commands.join("&&")}\r\n`);
          const lines = yield* Deferred.await(done).pipe(Effect.timeoutOption(timeoutMs));
          waiting = null;
          if (lines._tag === "None") return yield* Effect.fail(new BankError({ reason: "no-answer", detail: `${commands.join("&&")}: nothing in ${timeoutMs} ms` }));
          if (gone) return yield* Effect.fail(new BankError({ reason: "gone", detail: gone }));
          return lines.value;
        }),
      );
  });

/** The bank's positions and switch groups, from its model alone (no line needed). */
export const srBankLayout = (model: SrModel, rows: number): BankLayout => {
  const layout = srLayout(model, rows);
  return {
    positions: layout.positions,
    modems: layout.modems,
    reachable: (modem) => reachable(layout, modem),
    preview: (position) => {
      const plan = planSwitch(layout, position);
      return plan && { modem: plan.modem, after: plan.after };
    },
  };
};

export const makeSrSerialBank = (transport: Transport, options: SrSerialOptions): Effect.Effect<SimBankDriver, never, Scope.Scope> =>
  Effect.gen(function* () {
    const layout = srLayout(options.model, options.rows);
    const send = yield* makeLink(transport, options.timeoutMs ?? 3_000);
    return {
      ...srBankLayout(options.model, options.rows),
      select: (position) =>
        Effect.gen(function* () {
          const plan = planSwitch(layout, position);
          if (!plan) return yield* Effect.fail(new BankError({ reason: "no-such-position", detail: `${options.model} has no position "${position}"` }));
          if (plan.commands.length === 0) return { position, modem: plan.modem, affected: [], after: [] };
          // Ask for the holder's status in the same chain: the switch is checked, not assumed.
          const replies = yield* send([...plan.commands, `modem>select:${plan.modem}`, "modem>status"]);
          const refused = plan.commands.findIndex((_, i) => replies[i] !== "1");
          if (refused >= 0) return yield* Effect.fail(new BankError({ reason: "refused", detail: `${plan.commands[refused]} answered ${replies[refused] ?? "nothing"}` }));
          const status = parseModemStatus(replies.at(-1) ?? "");
          if (status?.position !== position)
            return yield* Effect.fail(new BankError({ reason: "refused", detail: `modem ${plan.modem} reports ${replies.at(-1)} after the switch to ${position}` }));
          return { position, modem: plan.modem, affected: plan.affected, after: plan.after };
        }),
    } satisfies SimBankDriver;
  });
