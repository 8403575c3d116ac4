/**
 * The technician's AT console: one modem port, a line editor with history, replies with their
 * time, unsolicited codes shown as they arrive (marked), PDUs and USSD decoded under the
 * line, error codes named. `AT+CMGS=<n>` / `AT+CMGW=<n>` switch to a `> ` prompt for the
 * body, sent with Ctrl-Z (or a line ending in ^Z), dropped with Ctrl-C.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createInterface, type Interface } from "node:readline";
import { Effect, Queue, Runtime, SubscriptionRef, type Scope } from "effect";
import { makeAtPort, type AtPort, type AtPortOptions, type PortEvent, type PortState } from "../../drivers/at/at-port";
import type { AtError } from "../../drivers/at/errors";
import { openSerial } from "../../drivers/transport/serial";
import { openTcp } from "../../drivers/transport/tcp";
import type { Transport, TransportError } from "../../drivers/transport/transport";
import { annotate } from "./annotate";
import { addBodyLine, bodyKeys } from "./body-keys";

export interface ConsoleOptions {
  readonly target: string;
  readonly input: NodeJS.ReadableStream;
  readonly output: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** File for the line history (kept between sessions); none when null. */
  readonly historyFile: string | null;
  /** The AT port's timeouts and resync attempts (tests shorten them). */
  readonly port?: AtPortOptions;
}

const HISTORY_SIZE = 500;
const PROMPTING = /^AT\+CMG[SW]=/i;

export const openTarget = (target: string): Effect.Effect<Transport, TransportError, Scope.Scope> =>
  target.startsWith("tcp://") ? openTcp(target) : openSerial(target);

const describeError = (error: AtError, portState: PortState): string[] => {
  switch (error._tag) {
    case "AtModemError":
      // Coded errors get their name from annotate(); a bare ERROR says nothing more.
      return [...error.lines, error.error.text, ...(error.error.code === null ? ["  -- the command failed"] : [])];
    case "AtTimeout":
      // The port has finished its resync by the time the error arrives: say how it ended,
      // not that it worked (a "resynchronised" followed by "unresponsive" misleads).
      return [
        `-- no ${error.waitingFor} after ${error.afterMs} ms; ${
          portState === "ready" ? "the port has resynchronised" : portState === "gone" ? "the port is gone" : "the modem does not answer the resync either (unresponsive)"
        }`,
      ];
    case "AtPortClosed":
      return [`-- the port is closed: ${error.reason}`];
  }
};

export const runConsole = (options: ConsoleOptions): Effect.Effect<void, TransportError, Scope.Scope> =>
  Effect.gen(function* () {
    const transport = yield* openTarget(options.target);
    const port: AtPort = yield* makeAtPort(transport, options.port);
    const events = yield* port.events;
    const runtime = yield* Effect.runtime<never>();
    const run = Runtime.runPromise(runtime);
    const history = options.historyFile && existsSync(options.historyFile) ? readFileSync(options.historyFile, "utf8").split("\n").filter(Boolean).reverse() : [];
    const terminal = options.output.isTTY === true;
    const rl: Interface = createInterface({ input: options.input, output: options.output, terminal, history, historySize: HISTORY_SIZE, prompt: "AT> " });

    /** Prints above the prompt without breaking what the user is typing. */
    const print = (lines: readonly string[]) => {
      if (terminal) options.output.write("\r\x1b[2K");
      for (const line of lines) options.output.write(`${line}\n`);
      if (terminal) rl.prompt(true);
    };
    const withNotes = (lines: readonly string[]) => lines.flatMap((l) => [l, ...annotate(l).map((n) => `  -- ${n}`)]);

    const showEvent = (event: PortEvent) => {
      switch (event.type) {
        case "urc":
          // Part of a reply (a +CUSD before OK): printed with the reply, not twice.
          if (event.inReplyTo) return;
          return print(withNotes([event.urc.line, ...(event.urc.body ? [event.urc.body] : [])]).map((l, i) => (i === 0 ? `[urc] ${l}` : `      ${l}`)));
        case "stray":
          return print([`[unclaimed] ${JSON.stringify(event.text)}`]);
        case "state":
          return print([`[port] ${event.state}: ${event.detail}`]);
        case "settings-lost":
          return print([`[port] the modem restarted without notice: ${event.detail}`]);
      }
    };
    yield* Effect.forever(Effect.flatMap(Queue.take(events), (e) => Effect.sync(() => showEvent(e)))).pipe(Effect.forkScoped);

    print([`connected to ${transport.target}; AT commands, "exit" to leave. Bodies after AT+CMGS=<n>: type, then Ctrl-Z.`]);

    let body: { command: string; lines: string[] } | null = null;
    let busy = Promise.resolve();

    const execute = (command: string, text: string | null) => {
      const started = performance.now();
      const effect = text === null ? port.command(command, { priority: "interactive" }) : port.commandWithBody(command, text, { priority: "interactive" });
      let portState: PortState = "ready";
      return run(
        effect.pipe(
          Effect.tapError(() => Effect.map(SubscriptionRef.get(port.state), (state) => (portState = state))),
          Effect.match({
            onSuccess: (reply) => print([...withNotes(reply.lines), `${reply.finalText}  (${Math.round(reply.elapsedMs)} ms)`]),
            onFailure: (error) => print([...withNotes(describeError(error, portState)), `  (${Math.round(performance.now() - started)} ms)`]),
          }),
        ),
      );
    };

    const sendBody = () => {
      const pending = body;
      body = null;
      rl.setPrompt("AT> ");
      // print() puts the prompt back after the reply.
      if (pending) busy = busy.then(() => execute(pending.command, pending.lines.join("\r")));
    };

    yield* Effect.async<void>((resume) => {
      rl.on("line", (raw) => {
        const line = raw.trim();
        if (body) return addBodyLine(body.lines, line) ? sendBody() : rl.prompt();
        if (/^(exit|quit)$/i.test(line)) return rl.close();
        if (!line) return rl.prompt();
        if (!/^AT/i.test(line)) return print(['-- not an AT command (commands start with "AT"; "exit" leaves)']);
        if (PROMPTING.test(line)) {
          body = { command: line, lines: [] };
          rl.setPrompt("> ");
          return rl.prompt();
        }
        busy = busy.then(() => execute(line, null));
      });
      bodyKeys(
        rl,
        options.output,
        {
          lines: () => body?.lines ?? null,
          send: sendBody,
          forget: () => (body = null),
        },
        print,
        () => rl.close(),
      );
      rl.on("close", () => {
        busy.then(() => resume(Effect.void));
      });
      if (!terminal) rl.prompt();
    });

    if (options.historyFile) {
      const lines = (rl as unknown as { history: string[] }).history ?? [];
      writeFileSync(options.historyFile, `${[...lines].reverse().slice(-HISTORY_SIZE).join("\n")}\n`);
    }
  });
