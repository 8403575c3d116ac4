/**
 * `npm start` as a child process, as an operator runs it: environment in, HTTP port out
 * (PORT=0, the printed address read back), all output kept for the failure report.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "..", "..");

export interface ServiceProcess {
  /** The base URL, once the service printed it. */
  readonly url: () => Promise<string>;
  readonly output: () => string;
  /** Resolves with the exit code (null after a signal). */
  readonly exited: Promise<number | null>;
  readonly alive: () => boolean;
  readonly kill: (signal?: NodeJS.Signals) => void;
}

export const startServiceProcess = (env: Record<string, string>): ServiceProcess => {
  const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "src/main.ts")], {
    cwd: ROOT,
    env: { ...process.env, PORT: "0", SIMGATE_DEMO_SMS_EVERY_MS: "0", SIMGATE_DEMO_TIMING: "instant", ...env },
  });
  let out = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr.on("data", (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  const url = async () => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const match = /listening on (http:\/\/[0-9.:]+)/.exec(out);
      if (match) return match[1]!;
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the service never said "listening on":\n${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return {
    url,
    output: () => out,
    exited,
    alive: () => child.exitCode === null && child.signalCode === null,
    kill: (signal = "SIGTERM") => void child.kill(signal),
  };
};

/** Polls `probe` until `ok` holds; the last value is in the error. */
export const until = async <T>(probe: () => Promise<T>, ok: (v: T) => boolean, what: string, timeoutMs = 30_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch((error: Error) => error as unknown as T);
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: ${value instanceof Error ? value.message : JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};
