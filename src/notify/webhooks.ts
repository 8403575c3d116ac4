/**
 * Event notifications to each user's URL, durable end to end:
 *   1. Fan-out: events after the stored cursor become outbox rows for every user who turned
 *      that event on and may see its device; the rows and the new cursor commit together,
 *      so an event is queued for a user exactly once, across restarts.
 *   2. Delivery: per user, the oldest undelivered row first and nothing after it until it is
 *      delivered (each user's events arrive in order); a failure is retried with backoff
 *      (1 s doubling to 5 min), for as long as it takes.
 * Each POST carries the event's fields (form fields, or JSON when the user chose it),
 * `X-Simgate-Event`, `X-Simgate-Delivery` (the outbox id: a receiver that saw it already can
 * drop a repeat after a crash between its answer and our record) and `X-Simgate-Signature`:
 * `sha256=` + HMAC-SHA256 of the body with the user's secret.
 */
import { createHmac } from "node:crypto";
import { Duration, Effect, Option, type Scope } from "effect";
import { sql, type Kysely, type Transaction } from "kysely";
import { FEED_START, feedEnd, formatPosition, parsePosition, readFeed, type FeedPosition } from "../events/feed";
import type { Database } from "../store/schema";
import { waitUntilDue, type Wakeups } from "../store/wakeups";
import { notifySettings } from "./settings";

export interface NotifierOptions {
  /** How often to look for work (default 500 ms; 2 s with `wakeups`, as the fallback). */
  readonly pollMs?: number;
  /** Wake-ups from the database: a new event is sent at once, not at the next poll. */
  readonly wakeups?: Wakeups;
  /** Per POST (default 10 s). */
  readonly timeoutMs?: number;
  readonly firstRetryMs?: number;
  readonly maxRetryMs?: number;
}

