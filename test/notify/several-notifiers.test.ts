import { createServer, type Server } from "node:http";
import { Effect, Exit, Scope } from "effect";
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { hashKey } from "../../src/access/keys";
import { deliverDue, runNotifier } from "../../src/notify/webhooks";
import { openStore, wakeSourceOf } from "../../src/store/database";
import { startWakeups } from "../../src/store/wakeups";
import { eventually } from "../support/eventually";
import type { Database } from "../../src/store/schema";
import { useMigratedDatabase } from "../support/migrated-database";

// Every host runs a notifier on the one database: a notification must still reach its
// receiver once, and each user's in order.
const store = useMigratedDatabase("simgate_notifiers");
vi.setConfig({ testTimeout: 60_000 });

let scope: Scope.CloseableScope;
let hosts: Kysely<Database>[];
let server: Server;
let url = "";
const received: number[] = [];
/** Requests to /carol, with when they came; the first `refuseCarol` of them are answered 503. */
const carol: number[] = [];
let refuseCarol = 0;
/** Requests to /dave, always refused. */
let dave = 0;

beforeAll(async () => {
  scope = Effect.runSync(Scope.make());
  // Three hosts: each its own connection pool.
  hosts = [store.db(), ...(await Promise.all([1, 2].map(() => Effect.runPromise(Scope.extend(openStore({ kind: "postgres", url: store.url() }), scope)))))];
  // A receiver that takes its time, as a real one does: two notifiers would overlap on it.
  server = createServer((req, res) => {
    if (req.url === "/dave") {
      dave++;
      req.resume();
      res.statusCode = 503;
      return void res.end();
    }
    if (req.url === "/carol") {
      carol.push(Date.now());
      req.resume();
      res.statusCode = carol.length <= refuseCarol ? 503 : 200;
      return void res.end();
    }
    received.push(Number(req.headers["x-simgate-delivery"]));
    req.resume();
    setTimeout(() => res.end("ok"), 60);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await Effect.runPromise(Scope.close(scope, Exit.void));
});

describe("several notifiers on one database", () => {
  it("deliver every queued notification once, in order", async () => {
    const db = store.db();
    const user = await db.insertInto("api_users").values({ name: "admin", key_hash: hashKey("notifiers-key-0001") }).returning("id").executeTakeFirstOrThrow();
    await db.insertInto("settings").values({ key: `notify:${user.id}`, value: JSON.stringify({ url, format: "json", events: { smsReceived: true } }) }).execute();
    const rows = await db
      .insertInto("outbox")
      .values(Array.from({ length: 20 }, (_, i) => ({ user_id: user.id, event_id: i + 1, event: "smsReceived", payload: JSON.stringify({ n: i }) })))
      .returning("id")
      .execute();
    const ids = rows.map((r) => Number(r.id));

    const undelivered = async () => Number((await db.selectFrom("outbox").select((eb) => eb.fn.countAll().as("n")).where("delivered_at", "is", null).executeTakeFirstOrThrow()).n);
    const deadline = Date.now() + 40_000;
    while ((await undelivered()) > 0 && Date.now() < deadline) await Promise.all(hosts.map((h) => deliverDue(h)));

    expect(await undelivered()).toBe(0);
    expect(received).toEqual(ids);
  });

  it("woken by the database, a notifier whose poll is minutes long sends a new event at once, and retries a refused one when it falls due", async () => {
    const db = store.db();
    const user = await db.insertInto("api_users").values({ name: "carol", key_hash: hashKey("notifiers-key-0002") }).returning("id").executeTakeFirstOrThrow();
    await db.insertInto("devices").values({ key: "carol-desk", title: "Carol's desk", model: "pool", owner: "carol", channels: 1 }).execute();
    await db.insertInto("settings").values({ key: `notify:${user.id}`, value: JSON.stringify({ url: url.replace("/hook", "/carol"), format: "json", events: { smsReceived: true } }) }).execute();
    refuseCarol = 1;
    const wakeups = await Effect.runPromise(Scope.extend(startWakeups(wakeSourceOf(db)!), scope));
    await Effect.runPromise(Scope.extend(runNotifier(db, { wakeups, pollMs: 600_000, firstRetryMs: 1_500 }), scope));
    // Its first round places the cursor at the end of the feed.
    for (const deadline = Date.now() + 20_000; !(await db.selectFrom("settings").select("key").where("key", "=", "notify_cursor").executeTakeFirst()); ) {
      if (Date.now() > deadline) throw new Error("the notifier never placed its cursor");
      await new Promise((r) => setTimeout(r, 50));
    }
    // An event written by another host's connection.
    await hosts[1]!.insertInto("events").values({ type: "smsReceived", device: "carol-desk", payload: JSON.stringify({ msg: "woken" }) }).execute();
    await eventually(() => carol.length >= 2, "the event sent, refused, and sent again", 30_000);
    // Refused once, then tried again when its backoff ended - not before, and not at the next poll.
    expect(carol[1]! - carol[0]!).toBeGreaterThanOrEqual(1_400);
    // Recorded as delivered once the receiver's answer is in.
    let row = await db.selectFrom("outbox").select(["delivered_at", "attempts"]).where("user_id", "=", user.id).executeTakeFirstOrThrow();
    for (const deadline = Date.now() + 10_000; row.delivered_at === null && Date.now() < deadline; await new Promise((r) => setTimeout(r, 50)))
      row = await db.selectFrom("outbox").select(["delivered_at", "attempts"]).where("user_id", "=", user.id).executeTakeFirstOrThrow();
    expect(row.attempts).toBe(1);
    expect(row.delivered_at).not.toBeNull();
  });

  it("waiting out a refused notification's backoff, with more queued behind it, the notifier does not spin", async () => {
    const db = store.db();
    const user = await db.insertInto("api_users").values({ name: "dave", key_hash: hashKey("notifiers-key-0003") }).returning("id").executeTakeFirstOrThrow();
    await db.insertInto("settings").values({ key: `notify:${user.id}`, value: JSON.stringify({ url: url.replace("/hook", "/dave"), format: "json", events: { smsReceived: true } }) }).execute();
    await db
      .insertInto("outbox")
      .values([1, 2, 3].map((n) => ({ user_id: user.id, event_id: 1000 + n, event: "smsReceived", payload: JSON.stringify({ n }) })))
      .execute();
    // A store that counts its statements.
    let statements = 0;
    const pool = new pg.Pool({ connectionString: store.url(), max: 4 });
    const counted = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), log: () => void statements++ });
    const local = Effect.runSync(Scope.make());
    try {
      const wakeups = await Effect.runPromise(Scope.extend(startWakeups(wakeSourceOf(db)!), local));
      await Effect.runPromise(Scope.extend(runNotifier(counted, { wakeups, pollMs: 600_000, firstRetryMs: 60_000 }), local));
      await eventually(() => dave >= 1, "the first try", 10_000);
      const before = statements;
      await new Promise((r) => setTimeout(r, 2_000));
      // The head backs off for a minute; the two behind it look due but wait for it. A few
      // looks at the 500 ms pace, not a loop at full speed.
      expect(statements - before).toBeLessThanOrEqual(40);
      expect(dave).toBe(1);
    } finally {
      await Effect.runPromise(Scope.close(local, Exit.void));
      await counted.destroy();
    }
  });
});
