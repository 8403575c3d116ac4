/**
 * The service as an operator runs it (`node --import tsx src/main.ts`), on the campaign's
 * database and configuration, as a child process the campaign can SIGKILL and start again.
 * An exit nobody asked for (a crash) is reported, and the service is started again by the
 * caller, as a process manager would.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { appendFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "..", "..");
const OUTPUT_KEPT = 200_000;

export const API_KEY = "faults-api-key-0001";
export const POOL_KEY = "faults-pool-key-0001";

export interface ServiceOptions {
  /** The database's part of the environment: DATABASE_URL, or SIMGATE_DATA_DIR for the embedded one. */
  readonly databaseEnv: Readonly<Record<string, string>>;
  readonly configFile: string;
  /** Called when the process exits without being told to. */
  readonly onCrash: (detail: string) => void;
  /** Everything the service prints, across restarts, is appended here too. */
  readonly logFile?: string;
  /** More of the environment (SIMGATE_HOST_ID for one of several hosts). */
  readonly env?: Readonly<Record<string, string>>;
}

/** The environment without a database of its own choosing: the campaign picks it. */
const withoutDatabase = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv => {
  const { DATABASE_URL: _url, SIMGATE_DATA_DIR: _dir, ...rest } = env;
  return rest;
};

export class ServiceProcess {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private expectingExit = false;
  private out = "";
  /** What this start printed, for the report of a crash. */
  private current = "";
  /** The API's base URL while the service is up (PORT=0: a new port on every start). */
  url: string | null = null;
  starts = 0;

  constructor(private readonly options: ServiceOptions) {}

  get running(): boolean {
    return this.child !== null;
  }

  /** The last lines of everything the service printed, across restarts. */
  tail(lines = 40): string {
    return this.out.split("\n").slice(-lines).join("\n");
  }

  /** Starts it and waits until it listens and has set up the keys; rejects on a start that fails. */
  async start(timeoutMs = 90_000): Promise<string> {
    if (this.child) throw new Error("the service is already running");
    this.starts++;
    this.expectingExit = false;
    const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "src/main.ts")], {
      cwd: ROOT,
      env: {
        ...withoutDatabase(process.env),
        ...this.options.databaseEnv,
        PORT: "0",
        SIMGATE_CONFIG: this.options.configFile,
        SIMGATE_API_KEY: API_KEY,
        SIMGATE_POOL_KEY: POOL_KEY,
        ...this.options.env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    const mark = this.out.length;
    this.current = "";
    const keep = (c: Buffer) => {
      if (this.options.logFile) appendFileSync(this.options.logFile, c);
      this.out += c.toString();
      this.current = (this.current + c.toString()).slice(-20_000);
      if (this.out.length > OUTPUT_KEPT * 2) this.out = this.out.slice(-OUTPUT_KEPT);
    };
    child.stdout!.on("data", keep);
    child.stderr!.on("data", keep);
    this.out += `\n--- start ${this.starts} at ${new Date().toISOString()}\n`;
    if (this.options.logFile) appendFileSync(this.options.logFile, `\n--- start ${this.starts} at ${new Date().toISOString()}\n`);
    this.exited = new Promise<void>((resolve) =>
      child.once("exit", (code, signal) => {
        this.child = null;
        this.url = null;
        this.out += `\n--- exit ${code ?? signal} at ${new Date().toISOString()}\n`;
        if (!this.expectingExit) this.options.onCrash(`exit ${code ?? signal} (start ${this.starts}):\n${this.current.split("\n").slice(-12).join("\n")}`);
        resolve();
      }),
    );
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const since = this.out.slice(Math.max(0, mark - 1));
      const listening = /listening on (http:\/\/[0-9.]+:\d+)/.exec(since);
      // The keys are set after the server listens; calls before that would be refused.
      if (listening && /pool key/.test(since)) {
        this.url = listening[1]!;
        return this.url;
      }
      if (this.child !== child) throw new Error(`the service exited while starting:\n${this.tail(30)}`);
      if (Date.now() > deadline) throw new Error(`the service did not start within ${timeoutMs} ms:\n${this.tail(30)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGKILL: no shutdown, no cleanup, as a power cut or the OOM killer does it. */
  async kill(): Promise<void> {
    if (!this.child) return;
    this.expectingExit = true;
    this.url = null;
    this.child.kill("SIGKILL");
    await this.exited;
  }

  /** A clean stop (SIGTERM), with SIGKILL after a grace period. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.child) return;
    this.expectingExit = true;
    const child = this.child;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
