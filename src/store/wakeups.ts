/**
 * Wake-ups through LISTEN/NOTIFY: a loop that waits for work (due jobs, holds to follow,
 * events to send) sleeps until the database says something changed, with a slow poll kept
 * as the fallback. Triggers (migration 0020) notify at commit on every write to the tables
 * concerned, whoever wrote them - this host, another host, or a script - so no writer has to
 * remember to.
 *
 * On PostgreSQL the listening is done on a dedicated connection (a pooled one would be handed
 * to queries and lose its LISTEN). When that connection is lost (the server restarted, an
 * administrator killed it, the network), it is opened again with a backoff and listens
 * again, and every subscriber is woken once: whatever was notified while nobody listened is
 * found by the read that follows (a wake-up carries no data, so nothing is lost with it).
 * While no connection listens, waits fall back to the fast poll. The embedded database
 * delivers its notifications in process.
 */
import type { PGlite } from "@electric-sql/pglite";
import { Duration, Effect, Option, Queue, type Scope } from "effect";
import pg from "pg";
import { logNow } from "../log/logger";

export const WAKE_CHANNELS = ["simgate_jobs", "simgate_holds", "simgate_events"] as const;
export type WakeChannel = (typeof WAKE_CHANNELS)[number];

/** Where notifications come from: a server to listen on, or the embedded database itself. */
export type WakeSource = { readonly kind: "postgres"; readonly url: string } | { readonly kind: "embedded"; readonly pglite: PGlite };

export interface Waiter {
  /**
   * Returns at the first wake-up since the last call (at once when one came meanwhile), or
   * after `maxMs`; after `fastMs` instead while nothing listens.
   */
  readonly wait: (maxMs: number) => Effect.Effect<void>;
  /** Wakes this waiter from inside the process (a run that ended frees a slot). */
  readonly poke: Effect.Effect<void>;
}

export interface Wakeups {
  readonly subscribe: (channel: WakeChannel) => Effect.Effect<Waiter, never, Scope.Scope>;
  /** True while notifications can arrive. */
  readonly listening: () => boolean;
}

export interface WakeupOptions {
  /** The poll used while no connection listens. */
  readonly fastMs?: number;
  /** Where the connection's losses (warning) and recoveries (info) are told; the service's log by default. */
  readonly log?: (line: string, level: "info" | "warning") => void;
}

const DEFAULT_FAST_MS = 500;
/** The listening connection's name in pg_stat_activity. */
export const LISTENER_NAME = "simgate-wakeups";

/** A waiter fed by `signals`: at most one wake-up is kept, however many arrived. */
const makeWaiter = (listening: () => boolean, fastMs: number) =>
  Effect.gen(function* () {
    const queue = yield* Queue.sliding<void>(1);
    const waiter: Waiter = {
      wait: (maxMs) =>
        Queue.take(queue).pipe(
          Effect.timeoutOption(Duration.millis(Math.max(0, listening() ? maxMs : Math.min(maxMs, fastMs)))),
          Effect.asVoid,
        ),
      poke: Queue.offer(queue, undefined).pipe(Effect.asVoid),
    };
    return { waiter, queue };
  });

/** No notifications at all: every wait is a poll of `maxMs` (tests that drive loops by hand). */
export const pollingOnly: Wakeups = {
  subscribe: () => Effect.map(makeWaiter(() => true, DEFAULT_FAST_MS), ({ waiter }) => waiter),
  listening: () => false,
};

