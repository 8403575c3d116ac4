/**
 * Final result codes: the lines that end a command (27.007 clause 4.2, V.250 clause 5.7).
 * `CONNECT` may carry a rate ("CONNECT 9600"); error codes carry a number or, with
 * `AT+CMEE=2`, a verbose text.
 */
export type FinalResult =
  | { readonly kind: "ok" }
  | { readonly kind: "error" }
  | { readonly kind: "cme-error"; readonly code: number | null; readonly text: string }
  | { readonly kind: "cms-error"; readonly code: number | null; readonly text: string }
  | { readonly kind: "no-carrier" }
  | { readonly kind: "busy" }
  | { readonly kind: "no-answer" }
  | { readonly kind: "no-dialtone" }
  | { readonly kind: "connect"; readonly text: string };

const SIMPLE: Record<string, FinalResult> = {
  OK: { kind: "ok" },
  ERROR: { kind: "error" },
  "NO CARRIER": { kind: "no-carrier" },
  BUSY: { kind: "busy" },
  "NO ANSWER": { kind: "no-answer" },
  "NO DIALTONE": { kind: "no-dialtone" },
  "NO DIAL TONE": { kind: "no-dialtone" },
};

const EXTENDED_ERROR = /^\+(CME|CMS) ERROR:\s*(.*)$/i;

/** Classifies a complete, trimmed line; `null` when it is not a final result. */
export const parseFinalResult = (line: string): FinalResult | null => {
  const simple = SIMPLE[line.toUpperCase()];
  if (simple) return simple;
  const ext = EXTENDED_ERROR.exec(line);
  if (ext) {
    const body = ext[2]!.trim().replace(/^"(.*)"$/, "$1");
    const code = /^\d+$/.test(body) ? Number(body) : null;
    return { kind: ext[1]!.toUpperCase() === "CME" ? "cme-error" : "cms-error", code, text: body };
  }
  if (/^CONNECT(\s|$)/i.test(line)) return { kind: "connect", text: line.slice(7).trim() };
  return null;
};

/** Renders a final result the way a modem prints it (used by the simulator and the console). */
export const formatFinalResult = (result: FinalResult): string => {
  switch (result.kind) {
    case "ok":
      return "OK";
    case "error":
      return "ERROR";
    case "cme-error":
      return `+CME ERROR: ${result.code ?? result.text}`;
    case "cms-error":
      return `+CMS ERROR: ${result.code ?? result.text}`;
    case "no-carrier":
      return "NO CARRIER";
    case "busy":
      return "BUSY";
    case "no-answer":
      return "NO ANSWER";
    case "no-dialtone":
      return "NO DIALTONE";
    case "connect":
      return result.text ? `CONNECT ${result.text}` : "CONNECT";
  }
};

export const isSuccess = (result: FinalResult): boolean =>
  result.kind === "ok" || result.kind === "connect";
