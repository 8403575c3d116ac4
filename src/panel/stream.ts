/**
 * The live stream: one server-sent-event stream per tab, from the commit-safe event feed
 * (src/events/feed.ts), so it carries every host's events in an order that never skips one.
 * Each event's SSE id is its feed position: a browser that lost the connection reconnects
 * with Last-Event-ID and continues after the last event it got. A tab that connects for the
 * first time starts where its page was rendered (`after`), so nothing that happened while the
 * page loaded is missed. The session is checked again while the stream is open: when it
 * ends, the tab is told (`signed-out`) and the stream closes.
 *
 * One poller per process reads the feed for every open tab: N tabs cost one query per tick
 * (and one session check per `sessionCheckMs` for all of them), not N. A tab that resumes
 * from further back reads what it missed by itself, then joins the shared reads.
 *
 * The feed only hands out an event once every transaction older than it has ended, and a
 * transaction is "older" across the whole PostgreSQL server: one left open for 30 s by
 * anyone (a job holding a card lock, another program on the same server) holds every event
 * back for 30 s. A page would then show an unplugged modem as online until then, though its
 * state is already in the database. So each tick also looks at events committed since the
 * last tick whatever their feed position, and tells the tabs concerned that something
 * changed (`changed`, no id: the page fetches its live region again; resumption is still by
 * the settled feed alone, so nothing is skipped or repeated).
 *
 * LISTEN/NOTIFY is not used: the embedded database has no second connection to listen on,
 * and one cheap query per tick for the whole process is what a poll costs.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { sql, type Kysely } from "kysely";
import { feedEnd, formatPosition, parsePosition, type FeedEvent, type FeedPosition } from "../events/feed";
import { IDLE_MINUTES, ABSOLUTE_HOURS } from "../access/sessions";
import type { Database } from "../store/schema";
import type { PanelContext } from "./context";
import { securityHeaders } from "./http";
import { logNow } from "../log/logger";

export interface StreamOptions {
  readonly pollMs: number;
  readonly sessionCheckMs: number;
  /** What the browser waits before reconnecting after a drop. */
  readonly retryMs: number;
}

export const DEFAULT_STREAM_OPTIONS: StreamOptions = { pollMs: 300, sessionCheckMs: 5_000, retryMs: 1_000 };

const BATCH = 200;
/** Committed events looked at per tick for the change hint; a burst beyond it still hints. */
const FRESH_LIMIT = 500;
const HEARTBEAT_MS = 15_000;

export interface LiveStreams {
  readonly serve: (ctx: PanelContext, req: IncomingMessage, res: ServerResponse, sessionId: string, devices: ReadonlySet<string> | null) => Promise<void>;
  /** Cuts every open stream (as a network drop would); browsers reconnect on their own. */
  readonly dropAll: () => number;
  readonly open: () => number;
  /** Feed reads the shared poller has made (tests count them against the tabs open). */
  readonly reads: () => number;
}

interface Tab {
  readonly res: ServerResponse;
  readonly sessionId: string;
  readonly devices: ReadonlySet<string> | null;
  /** The last event written to it. */
  position: FeedPosition;
  /** While it reads what it missed by itself: the shared reads wait here. */
  backlog: FeedEvent[][] | null;
  lastWrite: number;
  readonly close: () => void;
}

const after = (a: FeedPosition, b: FeedPosition) => a.txid > b.txid || (a.txid === b.txid && a.id > b.id);

const sees = (tab: Tab, device: string | null) => tab.devices === null || (device !== null && tab.devices.has(device));

interface Tick {
  readonly settled: FeedEvent[];
  readonly fresh: ReadonlyArray<{ readonly id: number; readonly device: string | null }>;
}