export const startWakeups = (source: WakeSource, options: WakeupOptions = {}): Effect.Effect<Wakeups, never, Scope.Scope> =>
  Effect.gen(function* () {
    const fastMs = options.fastMs ?? DEFAULT_FAST_MS;
    const log = options.log ?? ((line: string, level: "info" | "warning") => logNow(level, line));
    const subscribers = new Map<WakeChannel, Set<Queue.Queue<void>>>(WAKE_CHANNELS.map((c) => [c, new Set()]));
    let listening = false;

    const signal = (channel: string) => {
      for (const queue of subscribers.get(channel as WakeChannel) ?? []) Queue.unsafeOffer(queue, undefined);
    };
    const signalAll = () => WAKE_CHANNELS.forEach(signal);

    if (source.kind === "embedded") {
      // One after another: the embedded database runs one statement at a time.
      const unsubscribe: Array<() => Promise<void>> = [];
      for (const c of WAKE_CHANNELS) unsubscribe.push(yield* Effect.promise(() => source.pglite.listen(c, () => signal(c))));
      listening = true;
      yield* Effect.addFinalizer(() => Effect.promise(() => Promise.all(unsubscribe.map((u) => u().catch(() => undefined)))));
    } else {
      yield* listenOnServer(source.url, {
        onNotification: signal,
        onListening: (again) => {
          listening = true;
          if (again) log("wakeups: listening again; waking every loop to catch up", "info");
          // Also the first time: a loop that read before the LISTEN took effect and waits
          // after it would otherwise sleep through what was committed in between.
          signalAll();
        },
        onLost: (reason) => {
          if (listening) log(`wakeups: the listening connection was lost (${reason}); polling every ${fastMs} ms until it is back`, "warning");
          listening = false;
          signalAll();
        },
      });
    }

    return {
      listening: () => listening,
      subscribe: (channel) =>
        Effect.acquireRelease(makeWaiter(() => listening, fastMs), ({ queue }) => Effect.sync(() => subscribers.get(channel)!.delete(queue))).pipe(
          Effect.tap(({ queue }) => Effect.sync(() => subscribers.get(channel)!.add(queue))),
          Effect.map(({ waiter }) => waiter),
        ),
    };
  });

interface ServerListener {
  readonly onNotification: (channel: string) => void;
  /** `again`: after a lost connection (not the first time). */
  readonly onListening: (again: boolean) => void;
  readonly onLost: (reason: string) => void;
}

/**
 * One dedicated connection that LISTENs on every channel, opened again (200 ms backoff
 * growing to 5 s) whenever it fails or is lost, until the scope closes.
 */
const listenOnServer = (url: string, listener: ServerListener): Effect.Effect<void, never, Scope.Scope> =>
  Effect.gen(function* () {
    let first = true;
    const session = Effect.async<void, Error>((resume) => {
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000, keepAlive: true, application_name: LISTENER_NAME });
      let ended = false;
      const lost = (error: Error) => {
        if (ended) return;
        ended = true;
        client.removeAllListeners("notification");
        void client.end().catch(() => undefined);
        listener.onLost(error.message);
        resume(Effect.fail(error));
      };
      client.on("error", lost);
      client.on("end", () => lost(new Error("the connection ended")));
      client.on("notification", (n) => listener.onNotification(n.channel));
      client
        .connect()
        .then(() => client.query(WAKE_CHANNELS.map((c) => `listen ${c}`).join("; ")))
        .then(() => {
          listener.onListening(!first);
          first = false;
        })
        .catch(lost);
      // Interrupted (the scope closes): ended quietly, not reported as lost.
      return Effect.sync(() => {
        ended = true;
        void client.end().catch(() => undefined);
      });
    });
    yield* Effect.gen(function* () {
      let delayMs = 200;
      for (;;) {
        const started = Date.now();
        yield* Effect.either(session);
        // A connection that listened for a while starts the backoff over.
        delayMs = Date.now() - started > 10_000 ? 200 : Math.min(delayMs * 2, 5_000);
        yield* Effect.sleep(Duration.millis(delayMs));
      }
    }).pipe(Effect.forkScoped);
  });

/** Waits `maxMs` at most, but no longer than until `dueInMs` (the next job due), when known. */
export const waitUntilDue = (waiter: Waiter, maxMs: number, dueInMs: Option.Option<number>): Effect.Effect<void> =>
  waiter.wait(Option.match(dueInMs, { onNone: () => maxMs, onSome: (ms) => Math.min(maxMs, Math.max(0, ms)) }));
