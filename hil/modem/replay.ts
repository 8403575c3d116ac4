/**
 * The replay personality: a modem that answers from a recorded transcript instead of from a
 * model of its own. Any field capture (what a real module printed, command by command)
 * becomes a device that the drivers can be run against, so a quirk seen once in the field
 * stays a regression test.
 *
 * A transcript is JSON: the exchanges in the order they were recorded, each a command line
 * and the reply bytes exactly as the modem printed them after its echo (CRLFs included), and
 * unsolicited lines where they fell: after the reply they followed, or before any command
 * (printed when the host attaches). A command asked more often than it was recorded gets its
 * last recorded reply again; a command never recorded gets `unknown` (ERROR by default, as
 * a module answers a command it does not have). Echo follows ATE0/ATE1 (V.250 6.2.4): it is
 * the line discipline, not part of the recording.
 */
import type { LogEntry } from "./modem";

export interface TranscriptCommand {
  readonly command: string;
  /** The bytes after the echo, e.g. "\r\n+CPIN: READY\r\n\r\nOK\r\n". */
  readonly reply: string;
  /** How long the modem took (a SIM being read, a network round trip). */
  readonly delayMs?: number;
  /** Where this reply comes from, when it differs from the transcript's source. */
  readonly source?: string;
}

export interface TranscriptUrc {
  /** The bytes of one or more unsolicited lines, e.g. "\r\n+CPIN: READY\r\n". */
  readonly urc: string;
  /** Printed this long after the reply it follows (or after attach). */
  readonly delayMs?: number;
  readonly source?: string;
}

export type TranscriptEntry = TranscriptCommand | TranscriptUrc;

export interface Transcript {
  readonly name: string;
  readonly description: string;
  /** Where the replies come from: a capture, a test suite's dump, a vendor's AT manual. */
  readonly source: string;
  readonly entries: readonly TranscriptEntry[];
  /** The reply to a command the transcript does not hold (default "\r\nERROR\r\n"). */
  readonly unknown?: string;
  /** What a host should read from this modem, for tests. */
  readonly expected?: Readonly<Record<string, unknown>>;
}

const isCommand = (e: TranscriptEntry): e is TranscriptCommand => "command" in e;

/** A command line as the table keys it: upper case outside quotes, no spaces at the ends. */
const keyOf = (line: string): string => {
  let out = "";
  let quoted = false;
  for (const c of line.trim()) {
    if (c === '"') quoted = !quoted;
    out += quoted ? c : c.toUpperCase();
  }
  return out;
};

interface Recorded {
  readonly replies: TranscriptCommand[];
  /** Unsolicited lines recorded after each reply (index-aligned with `replies`). */
  readonly after: TranscriptUrc[][];
  used: number;
}

const LOG_LIMIT = 500;

/** Checks a parsed JSON value is a transcript; throws with the place of the first mistake. */
export const parseTranscript = (value: unknown, where = "transcript"): Transcript => {
  const fail = (path: string, what: string): never => {
    throw new Error(`${where}${path}: ${what}`);
  };
  if (typeof value !== "object" || value === null) return fail("", "must be an object");
  const t = value as Record<string, unknown>;
  for (const key of ["name", "description", "source"]) if (typeof t[key] !== "string" || !t[key]) fail(`.${key}`, "must be a non-empty string");
  if (!Array.isArray(t.entries) || t.entries.length === 0) fail(".entries", "must be a non-empty list");
  (t.entries as unknown[]).forEach((e, i) => {
    const entry = e as Record<string, unknown>;
    if (typeof e !== "object" || e === null) fail(`.entries[${i}]`, "must be an object");
    const isCmd = typeof entry.command === "string";
    const isUrc = typeof entry.urc === "string";
    if (isCmd === isUrc) fail(`.entries[${i}]`, 'needs either "command" and "reply", or "urc"');
    if (isCmd && typeof entry.reply !== "string") fail(`.entries[${i}].reply`, "must be a string");
    if (isCmd && !/^AT/i.test(entry.command as string)) fail(`.entries[${i}].command`, "must start with AT");
    if (entry.delayMs !== undefined && (typeof entry.delayMs !== "number" || entry.delayMs < 0)) fail(`.entries[${i}].delayMs`, "must be a number of ms");
  });
  if (t.unknown !== undefined && typeof t.unknown !== "string") fail(".unknown", "must be a string");
  return value as Transcript;
};