/** The settled events after `from` and the events committed after id `freshAfter`, in one round trip. */
const readTick = async (db: Kysely<Database>, from: FeedPosition, freshAfter: number): Promise<Tick> => {
  const rows = await sql<{ part: "s" | "f"; id: string | number; txid: string | number | null; type: string | null; device: string | null; iccid: string | null; payload: unknown; at: Date | null }>`
    (select 's' as part, id, txid, type, device, iccid, payload, at from events
      where (txid, id) > (${from.txid}::bigint, ${from.id}::bigint)
        and txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint
      order by txid, id
      limit ${BATCH})
    union all
    (select 'f', id, null, null, device, null, null, null from events
      where id > ${freshAfter}::bigint
      order by id
      limit ${FRESH_LIMIT})`.execute(db);
  const settled: FeedEvent[] = [];
  const fresh: Array<{ id: number; device: string | null }> = [];
  for (const r of rows.rows) {
    if (r.part === "s") settled.push({ id: Number(r.id), txid: Number(r.txid), type: r.type!, device: r.device, iccid: r.iccid, payload: r.payload, at: r.at! });
    else fresh.push({ id: Number(r.id), device: r.device });
  }
  // Both halves of a union come back in the order of each; settled is in feed order.
  settled.sort((a, b) => a.txid - b.txid || a.id - b.id);
  return { settled, fresh };
};

const readSettled = async (db: Kysely<Database>, from: FeedPosition, upTo: FeedPosition): Promise<FeedEvent[]> => {
  const rows = await sql<FeedEvent>`
    select id, txid, type, device, iccid, payload, at from events
    where (txid, id) > (${from.txid}::bigint, ${from.id}::bigint) and (txid, id) <= (${upTo.txid}::bigint, ${upTo.id}::bigint)
    order by txid, id
    limit ${BATCH}`.execute(db);
  return rows.rows.map((r) => ({ ...r, id: Number(r.id), txid: Number(r.txid) }));
};

const aliveSessions = async (db: Kysely<Database>, ids: readonly string[]): Promise<Set<string>> => {
  const rows = await db
    .selectFrom("panel_sessions")
    .select("id")
    .where("id", "in", ids)
    .where(sql<boolean>`last_seen_at > now() - ${`${IDLE_MINUTES} minutes`}::interval`)
    .where(sql<boolean>`created_at > now() - ${`${ABSOLUTE_HOURS} hours`}::interval`)
    .execute();
  return new Set(rows.map((r) => r.id));
};

