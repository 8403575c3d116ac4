import { type FinalResult, parseFinalResult } from "./final-result";

/**
 * What a modem's byte stream means, one event at a time.
 * - `line`: an information line or an unsolicited result code (classified later, see urc.ts)
 * - `echo`: the modem repeating what we typed (ATE1)
 * - `prompt`: the `> ` that invites the PDU or text after `AT+CMGS`/`AT+CMGW`
 * - `final`: a final result code that ends the command in flight
 */
export type AtEvent =
  | { readonly kind: "line"; readonly text: string }
  | { readonly kind: "echo"; readonly text: string }
  | { readonly kind: "prompt" }
  | { readonly kind: "final"; readonly text: string; readonly result: FinalResult };

const CR = 0x0d;
const LF = 0x0a;
const GT = 0x3e;
const SPACE = 0x20;
// Ctrl-Z and ESC end or cancel the text after a prompt; modems echo them back with the PDU.
const CTRL_Z = 0x1a;
const ESC = 0x1b;

/**
 * A byte-level AT stream framer. Line readers cannot be used: the SMS prompt `> ` has no
 * terminator, so a sender waiting for it behind a readline parser deadlocks.
 *
 * The framer is a pure state machine: feed it bytes in any chunking and it yields the same
 * events (proven by a property test). Lines end at CR, LF or CRLF; blank lines vanish.
 * Bytes are read as Latin-1 so that no input can fail to decode; text payloads that are
 * really UTF-8 or UCS2-hex are interpreted by the parsers that know their charset.
 */
export class AtFramer {
  private partial: number[] = [];
  private readonly echoes: string[] = [];
  // A "> " only means the prompt after AT+CMGS/AT+CMGW: a text-mode SMS or a USSD menu can
  // hold a line starting with "> " too. Armed by the echo of such a command or by
  // expectPrompt() (ATE0), disarmed by the prompt or a final result.
  private promptArmed = false;

  /** The next `> ` is the SMS prompt (for modems that do not echo the command). */
  expectPrompt(): void {
    this.promptArmed = true;
  }

  /**
   * Tells the framer what was just written, so the modem's echo of it is recognised even
   * when it does not start with `AT` (the PDU typed after the prompt).
   */
  expectEcho(text: string): void {
    const trimmed = stripControl(text).trim();
    if (trimmed) this.echoes.push(trimmed.toUpperCase());
  }

  /** Forgets pending echoes, e.g. after a timeout and resync. */
  reset(): void {
    this.partial = [];
    this.echoes.length = 0;
    this.promptArmed = false;
  }

  /** Bytes buffered without a terminator yet (a `>` still waiting for its space, say). */
  pending(): string {
    return latin1(this.partial);
  }

  push(chunk: Uint8Array | string): AtEvent[] {
    const events: AtEvent[] = [];
    const isText = typeof chunk === "string";
    for (let i = 0; i < chunk.length; i++) {
      const b = isText ? (chunk as string).charCodeAt(i) & 0xff : (chunk as Uint8Array)[i]!;
      if (b === CR || b === LF) {
        this.endLine(events);
        continue;
      }
      this.partial.push(b);
      // The prompt is recognised at the start of a line once its space has arrived.
      if (this.promptArmed && this.partial.length === 2 && this.partial[0] === GT && this.partial[1] === SPACE) {
        this.partial = [];
        this.promptArmed = false;
        events.push({ kind: "prompt" });
      }
    }
    return events;
  }

  private endLine(events: AtEvent[]): void {
    const raw = this.partial;
    this.partial = [];
    if (this.promptArmed && raw.length === 1 && raw[0] === GT) {
      // A bare ">" line: some firmwares terminate the prompt instead of adding the space.
      this.promptArmed = false;
      events.push({ kind: "prompt" });
      return;
    }
    const text = stripControl(latin1(raw)).trim();
    if (!text) return;
    const event = this.classify(text);
    if (event) events.push(event);
  }

  private classify(text: string): AtEvent {
    const upper = text.toUpperCase();
    const echoAt = this.echoes.indexOf(upper);
    // No URC or information line starts with "AT": such a line is the echo of a command,
    // announced or not (a captured transcript, another program on the port).
    if (echoAt >= 0 || upper.startsWith("AT")) {
      if (echoAt >= 0) this.echoes.splice(0, echoAt + 1);
      if (PROMPTING.test(upper)) this.promptArmed = true;
      return { kind: "echo", text };
    }
    const result = parseFinalResult(text);
    if (result) {
      this.echoes.length = 0;
      this.promptArmed = false;
      return { kind: "final", text, result };
    }
    return { kind: "line", text };
  }
}

const PROMPTING = /^AT\+CMG[SWC]=/;

const latin1 = (bytes: number[]): string => {
  let out = "";
  // Spread in slices: a single spread of a very long line would overflow the call stack.
  for (let i = 0; i < bytes.length; i += 8192) out += String.fromCharCode(...bytes.slice(i, i + 8192));
  return out;
};

/**
 * Drops control bytes (line noise, the Ctrl-Z and ESC a modem echoes after a PDU), except
 * inside double quotes: a quoted string is text in the TE character set, and under
 * +CSCS="GSM" the default alphabet puts characters there (0x00 '@', 0x02 '$', 0x1B the
 * escape to '€' and '{', 23.038 6.2.1).
 */
const stripControl = (text: string): string => {
  if (!/[\x00-\x08\x0b\x0c\x0e-\x1f]/.test(text)) return text;
  let out = "";
  let quoted = false;
  for (const ch of text) {
    const c = ch.charCodeAt(0);
    if (c === 0x22) quoted = !quoted;
    if (!quoted && (c === CTRL_Z || c === ESC || (c < 0x20 && c !== 0x09))) continue;
    out += ch;
  }
  return out;
};

/** Frames a whole transcript at once: the reference the property test splits against. */
export const frameAll = (input: Uint8Array | string): AtEvent[] => new AtFramer().push(input);
