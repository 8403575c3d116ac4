/**
 * A bare console client for tests: the WebSocket, every message the service sent (in order),
 * and a wait for the next one that matches.
 */
import WebSocket from "ws";
import type { ClientMessage, ServerMessage } from "../../src/console/wire";

export interface TestConsole {
  readonly messages: ServerMessage[];
  readonly send: (message: ClientMessage) => void;
  /** The first message from `from` on (default: the start) that matches. */
  readonly next: <T extends ServerMessage>(match: (m: ServerMessage) => m is T, options?: { readonly from?: number; readonly timeoutMs?: number }) => Promise<T>;
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly close: () => Promise<void>;
}

export const is =
  <K extends ServerMessage["type"]>(type: K, extra: (m: Extract<ServerMessage, { type: K }>) => boolean = () => true) =>
  (m: ServerMessage): m is Extract<ServerMessage, { type: K }> =>
    m.type === type && extra(m as Extract<ServerMessage, { type: K }>);

export const openConsole = async (base: string, query: Record<string, string>, headers: Record<string, string>): Promise<TestConsole> => {
  const url = new URL(`${base.replace(/^http/, "ws")}/console/ws`);
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  const ws = new WebSocket(url, { headers });
  const messages: ServerMessage[] = [];
  const waiters = new Set<() => void>();
  ws.on("message", (data) => {
    messages.push(JSON.parse(data.toString("utf8")) as ServerMessage);
    for (const w of [...waiters]) w();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })));
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("unexpected-response", (_req, res) => reject(new Error(`refused: HTTP ${res.statusCode}`)));
    ws.once("error", reject);
  });
  const next = <T extends ServerMessage>(match: (m: ServerMessage) => m is T, options: { from?: number; timeoutMs?: number } = {}) =>
    new Promise<T>((resolve, reject) => {
      const look = () => {
        const found = messages.slice(options.from ?? 0).find(match);
        if (!found) return false;
        waiters.delete(look);
        clearTimeout(timer);
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        waiters.delete(look);
        reject(new Error(`no matching message in ${options.timeoutMs ?? 10_000} ms; got ${JSON.stringify(messages.slice(-8))}`));
      }, options.timeoutMs ?? 10_000);
      if (!look()) waiters.add(look);
    });
  return {
    messages,
    send: (message) => ws.send(JSON.stringify(message)),
    next,
    closed,
    close: async () => {
      if (ws.readyState === WebSocket.CLOSED) return;
      ws.close();
      await closed;
    },
  };
};
