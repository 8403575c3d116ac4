/**
 * The console's messages on its WebSocket (`/console/ws`), one JSON object per text frame.
 * The panel's terminal page and `simgate console --service` speak the same messages, so
 * both reach a modem through the one path the service has to it: the modem actor's queue.
 *
 * The client opens `/console/ws?device=<id>&modem=<n>` (or `?card=<ICCID or number>`),
 * signed in by the panel's session cookie (its Origin must be this host) or by an API key
 * (`Authorization: Bearer <key>` or `x-api-key`). The first frame from the service is
 * `hello`; a refused attachment is answered with a `bye` and the socket is closed.
 */

/** Where the session is attached. */
export interface ConsoleModem {
  readonly device: string;
  /** 1-based within its device. */
  readonly modem: number;
  /** The port: a device path, tcp:// address or sim:// name. */
  readonly target: string;
  /** The card on it now (null while none is read). */
  readonly iccid: string | null;
  readonly number: string | null;
  /** The host that drives the modem. */
  readonly host: string;
}

/** An exclusive lease: while it stands, the scheduler neither switches the modem's SIMs nor routes jobs to it. */
export interface ConsoleLease {
  readonly device: string;
  readonly modem: number;
  /** The user who holds it. */
  readonly holder: string;
  /** ISO time it ends by itself. */
  readonly until: string;
  /** Held by this session's user. */
  readonly mine: boolean;
}

/** A note a person reads under a line: a PDU decoded, an error code named, a level in dBm. */
export type Notes = readonly string[];

export type ServerMessage =
  | {
      readonly type: "hello";
      readonly session: string;
      readonly modem: ConsoleModem;
      readonly user: { readonly name: string; readonly role: string };
      /** Viewers watch: their lines are refused. */
      readonly mayType: boolean;
      readonly lease: ConsoleLease | null;
      /** The user's hot buttons (their own, or the defaults). */
      readonly buttons: readonly string[];
      /** The user's earlier lines, newest last (for up/down arrows and search). */
      readonly history: readonly string[];
    }
  /** The whole reply to line `id`, with its timing. `ok` false: the modem answered an error (its code and class in `error`). */
  | {
      readonly type: "reply";
      readonly id: string;
      readonly command: string;
      readonly lines: readonly string[];
      /** The final result as the modem printed it (OK, ERROR, +CME ERROR: 10, ...). */
      readonly final: string;
      readonly ok: boolean;
      readonly error: { readonly family: string; readonly code: number | null; readonly name: string; readonly retryable: boolean } | null;
      readonly ms: number;
      /** Notes per line of `lines` (same index), then the final's under `finalNotes`. */
      readonly notes: readonly Notes[];
      readonly finalNotes: Notes;
    }
  /** Line `id` got no answer, or the port failed under it. */
  | { readonly type: "failed"; readonly id: string; readonly command: string; readonly reason: string; readonly ms: number }
  /** An unsolicited code from the modem, as it arrived (epoch ms). */
  | { readonly type: "urc"; readonly line: string; readonly body: string | null; readonly notes: Notes; readonly at: number }
  /** Line `id` needs an explicit confirmation: send it again with `confirm: true`. */
  | { readonly type: "confirm"; readonly id: string; readonly command: string; readonly reason: string }
  /** Line `id` runs, but changes what the service relies on (it is set back afterwards). */
  | { readonly type: "warning"; readonly id: string; readonly text: string }
  /** Line `id` (or the request) was not run. */
  | { readonly type: "refused"; readonly id: string | null; readonly reason: string }
  /** Something the service did on the session's behalf (settings re-asserted, an SMS recorded). */
  | { readonly type: "info"; readonly id: string | null; readonly text: string }
  | { readonly type: "lease"; readonly lease: ConsoleLease | null }
  /** The port or the actor changed state (resyncing, gone, the modem restarted, reconnected). */
  | { readonly type: "port"; readonly state: string; readonly detail: string }
  | { readonly type: "transcript"; readonly transcript: ConsoleTranscript }
  | { readonly type: "buttons"; readonly buttons: readonly string[] }
  /** The session ends (the reason is for a person); the socket closes after it. */
  | { readonly type: "bye"; readonly reason: string };

export type ClientMessage =
  /**
   * One AT line. `body`: for AT+CMGS/AT+CMGW, what follows the `> ` prompt (Ctrl-Z is added).
   * `timeoutMs`: this line's own limit instead of its class's.
   */
  | { readonly type: "line"; readonly id: string; readonly text: string; readonly body?: string; readonly confirm?: boolean; readonly timeoutMs?: number }
  /** Takes (or extends) the exclusive lease for this many minutes. */
  | { readonly type: "lease"; readonly minutes: number }
  | { readonly type: "release" }
  /** An admin ends whoever's lease stands on the modem. */
  | { readonly type: "break" }
  /** Asks for the session's transcript so far (answered with `transcript`). */
  | { readonly type: "transcript" }
  /** Saves the user's hot buttons. */
  | { readonly type: "buttons"; readonly buttons: readonly string[] };

/**
 * A session's record in the shape the simulator's replay personality reads
 * (hil/modem/replay.ts): each command with the reply bytes after the echo, unsolicited lines
 * where they fell. `at` and `ms` are kept for a person; the replay ignores them.
 */
export interface ConsoleTranscript {
  readonly name: string;
  readonly description: string;
  readonly source: string;
  readonly entries: ReadonlyArray<{ readonly command: string; readonly reply: string; readonly delayMs?: number; readonly at: number } | { readonly urc: string; readonly at: number }>;
}

/** The hot buttons a user starts with. */
export const DEFAULT_BUTTONS: readonly string[] = ["AT+CSQ", "AT+CREG?", "AT+COPS?", "AT+CPIN?", "ATI", "AT+CMGL=4"];

export const CONSOLE_PATH = "/console/ws";