export class ReplayModem {
  readonly log: LogEntry[] = [];
  private readonly table = new Map<string, Recorded>();
  private readonly atStart: TranscriptUrc[] = [];
  private readonly hosts = new Set<(bytes: Buffer) => void>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private echo = true;
  private lineBuf = "";
  /** Replies go out in order: a late one holds back the next, as on a real line. */
  private busyUntil = 0;
  private started = false;

  constructor(readonly transcript: Transcript) {
    let last: Recorded | null = null;
    for (const entry of transcript.entries) {
      if (isCommand(entry)) {
        const key = keyOf(entry.command);
        const rec = this.table.get(key) ?? { replies: [], after: [], used: 0 };
        rec.replies.push(entry);
        rec.after.push([]);
        this.table.set(key, rec);
        last = rec;
      } else if (last) last.after[last.replies.length - 1]!.push(entry);
      else this.atStart.push(entry);
    }
  }

  attachHost(sink: (bytes: Buffer) => void): () => void {
    this.hosts.add(sink);
    if (!this.started) {
      this.started = true;
      this.emitUrcs(this.atStart, 0);
    }
    return () => this.hosts.delete(sink);
  }

  /** Stops every pending reply and unsolicited line. */
  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /** The command lines the host sent, oldest first. */
  received(): string[] {
    return this.log.filter((e) => e.dir === "in").map((e) => e.text);
  }

  input(chunk: Uint8Array | string): void {
    const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("latin1");
    for (const c of text) {
      if (c === "\r") {
        const line = this.lineBuf;
        this.lineBuf = "";
        if (this.echo) this.write(`${line}\r`, 0);
        this.execute(line);
      } else if (c === "\x1a" || c === "\x1b") {
        // A body after a prompt: the transcript's next reply to the command stands for it.
        this.lineBuf = "";
      } else if (c !== "\n") this.lineBuf += c;
    }
  }

  private execute(raw: string): void {
    const line = raw.trim();
    if (!/^AT/i.test(line)) return;
    this.record("in", line);
    const key = keyOf(line);
    if (/^ATE[01]?$/.test(key)) this.echo = key === "ATE1";
    const rec = this.table.get(key);
    if (!rec) {
      // Echo control and a bare AT work on any module, recorded or not.
      const fallback = /^AT(E[01]?)?$/.test(key) ? "\r\nOK\r\n" : (this.transcript.unknown ?? "\r\nERROR\r\n");
      this.write(fallback, 0);
      return;
    }
    const at = Math.min(rec.used, rec.replies.length - 1);
    const first = rec.used < rec.replies.length;
    rec.used++;
    const entry = rec.replies[at]!;
    const delay = this.write(entry.reply, entry.delayMs ?? 0);
    // Unsolicited lines fall where they were recorded, and only the first time.
    if (first) this.emitUrcs(rec.after[at]!, delay);
  }

  private emitUrcs(urcs: readonly TranscriptUrc[], fromMs: number): void {
    let at = fromMs;
    for (const u of urcs) {
      at += u.delayMs ?? 0;
      this.later(at, () => this.send(u.urc));
    }
  }

  /** Writes after `delayMs`, in order behind any reply still pending; returns when it goes out. */
  private write(text: string, delayMs: number): number {
    const now = Date.now();
    const due = Math.max(now + delayMs, this.busyUntil);
    this.busyUntil = due;
    const wait = due - now;
    this.later(wait, () => this.send(text));
    return wait;
  }

  private later(ms: number, fn: () => void): void {
    if (ms <= 0) {
      // Still asynchronous: a real line never answers inside the host's write call.
      const t = setTimeout(() => (this.timers.delete(t), fn()), 0);
      this.timers.add(t);
      return;
    }
    const t = setTimeout(() => (this.timers.delete(t), fn()), ms);
    this.timers.add(t);
  }

  private send(text: string): void {
    this.record("out", text);
    const bytes = Buffer.from(text, "latin1");
    for (const host of this.hosts) host(bytes);
  }

  private record(dir: "in" | "out", text: string): void {
    this.log.push({ at: new Date().toISOString(), dir, text });
    if (this.log.length > LOG_LIMIT) this.log.splice(0, this.log.length - LOG_LIMIT);
  }
}
