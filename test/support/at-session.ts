/**
 * A small AT client for tests: writes a command line and collects what comes back until a
 * final result, over any byte stream (an in-memory duplex, a serialport on a PTY, a socket).
 * It keeps everything it has read, so a test can also wait for unsolicited lines.
 */
import type { Duplex } from "node:stream";

const FINAL = /\r\n(OK|ERROR|\+CME ERROR: [^\r]*|\+CMS ERROR: [^\r]*|NO CARRIER|BUSY|NO ANSWER)\r\n$/;

export class AtSession {
  /** Everything received that no command() call has taken. */
  buffer = "";
  private waiters: (() => void)[] = [];

  constructor(readonly stream: Pick<Duplex, "write" | "on">) {
    stream.on("data", (chunk: Buffer) => {
      this.buffer += chunk.toString("latin1");
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** Resolves when `test` matches the buffer (it gets the buffer); rejects after timeoutMs. */
  waitUntil<T>(test: (buffer: string) => T | null | undefined | false, timeoutMs = 3000, what = "reply"): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const result = test(this.buffer);
        if (result) {
          clearTimeout(timer);
          resolve(result);
          return;
        }
        this.waiters.push(check);
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        reject(new Error(`timed out waiting for ${what}; buffer: ${JSON.stringify(this.buffer)}`));
      }, timeoutMs);
      check();
    });
  }

  /** Waits for a line matching `pattern` and removes everything up to it. */
  async waitForLine(pattern: RegExp, timeoutMs = 3000): Promise<string> {
    const match = await this.waitUntil((b) => b.match(new RegExp(`(?:^|\\r\\n)(${pattern.source})\\r\\n`)), timeoutMs, String(pattern));
    this.buffer = this.buffer.slice(match.index! + match[0].length);
    return match[1]!;
  }

  /** Sends `AT...` and returns the raw reply (echo included) up to and including the final result. */
  async command(line: string, timeoutMs = 3000): Promise<string> {
    this.buffer = "";
    this.stream.write(`${line}\r`);
    const reply = await this.waitUntil((b) => (FINAL.test(b) ? b : null), timeoutMs, line);
    this.buffer = "";
    return reply;
  }

  /** The information lines of a reply (no echo, no blank lines, no final result). */
  async info(line: string, timeoutMs = 3000): Promise<string[]> {
    const reply = await this.command(line, timeoutMs);
    const body = reply.startsWith(`${line}\r`) ? reply.slice(line.length + 1) : reply;
    return body.split("\r\n").filter((l) => l !== "").slice(0, -1);
  }

  /** Sends a +CMGS/+CMGW command, waits for the prompt, then the body and Ctrl-Z. */
  async withPrompt(line: string, body: string, timeoutMs = 3000): Promise<string> {
    this.buffer = "";
    this.stream.write(`${line}\r`);
    await this.waitUntil((b) => b.includes("> "), timeoutMs, "prompt");
    this.buffer = "";
    this.stream.write(`${body}\x1a`);
    const reply = await this.waitUntil((b) => (FINAL.test(b) ? b : null), timeoutMs, `${line} body`);
    this.buffer = "";
    return reply;
  }
}