export const signature = (secret: string, body: string): string => `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

const CURSOR = "notify_cursor";

/** How much of a refusing receiver's answer is kept with the failure. */
const ANSWER_MAX = 300;

const legacyPosition = async (trx: Transaction<Database>, id: number): Promise<FeedPosition> => {
  const row = await trx.selectFrom("events").select(["txid", "id"]).where("id", "<=", id).orderBy("id", "desc").limit(1).executeTakeFirst();
  return row ? { txid: Number(row.txid), id: Number(row.id) } : FEED_START;
};

/** Queues new events for the users who want them, in commit-safe order (src/events/feed.ts). */
export const fanOut = async (db: Kysely<Database>): Promise<number> =>
  db.transaction().execute(async (trx) => {
    // One fan-out at a time, even with several service processes on one database.
    await sql`select pg_advisory_xact_lock(7130001)`.execute(trx);
    const cursorRow = await trx.selectFrom("settings").select("value").where("key", "=", CURSOR).executeTakeFirst();
    if (!cursorRow) {
      // First run: start from now, not from the whole history.
      await trx.insertInto("settings").values({ key: CURSOR, value: JSON.stringify(formatPosition(await feedEnd(trx))) }).execute();
      return 0;
    }
    // A cursor from before the feed kept transaction ids was an event id: resume after the
    // settled event that carries it.
    const cursor = parsePosition(cursorRow.value) ?? (await legacyPosition(trx, Number(cursorRow.value)));
    const events = await readFeed(trx, cursor, 1000);
    if (events.length === 0) return 0;
    const users = await trx.selectFrom("api_users").select(["id", "name"]).where("disabled_at", "is", null).execute();
    const devices = await trx.selectFrom("devices").select(["key", "owner"]).execute();
    const settings = new Map<number, Awaited<ReturnType<typeof notifySettings>>>();
    for (const u of users) settings.set(u.id, await notifySettings(trx as unknown as Kysely<Database>, u.id));
    const rows = [];
    for (const e of events)
      for (const u of users) {
        const s = settings.get(u.id)!;
        if (!s.url || !s.events[e.type]) continue;
        const owner = devices.find((d) => d.key === e.device)?.owner ?? null;
        if (u.name !== "admin" && owner !== u.name) continue;
        rows.push({ user_id: u.id, event_id: e.id, event: e.type, payload: JSON.stringify(e.payload) });
      }
    if (rows.length) await trx.insertInto("outbox").values(rows).onConflict((oc) => oc.columns(["user_id", "event_id"]).doNothing()).execute();
    const last = events.at(-1)!;
    await trx.updateTable("settings").set({ value: JSON.stringify(formatPosition(last)) }).where("key", "=", CURSOR).execute();
    return rows.length;
  });

const post = async (url: string, format: "form" | "json", secret: string, row: { id: number; event: string; payload: unknown }, timeoutMs: number): Promise<string | null> => {
  const fields = { event: row.event, ...(row.payload as Record<string, unknown>) };
  const body =
    format === "json"
      ? JSON.stringify(fields)
      : new URLSearchParams(Object.entries(fields).map(([k, v]): [string, string] => [k, v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v)])).toString();
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: {
        "content-type": format === "json" ? "application/json" : "application/x-www-form-urlencoded",
        "x-simgate-event": row.event,
        "x-simgate-delivery": String(row.id),
        "x-simgate-signature": signature(secret, body),
      },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    // The receiver's own words, kept short: what an operator needs to see why it refused.
    const answer = (await res.text().catch(() => "")).replace(/\s+/g, " ").trim().slice(0, ANSWER_MAX);
    return res.ok ? null : `HTTP ${res.status}${answer ? `: ${answer}` : ""}`;
  } catch (error) {
    return (error as Error).message;
  }
};

/**
 * The backoff after a failed POST: `firstRetryMs` (1 s) after the first failure, doubling
 * with each failure before it (`attempts`: how many had failed), at most `maxRetryMs` (5 min).
 */
export const notifyRetryDelayMs = (attempts: number, options: Pick<NotifierOptions, "firstRetryMs" | "maxRetryMs"> = {}): number =>
  Math.min((options.firstRetryMs ?? 1_000) * 2 ** attempts, options.maxRetryMs ?? 300_000);

type OutboxHead = { id: number; user_id: number | null; event: string; payload: unknown; attempts: number };

/** How long a row stays taken by the notifier posting it: the POST's limit and a margin. */
const leaseOf = (timeoutMs: number) => sql<Date>`now() + ${`${timeoutMs + 20_000} milliseconds`}::interval`;

/**
 * Takes an undelivered row for this process (compare-and-set on `sending_until`): null when
 * another host's notifier has it now or it was delivered meanwhile.
 */
const take = (db: Kysely<Database>, id: number, timeoutMs: number): Promise<OutboxHead | undefined> =>
  db
    .updateTable("outbox")
    .set({ sending_until: leaseOf(timeoutMs) })
    .where("id", "=", id)
    .where("delivered_at", "is", null)
    // Not during its backoff: another host may have recorded a failure since the heads were read.
    .where("next_attempt_at", "<=", sql<Date>`now()`)
    .where((eb) => eb.or([eb("sending_until", "is", null), eb("sending_until", "<", sql<Date>`now()`)]))
    .returning(["id", "user_id", "event", "payload", "attempts"])
    .executeTakeFirst();

/**
 * One try of a row this process has taken: delivered, or the failure kept with the next try
 * backed off; the row is let go either way. 1 when it went out.
 */
const attempt = async (db: Kysely<Database>, row: OutboxHead, options: NotifierOptions): Promise<number> => {
  const release = { sending_until: null };
  const s = await notifySettings(db, row.user_id!);
  // Notifications turned off (no URL) meanwhile: what is queued waits for a URL, looked for
  // once a minute (setting one through the panel or settingsSet and "retry now" is at once).
  if (!s.url) {
    await db.updateTable("outbox").set({ ...release, last_error: "no URL set", next_attempt_at: sql<Date>`now() + interval '1 minute'` }).where("id", "=", row.id).execute();
    return 0;
  }
  const error = await post(s.url, s.format, s.secret, row, options.timeoutMs ?? 10_000);
  if (error === null) {
    await db.updateTable("outbox").set({ ...release, delivered_at: new Date(), last_error: null }).where("id", "=", row.id).execute();
    return 1;
  }
  const wait = notifyRetryDelayMs(row.attempts, options);
  await db
    .updateTable("outbox")
    // On the database's clock: whichever host's notifier takes the row next reads it there.
    .set({ ...release, attempts: row.attempts + 1, next_attempt_at: sql<Date>`now() + ${`${Math.round(wait)} milliseconds`}::interval`, last_error: error })
    .where("id", "=", row.id)
    .execute();
  return 0;
};

/**
 * Tries each user's oldest undelivered notification; returns how many went out. Every host
 * runs a notifier: a head is posted only by the one that takes it (compare-and-set on
 * `sending_until`), and it stays taken for the POST's time limit plus a margin, so a host that
 * dies while posting lets it go by itself.
 */
export const deliverDue = async (db: Kysely<Database>, options: NotifierOptions = {}): Promise<number> => {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const heads = await sql<{ id: number; user_id: number; due: boolean }>`
    select id, user_id, (next_attempt_at <= now() and (sending_until is null or sending_until < now())) as due
    from (
      select distinct on (user_id) id, user_id, next_attempt_at, sending_until
      from outbox where delivered_at is null and user_id is not null
      order by user_id, id
    ) heads`.execute(db);
  const results = await Promise.all(
    heads.rows
      .filter((h) => h.due)
      .map(async (head) => {
        const row = await take(db, head.id, timeoutMs);
        if (!row) return 0; // another host took it
        return attempt(db, row, options);
      }),
  );
  return results.reduce<number>((a, b) => a + b, 0);
};

/** The event a "send a test event" posts: a user checks their receiver with it. */
export const TEST_EVENT = "test";

/**
 * Queues a test notification for the user and tries it at once, outside the order of their
 * queue (it is no event of the farm, so nothing waits behind it). A refused test stays in
 * the outbox and is retried like any other. Null when it was delivered, else why not.
 */
export const sendTestEvent = async (db: Kysely<Database>, userId: number, options: NotifierOptions = {}): Promise<{ id: number; error: string | null }> => {
  const s = await notifySettings(db, userId);
  const payload = { time: Math.floor(Date.now() / 1000), device_id: null, device_title: null, test: true };
  // Taken by this process as it is written, so no notifier posts it a second time meanwhile.
  const row = await db
    .insertInto("outbox")
    .values({ user_id: userId, event_id: null, event: TEST_EVENT, payload: JSON.stringify(payload), sending_until: leaseOf(options.timeoutMs ?? 10_000) })
    .returning(["id", "user_id", "event", "payload", "attempts"])
    .executeTakeFirstOrThrow();
  if (!s.url) {
    await db.updateTable("outbox").set({ last_error: "no URL set", sending_until: null }).where("id", "=", row.id).execute();
    return { id: row.id, error: "no URL set" };
  }
  await attempt(db, { ...row, payload }, options);
  const after = await db.selectFrom("outbox").select(["delivered_at", "last_error"]).where("id", "=", row.id).executeTakeFirstOrThrow();
  return { id: row.id, error: after.delivered_at ? null : (after.last_error ?? "not delivered") };
};

/** "Retry now": the user's undelivered notifications become due, and are tried in order until one fails. */
export const retryNow = async (db: Kysely<Database>, userId: number, options: NotifierOptions = {}): Promise<{ delivered: number; waiting: number }> => {
  await db.updateTable("outbox").set({ next_attempt_at: sql<Date>`now()` }).where("user_id", "=", userId).where("delivered_at", "is", null).execute();
  let delivered = 0;
  // Bounded: a long backlog is left to the notifier, which drains it the same way.
  for (let i = 0; i < 100; i++) {
    const head = await db.selectFrom("outbox").select("id").where("user_id", "=", userId).where("delivered_at", "is", null).orderBy("id").limit(1).executeTakeFirst();
    // Another host's notifier posting it now: it carries on from there.
    const row = head && (await take(db, head.id, options.timeoutMs ?? 10_000));
    if (!row || (await attempt(db, row, options)) === 0) break;
    delivered++;
  }
  const waiting = await db.selectFrom("outbox").select(sql<number>`count(*)::int`.as("n")).where("user_id", "=", userId).where("delivered_at", "is", null).executeTakeFirstOrThrow();
  return { delivered, waiting: waiting.n };
};

export interface Delivery {
  readonly id: number;
  readonly event: string;
  readonly createdAt: Date;
  readonly attempts: number;
  readonly nextAttemptAt: Date;
  readonly deliveredAt: Date | null;
  readonly lastError: string | null;
}

/** A user's delivery log, newest first, `limit` rows before id `before` (keyset, outbox_log index). */
export const deliveryLog = async (db: Kysely<Database>, userId: number, page: { before?: number; limit: number }): Promise<Delivery[]> => {
  let q = db.selectFrom("outbox").select(["id", "event", "created_at", "attempts", "next_attempt_at", "delivered_at", "last_error"]).where("user_id", "=", userId);
  if (page.before !== undefined) q = q.where("id", "<", page.before);
  const rows = await q.orderBy("id", "desc").limit(page.limit).execute();
  return rows.map((r) => ({ id: Number(r.id), event: r.event, createdAt: r.created_at, attempts: r.attempts, nextAttemptAt: r.next_attempt_at, deliveredAt: r.delivered_at, lastError: r.last_error }));
};

/**
 * In how many ms the next undelivered notification may be tried (its backoff, or the end of
 * another notifier's hold on it), on the database's clock; none when nothing waits.
 */
const nextDeliveryInMs = (db: Kysely<Database>): Effect.Effect<Option.Option<number>> =>
  Effect.tryPromise(async () => {
    const row = await sql<{ ms: number | null }>`
      select (extract(epoch from min(greatest(next_attempt_at, coalesce(sending_until, next_attempt_at))) - now()) * 1000)::float8 as ms
      from (
        -- Only each user's oldest: the rows behind it wait for it, whatever their own time.
        select distinct on (user_id) next_attempt_at, sending_until
        from outbox where delivered_at is null and user_id is not null
        order by user_id, id
      ) heads`.execute(db);
    const ms = row.rows[0]?.ms;
    return ms === null || ms === undefined ? Option.none<number>() : Option.some(Math.ceil(Number(ms)));
  }).pipe(Effect.orElseSucceed(() => Option.none<number>()));

/**
 * The notifier's loop: fan out, then deliver until nothing more is due right now (a backlog
 * drains without waiting a poll). With wake-ups it sleeps until an event is written, the next
 * retry falls due, or the fallback poll (2 s: an event can be held back by a transaction left
 * open elsewhere, which notifies nobody when it ends); without, it polls every 500 ms. Its
 * sleeps are on Effect's Clock; when a row is due is read from the database, whose clock
 * every host's notifier shares.
 */
export const runNotifier = (db: Kysely<Database>, options: NotifierOptions = {}): Effect.Effect<void, never, Scope.Scope> =>
  Effect.gen(function* () {
    const changed = options.wakeups ? yield* options.wakeups.subscribe("simgate_events") : null;
    const pollMs = options.pollMs ?? (changed ? 2_000 : 500);
    /** How many went out this round. */
    const round = Effect.tryPromise(async () => {
      await fanOut(db);
      let sent = 0;
      for (let n = await deliverDue(db, options); n > 0; n = await deliverDue(db, options)) sent += n;
      return sent;
    }).pipe(Effect.catchAll((e) => Effect.as(Effect.logWarning(`notifier: ${String(e.error)}`), 0)));
    // A head that looks due but did not go out (another host is posting it) must not make
    // the loop spin: after a round that sent nothing it looks again after 500 ms at the soonest.
    const idle = (sent: number) =>
      changed
        ? Effect.flatMap(nextDeliveryInMs(db), (due) => waitUntilDue(changed, pollMs, sent > 0 ? due : Option.map(due, (ms) => Math.max(ms, 500))))
        : Effect.sleep(Duration.millis(pollMs));
    yield* Effect.forever(Effect.flatMap(round, idle)).pipe(Effect.forkScoped);
  });
