/**
 * The live stream: one server-sent-event stream per tab, from the commit-safe event feed
 * (src/events/feed.ts), so it carries every host's events in an order that never skips one.
 * Each event's SSE id is its feed position: a browser that lost the connection reconnects
 * with Last-Event-ID and continues after the last event it got. A tab that connects for the
 * first time starts where its page was rendered (`after`), so nothing that happened while the
 * page loaded is missed. The session is checked again while the stream is open: when it
 * ends, the tab is told (`signed-out`) and the stream closes.
 *
 * The feed is read every `pollMs` on the server (LISTEN/NOTIFY is not used yet); the page
 * itself never polls.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { feedEnd, formatPosition, parsePosition, readFeed, type FeedPosition } from "../events/feed";
import { sessionAlive } from "../access/sessions";
import type { PanelContext } from "./context";
import { securityHeaders } from "./http";

export interface StreamOptions {
  readonly pollMs: number;
  readonly sessionCheckMs: number;
  /** What the browser waits before reconnecting after a drop. */
  readonly retryMs: number;
}

export const DEFAULT_STREAM_OPTIONS: StreamOptions = { pollMs: 300, sessionCheckMs: 5_000, retryMs: 1_000 };

const BATCH = 200;
const HEARTBEAT_MS = 15_000;

export interface LiveStreams {
  readonly serve: (ctx: PanelContext, req: IncomingMessage, res: ServerResponse, sessionId: string, devices: ReadonlySet<string> | null) => Promise<void>;
  /** Cuts every open stream (as a network drop would); browsers reconnect on their own. */
  readonly dropAll: () => number;
  readonly open: () => number;
}

export const liveStreams = (options: StreamOptions = DEFAULT_STREAM_OPTIONS): LiveStreams => {
  // Each open stream with the function that stops its loop.
  const open = new Map<ServerResponse, () => void>();
  const serve: LiveStreams["serve"] = async (ctx, req, res, sessionId, devices) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const header = req.headers["last-event-id"];
    let position: FeedPosition = parsePosition(Array.isArray(header) ? header[0] : header) ?? parsePosition(url.searchParams.get("after")) ?? (await feedEnd(ctx.db));
    res.writeHead(200, { ...securityHeaders, "content-type": "text/event-stream; charset=utf-8", "x-accel-buffering": "no", connection: "keep-alive" });
    res.write(`retry: ${options.retryMs}\n: resuming after ${formatPosition(position)}\n\n`);
    let closed = false;
    const stop = () => {
      closed = true;
      open.delete(res);
    };
    open.set(res, stop);
    req.once("close", stop);
    res.once("close", stop);
    let lastSessionCheck = Date.now();
    let lastWrite = Date.now();
    try {
      while (!closed) {
        const events = await readFeed(ctx.db, position, BATCH);
        for (const e of events) {
          position = { txid: e.txid, id: e.id };
          // Events of devices the user may not see, and those of no device (an unattributed
          // message), are passed over for all but admins; the position still advances.
          if (devices && (e.device === null || !devices.has(e.device))) continue;
          const data = JSON.stringify({ type: e.type, device: e.device, iccid: e.iccid, at: e.at, payload: e.payload });
          res.write(`id: ${formatPosition(position)}\nevent: feed\ndata: ${data}\n\n`);
          lastWrite = Date.now();
        }
        if (closed) break;
        if (Date.now() - lastSessionCheck >= options.sessionCheckMs) {
          lastSessionCheck = Date.now();
          if (!(await sessionAlive(ctx.db, sessionId))) {
            res.write(`event: signed-out\ndata: {}\n\n`);
            break;
          }
        }
        if (Date.now() - lastWrite >= HEARTBEAT_MS) {
          res.write(": still here\n\n");
          lastWrite = Date.now();
        }
        if (events.length < BATCH) await new Promise((r) => setTimeout(r, options.pollMs));
      }
    } catch (error) {
      // A stream cut meanwhile has no one to tell; otherwise the caller logs it.
      if (!closed) throw error;
    } finally {
      stop();
      res.end();
    }
  };
  return {
    serve,
    dropAll: () => {
      const n = open.size;
      for (const [res, stop] of [...open]) {
        stop();
        res.destroy();
      }
      return n;
    },
    open: () => open.size,
  };
};
