/**
 * The technician's console through the running service (`simgate console --service`): each
 * line goes over the console WebSocket into the modem actor's queue, so the console never
 * fights the service for the port. The terminal looks like the local console's: the same
 * line editor, notes under lines, `[urc]` marks, the `> ` prompt for an SMS body. What only
 * the service can do is added: a lease, confirmation of dangerous lines, the transcript, the
 * user's history and hot buttons from the store.
 */
import { writeFileSync } from "node:fs";
import { createInterface, type Interface } from "node:readline";
import WebSocket from "ws";
import { CONSOLE_HELP, parseConsoleCommand } from "./console-commands";
import { describeLease, renderButtons, renderFailed, renderHello, renderReply, renderUrc } from "./render";
import { CONSOLE_PATH, type ClientMessage, type ServerMessage } from "./wire";
import { addBodyLine, bodyKeys } from "./body-keys";

/** Where a session attaches: a modem by its device and 1-based place, or whichever modem holds a card. */
export type Attachment = { readonly device: string; readonly modem: number } | { readonly card: string };

export interface RemoteConsoleOptions {
  /** The service's base URL (http(s):// or ws(s)://). */
  readonly service: URL;
  readonly key: string;
  readonly attach: Attachment;
  readonly input: NodeJS.ReadableStream;
  readonly output: NodeJS.WritableStream & { isTTY?: boolean };
  /** Why the console could not start or ended badly. */
  readonly errors: NodeJS.WritableStream;
}

const HISTORY_SIZE = 500;
const PROMPTING = /^AT\+CMG[SW]=/i;
/** How long a clean close may take before the socket is cut. */
const CLOSE_GRACE_MS = 3_000;