export const liveStreams = (options: StreamOptions = DEFAULT_STREAM_OPTIONS): LiveStreams => {
  const tabs = new Set<Tab>();
  let reads = 0;
  // The shared poller: where it has read the settled feed up to, and the newest event id it
  // has looked at for the change hint. Null while no tab is open: no queries when idle.
  let state: { head: FeedPosition; freshAfter: number } | null = null;
  let starting: Promise<void> | null = null;
  let running = false;

  const write = (tab: Tab, text: string) => {
    tab.res.write(text);
    tab.lastWrite = Date.now();
  };

  const deliver = (tab: Tab, events: readonly FeedEvent[]) => {
    for (const e of events) {
      const position = { txid: e.txid, id: e.id };
      if (!after(position, tab.position)) continue;
      tab.position = position;
      // Events of devices the user may not see, and those of no device (an unattributed
      // message), are passed over for all but admins; the position still advances.
      if (!sees(tab, e.device)) continue;
      write(tab, `id: ${formatPosition(position)}\nevent: feed\ndata: ${JSON.stringify({ type: e.type, device: e.device, iccid: e.iccid, at: e.at, payload: e.payload })}\n\n`);
    }
  };

  const run = async (db: Kysely<Database>, s: { head: FeedPosition; freshAfter: number }) => {
    let lastSessionCheck = Date.now();
    let failing = false;
    while (tabs.size > 0) {
      let full = false;
      try {
        const tick = await readTick(db, s.head, s.freshAfter);
        reads++;
        failing = false;
        if (tick.settled.length > 0) s.head = { txid: tick.settled.at(-1)!.txid, id: tick.settled.at(-1)!.id };
        if (tick.fresh.length > 0) s.freshAfter = tick.fresh.at(-1)!.id;
        full = tick.settled.length === BATCH;
        const delivered = new Set(tick.settled.map((e) => e.id));
        const changed = tick.fresh.filter((f) => !delivered.has(f.id));
        for (const tab of tabs) {
          if (tab.backlog) tab.backlog.push(tick.settled);
          else deliver(tab, tick.settled);
          if (changed.some((f) => sees(tab, f.device))) write(tab, `event: changed\ndata: {}\n\n`);
        }
        if (Date.now() - lastSessionCheck >= options.sessionCheckMs && tabs.size > 0) {
          lastSessionCheck = Date.now();
          const alive = await aliveSessions(db, [...new Set([...tabs].map((t) => t.sessionId))]);
          for (const tab of [...tabs])
            if (!alive.has(tab.sessionId)) {
              tab.res.write(`event: signed-out\ndata: {}\n\n`);
              tab.close();
            }
        }
        for (const tab of tabs) if (Date.now() - tab.lastWrite >= HEARTBEAT_MS) write(tab, ": still here\n\n");
      } catch (error) {
        // The database away: the tabs stay open and the read is tried again; said once.
        if (!failing) logNow("warning", `panel live stream: ${error instanceof Error ? error.message : String(error)}`);
        failing = true;
      }
      if (!full) await new Promise((r) => setTimeout(r, failing ? Math.max(options.pollMs, 1_000) : options.pollMs));
    }
  };

  /** Where the shared reads stand, starting them from the feed's end when no tab was open. */
  const shared = async (db: Kysely<Database>) => {
    if (!state) {
      starting ??= (async () => {
        const [head, newest] = await Promise.all([feedEnd(db), db.selectFrom("events").select(sql<string | null>`max(id)`.as("id")).executeTakeFirst()]);
        state = { head, freshAfter: Number(newest?.id ?? 0) };
      })().finally(() => (starting = null));
      await starting;
    }
    return state!;
  };

  /** Runs the shared reads while any tab is open. */
  const kick = (db: Kysely<Database>) => {
    if (running || !state) return;
    running = true;
    void run(db, state).finally(() => {
      running = false;
      // Read again from the feed's end when the next tab opens.
      if (tabs.size === 0) state = null;
      else kick(db);
    });
  };

  const serve: LiveStreams["serve"] = async (ctx, req, res, sessionId, devices) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const header = req.headers["last-event-id"];
    const asked = parsePosition(Array.isArray(header) ? header[0] : header) ?? parsePosition(url.searchParams.get("after"));
    // Where the shared reads are now: this tab gets every event after it from them, and
    // reads what lies between its own position and there by itself.
    const head = (await shared(ctx.db)).head;
    const position = asked ?? head;
    res.writeHead(200, { ...securityHeaders, "content-type": "text/event-stream; charset=utf-8", "x-accel-buffering": "no", connection: "keep-alive" });
    res.write(`retry: ${options.retryMs}\n: resuming after ${formatPosition(position)}\n\n`);
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    let closed = false;
    const tab: Tab = {
      res,
      sessionId,
      devices,
      position,
      backlog: after(head, position) ? [] : null,
      lastWrite: Date.now(),
      close: () => {
        if (closed) return;
        closed = true;
        tabs.delete(tab);
        res.end();
        done();
      },
    };
    tabs.add(tab);
    kick(ctx.db);
    req.once("close", tab.close);
    res.once("close", tab.close);
    if (tab.backlog) {
      try {
        for (;;) {
          const missed = await readSettled(ctx.db, tab.position, head);
          if (closed) break;
          deliver(tab, missed);
          if (missed.length < BATCH) break;
        }
        for (const batch of tab.backlog) deliver(tab, batch);
      } catch (error) {
        // A stream cut meanwhile has no one to tell; otherwise the caller logs it.
        if (!closed) {
          tab.close();
          throw error;
        }
      } finally {
        tab.backlog = null;
      }
    }
    return finished;
  };

  return {
    serve,
    dropAll: () => {
      const n = tabs.size;
      for (const tab of [...tabs]) {
        tab.res.destroy();
        tab.close();
      }
      return n;
    },
    open: () => tabs.size,
    reads: () => reads,
  };
};
