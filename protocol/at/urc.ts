/**
 * Unsolicited result codes: what a line means when it arrives outside (or in the middle of)
 * a command's reply. Several codes are also replies (`+CREG:` answers `AT+CREG?`, `+CUSD:`
 * answers `AT+CUSD` and may arrive before or after its OK); the table says which command
 * they answer so the AT port can hand such a line to the command, to subscribers, or both.
 */
export type UrcKind =
  | "sms-stored" // +CMTI
  | "sms-delivered" // +CMT (PDU or text on the next line)
  | "status-report" // +CDS (PDU mode: PDU on the next line)
  | "status-report-stored" // +CDSI
  | "ring" // RING
  | "ring-typed" // +CRING
  | "caller-id" // +CLIP
  | "call-waiting" // +CCWA
  | "ussd" // +CUSD
  | "registration" // +CREG/+CGREG/+CEREG/+C5GREG
  | "sim-state" // +CPIN
  | "signal" // ^RSSI, +CSQ as URC on some SIMCom firmwares
  | "boot" // ^BOOT (Huawei heartbeat)
  | "mode" // ^MODE (Huawei system mode)
  | "system-start" // ^SYSSTART
  | "vendor-indication" // +QIND (Quectel)
  | "ready" // RDY (module booted)
  | "sms-ready" // SMS Ready (SIMCom)
  | "call-ready" // Call Ready (SIMCom)
  | "call-ended"; // NO CARRIER etc. while no dial is in flight

export interface UrcRule {
  readonly kind: UrcKind;
  readonly match: RegExp;
  /** A command whose reply this line can also be; the line then goes to that command. */
  readonly answers?: RegExp;
  /** The command may wait for it after its OK (only +CUSD does). */
  readonly alsoAfterFinal?: boolean;
}

export const URC_RULES: readonly UrcRule[] = [
  { kind: "sms-stored", match: /^\+CMTI:/i },
  { kind: "sms-delivered", match: /^\+CMT:/i },
  { kind: "status-report-stored", match: /^\+CDSI:/i },
  { kind: "status-report", match: /^\+CDS:/i },
  { kind: "ring", match: /^RING$/i },
  { kind: "ring-typed", match: /^\+CRING:/i },
  { kind: "caller-id", match: /^\+CLIP:/i, answers: /^AT\+CLIP\?/i },
  { kind: "call-waiting", match: /^\+CCWA:/i, answers: /^AT\+CCWA[?=]/i },
  { kind: "ussd", match: /^\+CUSD:/i, answers: /^AT\+CUSD(=|\?)/i, alsoAfterFinal: true },
  { kind: "registration", match: /^\+CREG:/i, answers: /^AT\+CREG\?/i },
  { kind: "registration", match: /^\+CGREG:/i, answers: /^AT\+CGREG\?/i },
  { kind: "registration", match: /^\+CEREG:/i, answers: /^AT\+CEREG\?/i },
  { kind: "registration", match: /^\+C5GREG:/i, answers: /^AT\+C5GREG\?/i },
  { kind: "sim-state", match: /^\+CPIN:/i, answers: /^AT\+CPIN\?/i },
  { kind: "signal", match: /^\^RSSI:/i },
  { kind: "boot", match: /^\^BOOT:/i },
  { kind: "mode", match: /^\^MODE:/i },
  { kind: "system-start", match: /^\^SYSSTART/i },
  { kind: "vendor-indication", match: /^\+QIND:/i },
  { kind: "ready", match: /^RDY$/i },
  { kind: "sms-ready", match: /^SMS READY$/i },
  { kind: "call-ready", match: /^CALL READY$/i },
  { kind: "call-ended", match: /^(NO CARRIER|BUSY|NO ANSWER)$/i },
];

export interface UrcClass {
  readonly kind: UrcKind;
  /** The line answers the command in flight (and is a URC only if nobody asked). */
  readonly answersPending: boolean;
  readonly alsoAfterFinal: boolean;
  /** The next line belongs to this code (PDU or text of +CMT / PDU-mode +CDS). */
  readonly bodyFollows: boolean;
}

/**
 * Classifies a line; `pendingCommand` is the command line in flight, if any. Returns null
 * for lines that are not unsolicited codes (information lines of a reply).
 */
export const classifyUrc = (line: string, pendingCommand?: string): UrcClass | null => {
  const text = line.trim();
  for (const rule of URC_RULES) {
    if (!rule.match.test(text)) continue;
    if (rule.kind === "call-ended" && pendingCommand && /^AT[DA]/i.test(pendingCommand)) return null;
    return {
      kind: rule.kind,
      answersPending: !!(pendingCommand && rule.answers?.test(pendingCommand)),
      alsoAfterFinal: rule.alsoAfterFinal ?? false,
      bodyFollows: bodyFollows(rule.kind, text),
    };
  }
  return null;
};

// +CMT always has a body line. +CDS has one only in PDU mode, where its sole parameter is
// the length (gammu-smsd saw "+CDS:25" without the space); text mode lists the report inline.
const bodyFollows = (kind: UrcKind, text: string): boolean =>
  kind === "sms-delivered" || (kind === "status-report" && /^\+CDS:\s*\d+\s*$/i.test(text));

export interface Urc {
  readonly kind: UrcKind;
  readonly line: string;
  /** The PDU or text line of +CMT / PDU-mode +CDS. */
  readonly body: string | null;
}

/**
 * Joins a URC header with its body line. Feed it the lines that are not part of a reply;
 * it holds a +CMT/+CDS header until the next line arrives.
 */
export class UrcCollector {
  private held: { kind: UrcKind; line: string } | null = null;

  /** Returns the completed URC, or null when the line was held or is not a URC. */
  push(line: string): Urc | null {
    if (this.held) {
      const urc = { ...this.held, body: line.trim() };
      this.held = null;
      return urc;
    }
    const cls = classifyUrc(line);
    if (!cls) return null;
    if (cls.bodyFollows) {
      this.held = { kind: cls.kind, line: line.trim() };
      return null;
    }
    return { kind: cls.kind, line: line.trim(), body: null };
  }

  get waitingForBody(): boolean {
    return this.held !== null;
  }
}
