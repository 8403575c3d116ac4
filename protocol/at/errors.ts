import type { FinalResult } from "./final-result";

/**
 * +CME ERROR codes (27.007 clause 9.2) and +CMS ERROR codes (27.005 clause 3.2.5), with
 * names, and whether retrying the same operation later can help. Every modem error reaches
 * users with its code and name, never as a bare "ERROR 500".
 */
export const CME_ERRORS: Readonly<Record<number, string>> = {
  0: "phone failure",
  1: "no connection to phone",
  2: "phone-adaptor link reserved",
  3: "operation not allowed",
  4: "operation not supported",
  5: "PH-SIM PIN required",
  6: "PH-FSIM PIN required",
  7: "PH-FSIM PUK required",
  10: "SIM not inserted",
  11: "SIM PIN required",
  12: "SIM PUK required",
  13: "SIM failure",
  14: "SIM busy",
  15: "SIM wrong",
  16: "incorrect password",
  17: "SIM PIN2 required",
  18: "SIM PUK2 required",
  20: "memory full",
  21: "invalid index",
  22: "not found",
  23: "memory failure",
  24: "text string too long",
  25: "invalid characters in text string",
  26: "dial string too long",
  27: "invalid characters in dial string",
  30: "no network service",
  31: "network timeout",
  32: "network not allowed - emergency calls only",
  40: "network personalization PIN required",
  41: "network personalization PUK required",
  42: "network subset personalization PIN required",
  43: "network subset personalization PUK required",
  44: "service provider personalization PIN required",
  45: "service provider personalization PUK required",
  46: "corporate personalization PIN required",
  47: "corporate personalization PUK required",
  100: "unknown",
  103: "illegal MS",
  106: "illegal ME",
  107: "GPRS services not allowed",
  111: "PLMN not allowed",
  112: "location area not allowed",
  113: "roaming not allowed in this location area",
  148: "unspecified GPRS error",
  149: "PDP authentication failure",
  150: "invalid mobile class",
};

export const CMS_ERRORS: Readonly<Record<number, string>> = {
  1: "unassigned (unallocated) number",
  8: "operator determined barring",
  10: "call barred",
  21: "short message transfer rejected",
  27: "destination out of service",
  28: "unidentified subscriber",
  29: "facility rejected",
  30: "unknown subscriber",
  38: "network out of order",
  41: "temporary failure",
  42: "congestion",
  47: "resources unavailable, unspecified",
  50: "requested facility not subscribed",
  69: "requested facility not implemented",
  81: "invalid short message transfer reference value",
  95: "invalid message, unspecified",
  96: "invalid mandatory information",
  97: "message type non-existent or not implemented",
  98: "message not compatible with short message protocol state",
  99: "information element non-existent or not implemented",
  111: "protocol error, unspecified",
  127: "interworking, unspecified",
  128: "telematic interworking not supported",
  129: "short message type 0 not supported",
  130: "cannot replace short message",
  143: "unspecified TP-PID error",
  144: "data coding scheme (alphabet) not supported",
  145: "message class not supported",
  159: "unspecified TP-DCS error",
  160: "command cannot be actioned",
  161: "command unsupported",
  175: "unspecified TP-Command error",
  176: "TPDU not supported",
  192: "SC busy",
  193: "no SC subscription",
  194: "SC system failure",
  195: "invalid SME address",
  196: "destination SME barred",
  197: "SM rejected - duplicate SM",
  198: "TP-VPF not supported",
  199: "TP-VP not supported",
  208: "SIM SMS storage full",
  209: "no SMS storage capability in SIM",
  210: "error in MS",
  211: "memory capacity exceeded",
  212: "SIM application toolkit busy",
  213: "SIM data download error",
  255: "unspecified error cause",
  300: "ME failure",
  301: "SMS service of ME reserved",
  302: "operation not allowed",
  303: "operation not supported",
  304: "invalid PDU mode parameter",
  305: "invalid text mode parameter",
  310: "SIM not inserted",
  311: "SIM PIN required",
  312: "PH-SIM PIN required",
  313: "SIM failure",
  314: "SIM busy",
  315: "SIM wrong",
  316: "SIM PUK required",
  317: "SIM PIN2 required",
  318: "SIM PUK2 required",
  320: "memory failure",
  321: "invalid memory index",
  322: "memory full",
  330: "SMSC address unknown",
  331: "no network service",
  332: "network timeout",
  340: "no +CNMA acknowledgement expected",
  500: "unknown error",
};

// Congestion, network trouble, busy SIM or SMSC, timeouts: the same request may succeed later.
const CMS_RETRYABLE = new Set([38, 41, 42, 47, 192, 212, 314, 331, 332, 500]);
const CME_RETRYABLE = new Set([14, 30, 31, 100]);

export interface ModemError {
  readonly family: "CME" | "CMS" | "ERROR";
  readonly code: number | null;
  readonly name: string;
  readonly retryable: boolean;
  /** As the modem printed it, e.g. `+CMS ERROR: 500`. */
  readonly text: string;
}

/** Describes a failing final result; null for success results. */
export const describeModemError = (result: FinalResult): ModemError | null => {
  switch (result.kind) {
    case "cme-error":
    case "cms-error": {
      const family = result.kind === "cme-error" ? "CME" : "CMS";
      const table = family === "CME" ? CME_ERRORS : CMS_ERRORS;
      const retry = family === "CME" ? CME_RETRYABLE : CMS_RETRYABLE;
      const name = result.code !== null ? (table[result.code] ?? "unlisted error") : result.text;
      return {
        family,
        code: result.code,
        name,
        retryable: result.code !== null && retry.has(result.code),
        text: `+${family} ERROR: ${result.code ?? result.text}`,
      };
    }
    case "error":
      return { family: "ERROR", code: null, name: "error", retryable: false, text: "ERROR" };
    case "no-carrier":
    case "busy":
    case "no-answer":
    case "no-dialtone": {
      const text = result.kind.toUpperCase().replace("-", " ");
      return { family: "ERROR", code: null, name: text.toLowerCase(), retryable: true, text };
    }
    default:
      return null;
  }
};