/** A URL under the service's base, which may itself sit under a path (a reverse proxy). */
export const serviceUrl = (service: URL, path: string, protocol: "http" | "ws"): URL => {
  const base = new URL(service.href.endsWith("/") ? service.href : `${service.href}/`);
  const secure = base.protocol === "https:" || base.protocol === "wss:";
  base.protocol = protocol === "ws" ? (secure ? "wss:" : "ws:") : secure ? "https:" : "http:";
  return new URL(path.replace(/^\//, ""), base);
};

export const consoleSocketUrl = (service: URL, attach: Attachment): URL => {
  const url = serviceUrl(service, CONSOLE_PATH, "ws");
  if ("card" in attach) url.searchParams.set("card", attach.card);
  else {
    url.searchParams.set("device", attach.device);
    url.searchParams.set("modem", String(attach.modem));
  }
  return url;
};

type LineMessage = Extract<ClientMessage, { type: "line" }>;

/** Resolves with the exit code: 0 after "exit", 1 when the console could not start or the service ended it. */
export const runRemoteConsole = (options: RemoteConsoleOptions): Promise<number> =>
  new Promise<number>((resolve) => {
    const where = options.service.href;
    const socket = new WebSocket(consoleSocketUrl(options.service, options.attach), {
      headers: { Authorization: `Bearer ${options.key}` },
      handshakeTimeout: 10_000,
    });
    let finished = false;
    let session: ReturnType<typeof startSession> | null = null;

    const finish = (code: number) => {
      if (finished) return;
      finished = true;
      session?.stop();
      if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) socket.terminate();
      resolve(code);
    };
    const fail = (message: string) => {
      if (finished) return;
      options.errors.write(`simgate console: ${message}\n`);
      finish(1);
    };

    // Refused before the upgrade (a wrong key, no such path): the status and the service's words.
    socket.on("unexpected-response", (_request, response) => {
      let text = "";
      response.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
      response.on("end", () => fail(`the service at ${where} refused the console: HTTP ${response.statusCode}${text.trim() ? ` ${explainBody(text)}` : ""}`));
      response.on("error", () => fail(`the service at ${where} refused the console: HTTP ${response.statusCode}`));
    });
    socket.on("error", (error) => {
      if (session) return; // the close that follows says it
      fail(`cannot reach the service at ${where}: ${error.message || (error as NodeJS.ErrnoException).code || "connection failed"}`);
    });
    socket.on("message", (data, isBinary) => {
      if (isBinary || finished) return;
      let message: ServerMessage;
      try {
        message = JSON.parse(data.toString()) as ServerMessage;
      } catch {
        return;
      }
      if (session) return session.receive(message);
      if (message.type === "bye") return fail(`the service refused the console: ${message.reason}`);
      if (message.type === "hello") session = startSession(message, options, socket, finish);
    });
    socket.on("close", (code, reason) => {
      if (finished) return;
      if (!session) return fail(`the service at ${where} closed the connection before the console started (${code}${reason.length ? ` ${reason}` : ""})`);
      session.closed(code, reason.toString());
    });
  });

/** A JSON error body's message, else the text as it came. */
export const explainBody = (text: string): string => {
  try {
    // The service's errors are {error: CODE, message: words}; the words are for a person.
    const body = JSON.parse(text) as { error?: unknown; message?: unknown };
    const said = typeof body.message === "string" ? body.message : body.error;
    if (typeof said === "string") return said;
  } catch {
    // not JSON
  }
  return text.trim().slice(0, 300);
};

/** The attached session: the line editor, what goes out, what comes in. */
const startSession = (hello: Extract<ServerMessage, { type: "hello" }>, options: RemoteConsoleOptions, socket: WebSocket, finish: (code: number) => void) => {
  const terminal = options.output.isTTY === true;
  // The service keeps history newest last; readline wants it newest first.
  const rl: Interface = createInterface({ input: options.input, output: options.output, terminal, history: [...hello.history].reverse(), historySize: HISTORY_SIZE, prompt: "AT> " });
  let buttons = [...hello.buttons];
  let nextId = 1;
  /** Lines sent and not yet answered (a reply, a failure, a refusal or a question). */
  const pending = new Map<string, LineMessage>();
  let body: { command: string; lines: string[]; timeoutMs: number | undefined } | null = null;
  let confirming: LineMessage | null = null;
  const transcriptsWanted: string[] = [];
  let leaving = false;
  let ended = false;
  let byeSeen = false;
  let lastLease = describeLease(hello.lease);

  /** Prints above the prompt without breaking what the user is typing. */
  const print = (lines: readonly string[]) => {
    if (terminal) options.output.write("\r\x1b[2K");
    for (const line of lines) options.output.write(`${line}\n`);
    if (terminal && !leaving) rl.prompt(true);
  };
  const send = (message: ClientMessage) => socket.send(JSON.stringify(message));
  const sendLine = (text: string, extra: { body?: string; timeoutMs?: number } = {}) => {
    const message: LineMessage = { type: "line", id: String(nextId++), text, ...(extra.body !== undefined ? { body: extra.body } : {}), ...(extra.timeoutMs !== undefined ? { timeoutMs: extra.timeoutMs } : {}) };
    pending.set(message.id, message);
    send(message);
  };
  const answered = (id: string | null) => {
    if (id !== null) pending.delete(id);
    if (leaving && pending.size === 0 && confirming === null) closeSocket();
  };

  const closeSocket = () => {
    if (ended) return;
    ended = true;
    // Closing is how the lease is given back: the service releases it with the session.
    socket.close(1000, "exit");
    setTimeout(() => finish(0), CLOSE_GRACE_MS).unref();
  };

  const runLine = (line: string, timeoutMs?: number) => {
    if (PROMPTING.test(line)) {
      body = { command: line, lines: [], timeoutMs };
      rl.setPrompt("> ");
      return rl.prompt();
    }
    sendLine(line, timeoutMs === undefined ? {} : { timeoutMs });
  };

  const sendBody = () => {
    const pendingBody = body;
    body = null;
    rl.setPrompt("AT> ");
    if (!pendingBody) return;
    sendLine(pendingBody.command, { body: pendingBody.lines.join("\r"), ...(pendingBody.timeoutMs !== undefined ? { timeoutMs: pendingBody.timeoutMs } : {}) });
  };

  const runConsoleCommand = (line: string) => {
    const command = parseConsoleCommand(line);
    switch (command.kind) {
      case "lease":
        return send({ type: "lease", minutes: command.minutes });
      case "release":
        return send({ type: "release" });
      case "save":
        transcriptsWanted.push(command.file);
        return send({ type: "transcript" });
      case "timeout":
        return runLine(command.line, command.ms);
      case "buttons":
        return print(renderButtons(buttons));
      case "button": {
        const button = buttons[command.n - 1];
        if (!button) return print([`-- no button :${command.n} (:buttons lists them)`]);
        print([`:${command.n} ${button}`]);
        return runLine(button);
      }
      case "help":
        return print(CONSOLE_HELP);
      case "mistake":
        return print([`-- ${command.message}`]);
    }
  };

  const answerConfirmation = (answer: string) => {
    const line = confirming!;
    confirming = null;
    rl.setPrompt("AT> ");
    // The answer is not a line worth recalling with the up arrow.
    const history = (rl as unknown as { history?: string[] }).history;
    if (terminal && history?.[0]?.trim().toLowerCase() === answer) history.shift();
    if (answer === "yes") {
      pending.set(line.id, line);
      send({ ...line, confirm: true });
      return;
    }
    print([`-- ${line.text} not run`]);
    answered(null);
  };

  rl.on("line", (raw) => {
    const line = raw.trim();
    if (confirming) return answerConfirmation(line.toLowerCase());
    if (body) return addBodyLine(body.lines, line) ? sendBody() : rl.prompt();
    if (/^(exit|quit)$/i.test(line)) return rl.close();
    if (!line) return rl.prompt();
    if (line.startsWith(":")) return runConsoleCommand(line);
    if (!/^AT/i.test(line)) return print(['-- not an AT command (commands start with "AT"; ":help" lists the console\'s own; "exit" leaves)']);
    runLine(line);
  });
  // Ctrl-C outside a body answers an open question with no, or leaves.
  bodyKeys(
    rl,
    options.output,
    {
      lines: () => body?.lines ?? null,
      send: sendBody,
      forget: () => (body = null),
    },
    print,
    () => (confirming ? answerConfirmation("no") : rl.close()),
  );
  rl.on("close", () => {
    if (leaving) return;
    leaving = true;
    // Input ended while a question was open: the line is not run.
    if (confirming) {
      print([`-- ${confirming.text} not run`]);
      confirming = null;
    }
    if (pending.size > 0) options.output.write(`-- waiting for the reply to ${pending.size} line(s) (Ctrl-C leaves at once)\n`);
    answered(null);
  });

  const receive = (message: ServerMessage) => {
    switch (message.type) {
      case "reply":
        print(renderReply(message));
        return answered(message.id);
      case "failed":
        print(renderFailed(message));
        return answered(message.id);
      case "urc":
        return print(renderUrc(message));
      case "confirm": {
        const line = pending.get(message.id) ?? { type: "line" as const, id: message.id, text: message.command };
        pending.delete(message.id);
        if (leaving) {
          print([`-- ${message.command}: ${message.reason}`, `-- ${message.command} not run`]);
          return answered(null);
        }
        confirming = line;
        rl.setPrompt("type yes to run it: ");
        print([`-- ${message.command}: ${message.reason}`]);
        // On a terminal print() has put the question up already.
        if (!terminal) rl.prompt();
        return;
      }
      case "warning":
        return print([`-- warning: ${message.text}`]);
      case "refused": {
        const line = message.id === null ? undefined : pending.get(message.id);
        print([`-- refused${line ? ` ${line.text}` : ""}: ${message.reason}`]);
        return answered(message.id);
      }
      case "info":
        return print([`[info] ${message.text}`]);
      case "lease": {
        // The service may tell one change twice (the session's own news and its lease
        // follower's): a change is shown once.
        const shown = describeLease(message.lease);
        if (shown === lastLease) return;
        lastLease = shown;
        return print([shown]);
      }
      case "port":
        return print([`[port] ${message.state}: ${message.detail}`]);
      case "transcript": {
        const file = transcriptsWanted.shift();
        if (!file) return;
        try {
          writeFileSync(file, `${JSON.stringify(message.transcript, null, 2)}\n`);
          return print([`-- transcript saved to ${file} (${message.transcript.entries.length} entries)`]);
        } catch (error) {
          return print([`-- cannot write ${file}: ${(error as Error).message}`]);
        }
      }
      case "buttons":
        buttons = [...message.buttons];
        return;
      case "bye":
        // The socket closes after it; closed() decides the exit code.
        print([`-- the service ended the session: ${message.reason}`]);
        byeSeen = true;
        return;
      case "hello":
        return;
    }
  };

  const closed = (code: number, reason: string) => {
    const wanted = leaving && ended;
    if (!wanted && !byeSeen) options.errors.write(`simgate console: the connection to the service was lost (${code}${reason ? ` ${reason}` : ""})\n`);
    leaving = true;
    rl.close();
    finish(wanted ? 0 : 1);
  };

  print(renderHello(hello));
  if (!terminal) rl.prompt();
  return { receive, closed, stop: () => ((leaving = true), rl.close()) };
};
