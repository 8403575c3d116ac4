/**
 * Sends through the service's two APIs, as their clients call them: SimFolder's smsSend
 * (one request, answered with the sms_id) and SR-Navigator's open, wait, sendSms, close.
 * A request the service never answered (it was killed meanwhile) is "no answer", not a
 * refusal: whether it was taken is then read from the database at the end.
 */
import { API_KEY, POOL_KEY } from "./service";

export interface SendOutcome {
  /** true: taken; false: refused (nothing was queued); null: no answer, or an ambiguous one. */
  readonly accepted: boolean | null;
  readonly smsId: number | null;
  readonly answer: string;
}

const digits = (number: string) => number.replace(/\D/g, "");

const call = async (url: string, init: RequestInit & { timeoutMs: number }): Promise<{ status: number; body: string } | { error: string }> => {
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(init.timeoutMs) });
    return { status: res.status, body: await res.text() };
  } catch (error) {
    return { error: (error as Error).message };
  }
};

export const simFolderSend = async (base: string, card: { number: string }, to: string, text: string): Promise<SendOutcome> => {
  const reply = await call(`${base}/api/smsSend`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ api_key: API_KEY, number: digits(card.number), addressee: to, msg: text }),
    timeoutMs: 30_000,
  });
  if ("error" in reply) return { accepted: null, smsId: null, answer: `no answer: ${reply.error}` };
  try {
    const json = JSON.parse(reply.body) as { status?: string; sms_id?: number; error?: string; message?: string };
    if (json.status === "ok" && typeof json.sms_id === "number") return { accepted: true, smsId: json.sms_id, answer: `sms_id ${json.sms_id}` };
    // A 5xx may have come after the row was written: only a 4xx is a plain refusal.
    return { accepted: reply.status < 500 ? false : null, smsId: null, answer: `${reply.status} ${json.error ?? ""} ${json.message ?? ""}`.trim() };
  } catch {
    return { accepted: reply.status < 500 ? false : null, smsId: null, answer: `${reply.status} ${reply.body.slice(0, 200)}` };
  }
};

/**
 * SR-Navigator: a client opens the number, waits for WAIT_SMS, sends, and closes it.
 * `base` is read again before every request: the service may have been restarted meanwhile.
 */
export const srNavigatorSend = async (base: () => string | null, card: { number: string }, to: string, text: string, waitMs: number): Promise<SendOutcome> => {
  const number = digits(card.number);
  const action = async (params: Record<string, string>, timeoutMs = 20_000) => {
    const url = base();
    if (!url) return { error: "the service is down" };
    const query = new URLSearchParams({ pool_key: POOL_KEY, ...params });
    return call(`${url}/api/handler.php?${query}`, { method: "GET", timeoutMs });
  };
  // mode=repeat: a number this pool opened before (an earlier send) may be opened again.
  const opened = await action({ action: "openNumber", number, mode: "repeat" });
  if ("error" in opened) return { accepted: false, smsId: null, answer: `openNumber: ${opened.error}` };
  if (opened.body !== number) return { accepted: false, smsId: null, answer: `openNumber: ${opened.body}` };
  try {
    const deadline = Date.now() + waitMs;
    let status = "";
    while (Date.now() < deadline) {
      const reply = await action({ action: "getSimStatus", number });
      status = "error" in reply ? reply.error : reply.body;
      if (/WAIT_SMS/.test(status)) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    if (!/WAIT_SMS/.test(status)) return { accepted: false, smsId: null, answer: `never WAIT_SMS: ${status.slice(0, 120)}` };
    // sendSms answers once the modem took it, or SENDING after its own 60 s.
    const sent = await action({ action: "sendSms", number, recipient: digits(to), text }, 90_000);
    if ("error" in sent) return { accepted: null, smsId: null, answer: `sendSms: no answer: ${sent.error}` };
    const status2 = /"status":"([A-Z_]+)"/.exec(sent.body)?.[1] ?? sent.body.slice(0, 60);
    // ERROR is both "failed after queueing" and "not queued, the modem is offline".
    const accepted = status2 === "SENT" || status2 === "SENDING" ? true : status2 === "ERROR" ? null : false;
    return { accepted, smsId: null, answer: `sendSms: ${status2}` };
  } finally {
    await action({ action: "closeNumber", number });
  }
};
