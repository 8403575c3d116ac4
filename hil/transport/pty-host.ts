/**
 * Pseudo-terminals for virtual modems. Node core cannot open a PTY pair, so one small relay
 * process (pty-relay.py, python3's standard library only) holds all the masters and
 * multiplexes them over its stdin/stdout; the slave side is a real serial device that
 * `serialport`, gammu or minicom open exactly like a USB modem's tty.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { join } from "node:path";

const OPEN = 1;
const DATA = 2;
const CLOSE = 3;
const FAILED = 4;
const HEADER = 9;

export interface PtyPort {
  readonly id: number;
  /** The slave device, e.g. /dev/pts/7. */
  readonly path: string;
  /** A stable symlink to it, when one was asked for. */
  readonly link: string | null;
  write(bytes: Buffer): void;
  onData(listener: (bytes: Buffer) => void): void;
  /** Removes the device (the client sees the port vanish, as on USB unplug). */
  close(): Promise<void>;
}

export class PtyHostError extends Error {}

interface Pending {
  resolve: (value: string) => void;
  reject: (error: Error) => void;
}

export class PtyHost {
  private nextId = 1;
  private buffer: Buffer = Buffer.alloc(0);
  private readonly opening = new Map<number, Pending>();
  private readonly closing = new Map<number, () => void>();
  private readonly listeners = new Map<number, (bytes: Buffer) => void>();
  private exited = false;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.on("data", (chunk: Buffer) => this.receive(chunk));
    child.on("exit", () => {
      this.exited = true;
      const error = new PtyHostError("the PTY relay exited");
      for (const p of this.opening.values()) p.reject(error);
      this.opening.clear();
      for (const done of this.closing.values()) done();
      this.closing.clear();
    });
  }

  /** Starts the relay; fails with a clear message when python3 is missing. */
  static start(python = process.env.SIMGATE_PYTHON ?? "python3"): Promise<PtyHost> {
    return new Promise((resolve, reject) => {
      const child = spawn(python, [join(import.meta.dirname, "pty-relay.py")], { stdio: ["pipe", "pipe", "pipe"] });
      let stderr = "";
      child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
      child.once("error", (e) => reject(new PtyHostError(`cannot start the PTY relay with "${python}": ${e.message} (PTY transport needs python3)`)));
      child.once("spawn", () => resolve(new PtyHost(child)));
      child.once("exit", (code) => {
        if (code) process.stderr.write(`PTY relay exited with ${code}: ${stderr}\n`);
      });
    });
  }

  private send(type: number, id: number, payload: Buffer = Buffer.alloc(0)): void {
    if (this.exited) return;
    const header = Buffer.alloc(HEADER);
    header.writeUInt8(type, 0);
    header.writeUInt32BE(id, 1);
    header.writeUInt32BE(payload.length, 5);
    this.child.stdin.write(payload.length ? Buffer.concat([header, payload]) : header);
  }

  private receive(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    while (this.buffer.length >= HEADER) {
      const type = this.buffer.readUInt8(0);
      const id = this.buffer.readUInt32BE(1);
      const length = this.buffer.readUInt32BE(5);
      if (this.buffer.length < HEADER + length) return;
      const payload = this.buffer.subarray(HEADER, HEADER + length);
      this.buffer = this.buffer.subarray(HEADER + length);
      if (type === DATA) this.listeners.get(id)?.(Buffer.from(payload));
      else if (type === OPEN) {
        this.opening.get(id)?.resolve(payload.toString());
        this.opening.delete(id);
      } else if (type === FAILED) {
        this.opening.get(id)?.reject(new PtyHostError(`cannot open a PTY: ${payload.toString()}`));
        this.opening.delete(id);
      } else if (type === CLOSE) {
        this.closing.get(id)?.();
        this.closing.delete(id);
      }
    }
  }

  /** Opens a new PTY; `link` (absolute path) becomes a symlink to its slave device. */
  async open(link?: string): Promise<PtyPort> {
    if (this.exited) throw new PtyHostError("the PTY relay is not running");
    const id = this.nextId++;
    const path = await new Promise<string>((resolve, reject) => {
      this.opening.set(id, { resolve, reject });
      this.send(OPEN, id, Buffer.from(link ?? ""));
    });
    return {
      id,
      path,
      link: link ?? null,
      write: (bytes) => this.send(DATA, id, bytes),
      onData: (listener) => this.listeners.set(id, listener),
      close: () =>
        new Promise<void>((resolve) => {
          this.listeners.delete(id);
          if (this.exited) return resolve();
          this.closing.set(id, resolve);
          this.send(CLOSE, id);
        }),
    };
  }

  /** Closes every PTY and stops the relay. */
  stop(): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once("exit", () => resolve());
      this.child.stdin.end();
    });
  }
}
