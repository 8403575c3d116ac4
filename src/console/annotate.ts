/**
 * What the AT console adds under a modem's lines for a person: PDUs decoded, USSD decoded,
 * error codes named. Pure: lines in, notes out.
 */
import { parseFinalResult } from "../../protocol/at/final-result";
import { describeModemError } from "../../protocol/at/errors";
import { decodeSmsPdu } from "../../protocol/sms/decode";
import { decodeCusd } from "../../protocol/ussd/decode";

const PDU_LINE = /^(?:[0-9A-Fa-f]{2}){8,}$/;

/** A one-line summary of an SMS PDU, or null when the line is not one. */
export const describePdu = (line: string): string | null => {
  if (!PDU_LINE.test(line)) return null;
  const pdu = decodeSmsPdu(line, { hasSmsc: true });
  if (!pdu.ok) return `not a readable PDU: ${pdu.error.reason}`;
  const v = pdu.value;
  const part = v.concat ? ` part ${v.concat.seq}/${v.concat.total} (ref ${v.concat.ref})` : "";
  if (v.type === "SMS-STATUS-REPORT") return `status report for reference ${v.mr}: ${v.status === 0 ? "delivered" : `status 0x${(v.status ?? 0).toString(16)}`} to ${v.number}`;
  const who = v.type === "SMS-DELIVER" ? `from ${v.number}` : `to ${v.number}`;
  return `${v.type} ${who}${part} [${v.alphabet}]${v.scts ? ` at ${v.scts}` : ""}: ${JSON.stringify(v.text)}`;
};

const USSD_ENDINGS: Readonly<Record<number, string>> = {
  2: "the network released the session",
  3: "another local client answered",
  4: "operation not supported by the network",
  5: "the network timed out",
};

/** Notes for one line of modem output. */
export const annotate = (line: string): string[] => {
  const pdu = describePdu(line);
  if (pdu) return [pdu];
  if (/^\+CUSD:/i.test(line)) {
    // The console sets no +CSCS of its own: the modem's default, usually IRA or GSM.
    const reply = decodeCusd(line, "GSM");
    if (!reply.ok) return [];
    const { status, text } = reply.value;
    // 27.007 7.15 <m>: 2, 4 and 5 end the exchange, usually without a text; an empty text
    // would read as a blank answer, so the status is said in words.
    const ended = USSD_ENDINGS[status];
    if (ended && !text) return [`USSD (${status}): ${ended}`];
    return [`USSD (${status}): ${JSON.stringify(text)}${ended ? ` -- ${ended}` : ""}`];
  }
  const final = parseFinalResult(line);
  const error = final ? describeModemError(final) : null;
  if (error && error.code !== null) return [`${error.family} error ${error.code}: ${error.name}${error.retryable ? " (a retry may help)" : ""}`];
  return [];
};
