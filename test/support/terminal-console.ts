/**
 * `simgate console <args>` as a technician runs it: a child process on a real terminal (a
 * PTY whose master the test types into). `screen` is everything it printed, escape sequences
 * and carriage returns removed.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { join } from "node:path";
import type { PtyHost } from "../../hil/transport/pty-host";

const ROOT = join(import.meta.dirname, "..", "..");

export interface TerminalConsole {
  readonly type: (keys: string) => void;
  readonly waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<void>;
  readonly exited: Promise<number | null>;
  readonly screen: () => string;
  readonly close: () => Promise<void> | void;
}

export const openTerminalConsole = async (
  terminals: PtyHost,
  args: readonly string[],
  options: { readonly env: NodeJS.ProcessEnv; readonly timeoutMs: number },
): Promise<TerminalConsole> => {
  const terminal = await terminals.open();
  let screen = "";
  terminal.onData((bytes) => (screen += bytes.toString("utf8").replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").replace(/\r/g, "")));
  const fd = openSync(terminal.path, "r+");
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", join(ROOT, "src/cli/main.ts"), "console", ...args], {
    cwd: ROOT,
    stdio: [fd, fd, fd],
    env: { ...options.env, TERM: "xterm" },
  });
  closeSync(fd);
  const waitFor = async (pattern: RegExp, timeoutMs = options.timeoutMs) => {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(screen)) {
      if (Date.now() > deadline) throw new Error(`console never showed ${pattern}; screen:\n${screen}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const exited = new Promise<number | null>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`console did not exit; screen:\n${screen}`)), options.timeoutMs);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
  exited.catch(() => child.kill());
  return { type: (keys) => terminal.write(Buffer.from(keys, "utf8")), waitFor, exited, screen: () => screen, close: () => terminal.close() };
};
