import { Effect, Exit, Scope } from "effect";
import type { Kysely } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashKey } from "../../src/access/keys";
import { EVENT_TYPES } from "../../src/store/events";
import { fanOut } from "../../src/notify/webhooks";
import { migrate, openStore } from "../../src/store/database";
import type { Database } from "../../src/store/schema";
import { throwawayDatabase } from "../support/postgres";

// Event ids are taken when a row is inserted, not when its transaction commits: with
// several connections, event 101 can commit after 102. The fan-out must neither skip 101
// nor send 102 first.
let database: Awaited<ReturnType<typeof throwawayDatabase>>;
let scope: Scope.CloseableScope;
let db: Kysely<Database>;
let userId: number;

beforeAll(async () => {
  database = await throwawayDatabase("simgate_fanout");
  scope = Effect.runSync(Scope.make());
  db = await Effect.runPromise(Scope.extend(openStore({ kind: "postgres", url: database.url }), scope));
  await Effect.runPromise(migrate(db));
  const user = await db.insertInto("api_users").values({ name: "admin", key_hash: hashKey("fan-out-key-000001") }).returning("id").executeTakeFirstOrThrow();
  userId = user.id;
  await db
    .insertInto("settings")
    .values({ key: `notify:${user.id}`, value: JSON.stringify({ url: "http://127.0.0.1:9/none", format: "json", events: Object.fromEntries(EVENT_TYPES.map((e) => [e, true])) }) })
    .execute();
  // The first fan-out only places the cursor.
  await fanOut(db);
}, 60_000);
afterAll(async () => {
  if (scope) await Effect.runPromise(Scope.close(scope, Exit.void));
  await database?.drop();
});

const insertEvent = (client: pg.Client, n: number) =>
  client.query(`insert into events (type, device, iccid, payload) values ('smsReceived', null, null, $1) returning id`, [JSON.stringify({ msg: `event ${n}` })]);

const queued = async () =>
  (await db.selectFrom("outbox").select(["event_id", "payload"]).where("user_id", "=", userId).orderBy("id").execute()).map((r) => (r.payload as { msg: string }).msg);

describe("the notifier's fan-out with writers that commit out of order", () => {
  it("queues an event that committed after a later one, and keeps the commit order", async () => {
    const slow = new pg.Client({ connectionString: database.url });
    const quick = new pg.Client({ connectionString: database.url });
    await slow.connect();
    await quick.connect();
    try {
      await slow.query("begin");
      const first = await insertEvent(slow, 1);
      await quick.query("begin");
      const second = await insertEvent(quick, 2);
      expect(Number(second.rows[0].id)).toBeGreaterThan(Number(first.rows[0].id));
      await quick.query("commit");
      // Event 2 is committed, event 1 not yet: nothing may be passed over.
      await fanOut(db);
      await slow.query("commit");
      await fanOut(db);
      // Many writers at once: every event queued exactly once.
      const writers = await Promise.all(
        Array.from({ length: 8 }, async () => {
          const c = new pg.Client({ connectionString: database.url });
          await c.connect();
          return c;
        }),
      );
      let n = 3;
      const rounds = Array.from({ length: 10 }, () =>
        Promise.all(
          writers.map(async (c) => {
            const mine = n++;
            await c.query("begin");
            await insertEvent(c, mine);
            await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 15)));
            await c.query("commit");
          }),
        ),
      );
      const fanning = (async () => {
        for (let i = 0; i < 40; i++) {
          await fanOut(db);
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      for (const round of rounds) await round;
      await fanning;
      await fanOut(db);
      await Promise.all(writers.map((c) => c.end()));
      const all = await queued();
      expect(all.slice(0, 2)).toEqual(["event 1", "event 2"]);
      expect([...all].sort()).toEqual(Array.from({ length: n - 1 }, (_, i) => `event ${i + 1}`).sort());
    } finally {
      await slow.end();
      await quick.end();
    }
  }, 60_000);
});
