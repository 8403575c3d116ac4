/**
 * The keys of a message body typed at the `> ` prompt of AT+CMGS/AT+CMGW, for both consoles
 * (a bare port and a session through the service): Ctrl-Z sends it, with the line still being
 * edited as its last line (the console is never suspended); Ctrl-C drops it before anything
 * is written. Outside a body, Ctrl-Z only shows the prompt again and Ctrl-C is the console's.
 */
import type { Interface } from "node:readline";

export interface BodyBeingTyped {
  /** The body's lines so far, or null when no body is being typed. */
  readonly lines: () => string[] | null;
  readonly send: () => void;
  /** Forgets the body (Ctrl-C): the console then says so with `say` and shows its prompt. */
  readonly forget: () => void;
}

export const bodyKeys = (rl: Interface, output: NodeJS.WritableStream, body: BodyBeingTyped, say: (lines: string[]) => void, onCtrlC: () => void): void => {
  rl.on("SIGTSTP", () => {
    const lines = body.lines();
    if (!lines) return rl.prompt();
    const editing = (rl as unknown as { line: string }).line;
    if (editing.trim()) lines.push(editing.trim());
    rl.write(null, { ctrl: true, name: "u" });
    output.write("\n");
    body.send();
  });
  rl.on("SIGINT", () => {
    if (!body.lines()) return onCtrlC();
    rl.write(null, { ctrl: true, name: "u" });
    body.forget();
    rl.setPrompt("AT> ");
    say(["-- body dropped, nothing sent"]);
  });
};

/**
 * A line typed while a body is being collected: added to it (a `^Z` at its end, or a Ctrl-Z
 * byte, ends the body and is not part of it). True when the body is complete.
 */
export const addBodyLine = (lines: string[], line: string): boolean => {
  const end = line.endsWith("^Z") || line.includes("\x1a");
  lines.push(line.replace(/\^Z$/, "").replace(/\x1a/g, ""));
  return end;
};
