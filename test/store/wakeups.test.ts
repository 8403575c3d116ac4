import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Duration, Effect, Exit, Scope } from "effect";
import { sql, type Kysely } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { nextJobDueInMs, runJobLoop } from "../../src/jobs/job-queue";
import { migrate, openStore, wakeSourceOf } from "../../src/store/database";
import type { Database } from "../../src/store/schema";
import { LISTENER_NAME, startWakeups, type Wakeups } from "../../src/store/wakeups";
import { useMigratedDatabase } from "../support/migrated-database";
import { eventually } from "../support/eventually";

// Loops sleep until the database says there is work. Each wait below has a fallback far longer
// than the test's timeout, so only a notification can end it in time.
const store = useMigratedDatabase("simgate_wakeups");
vi.setConfig({ testTimeout: 20_000 });
const db = () => store.db();
const NEVER = 120_000;

let scope: Scope.CloseableScope;
let wakeups: Wakeups;
const lines: string[] = [];
beforeAll(async () => {
  scope = Effect.runSync(Scope.make());
  wakeups = await Effect.runPromise(Scope.extend(startWakeups(wakeSourceOf(db())!, { log: (l) => lines.push(l) }), scope));
  await eventually(() => wakeups.listening(), "the listening connection");
});
afterAll(() => Effect.runPromise(Scope.close(scope, Exit.void)));

const run = <A>(effect: Effect.Effect<A, unknown, Scope.Scope>) => Effect.runPromise(Scope.extend(effect, scope));

/** Another host's write: its own connection, not this process's pool. */
const fromElsewhere = async (query: string) => {
  const client = new pg.Client({ connectionString: store.url() });
  await client.connect();
  try {
    await client.query(query);
  } finally {
    await client.end();
  }
};

const queueJob = (kind: string, inSeconds = 0) =>
  fromElsewhere(`insert into jobs (kind, payload, run_after) values ('${kind}', '{}', now() + interval '${inSeconds} seconds')`);

describe("wake-ups from PostgreSQL", () => {
  it("a job queued by another connection wakes a waiting loop; claiming it does not", async () => {
    const waiter = await run(wakeups.subscribe("simgate_jobs"));
    const woken = Effect.runPromise(waiter.wait(NEVER));
    await queueJob("test-wake");
    await woken;
    // A claim (queued -> running) and a finished run are no news: a loop's own claim must not wake it.
    await fromElsewhere(`update jobs set state = 'running' where kind = 'test-wake'`);
    await fromElsewhere(`update jobs set state = 'done' where kind = 'test-wake'`);
    const quiet = await Effect.runPromise(Effect.timed(waiter.wait(1_500)));
    expect(Duration.toMillis(quiet[0])).toBeGreaterThanOrEqual(1_400);
  });

  it("holds and events wake their own subscribers", async () => {
    const holds = await run(wakeups.subscribe("simgate_holds"));
    const events = await run(wakeups.subscribe("simgate_events"));
    const holdWoken = Effect.runPromise(holds.wait(NEVER));
    await fromElsewhere(`insert into holds (device, position, holder) values ('bank', '1-1', 'sr-pool:1')`);
    await holdWoken;
    const eventWoken = Effect.runPromise(events.wait(NEVER));
    await fromElsewhere(`insert into events (type, payload) values ('smsReceived', '{}')`);
    await eventWoken;
  });

  it("a killed listening connection is opened again: everyone is woken to catch up, and later notifications arrive", async () => {
    const waiter = await run(wakeups.subscribe("simgate_jobs"));
    const catchUp = Effect.runPromise(waiter.wait(NEVER));
    await fromElsewhere(`select pg_terminate_backend(pid) from pg_stat_activity where application_name = '${LISTENER_NAME}'`);
    await catchUp;
    await eventually(() => /listening connection was lost[\s\S]*listening again/.test(lines.join("\n")), "the lost and listening-again log lines", 10_000);
    expect(wakeups.listening()).toBe(true);
    const later = Effect.runPromise(waiter.wait(NEVER));
    await queueJob("test-after-kill");
    await later;
  });

  it("a job loop with a long fallback takes a queued job at once and a job due later when it falls due", async () => {
    const taken: Array<{ id: number; at: number }> = [];
    const claim = (limit: number) =>
      Effect.promise(async () => {
        const rows = await sql<{ id: number }>`
          update jobs set state = 'running', locked_until = now() + interval '5 minutes'
          where id in (select id from jobs where kind = 'test-loop' and state = 'queued' and run_after <= now() order by id limit ${limit} for update skip locked)
          returning id`.execute(db());
        return rows.rows.map((r) => Number(r.id));
      });
    await run(
      Effect.gen(function* () {
        const waiter = yield* wakeups.subscribe("simgate_jobs");
        yield* runJobLoop({
          pollMs: NEVER,
          concurrency: 4,
          claim,
          run: (id) => Effect.sync(() => void taken.push({ id, at: Date.now() })).pipe(Effect.zipRight(Effect.promise(() => db().updateTable("jobs").set({ state: "done" }).where("id", "=", id).execute()))),
          wake: { waiter, nextDueInMs: nextJobDueInMs(db(), { is: "test-loop" }) },
        });
      }),
    );
    await queueJob("test-loop");
    await eventually(() => taken.length === 1, "the queued job taken", 5_000);
    const queuedAt = Date.now();
    // Due in 2 s: the notification comes now, the loop finds nothing due, and sleeps until then.
    await queueJob("test-loop", 2);
    await eventually(() => taken.length === 2, "the job due in 2 s taken", 10_000);
    expect(taken[1]!.at - queuedAt).toBeGreaterThanOrEqual(1_500);
  });
});

describe("a job loop woken by the database does not spin", () => {
  it("on a due job it cannot claim (another host's card, a busy card): it looks again at the old poll's pace", async () => {
    let claims = 0;
    const loop = Effect.gen(function* () {
      const waiter = yield* wakeups.subscribe("simgate_jobs");
      yield* runJobLoop({
        pollMs: NEVER,
        concurrency: 4,
        claim: () => Effect.sync(() => (claims++, [] as number[])),
        run: () => Effect.void,
        wake: { waiter, nextDueInMs: nextJobDueInMs(db(), { is: "test-unclaimable" }) },
      });
    });
    const local = Effect.runSync(Scope.make());
    try {
      await queueJob("test-unclaimable");
      await Effect.runPromise(Scope.extend(loop, local));
      await new Promise((r) => setTimeout(r, 2_000));
      // About one look per 500 ms; a loop that took "due" at its word would make thousands.
      expect(claims).toBeGreaterThanOrEqual(2);
      expect(claims).toBeLessThanOrEqual(8);
    } finally {
      await Effect.runPromise(Scope.close(local, Exit.void));
    }
  });
});

describe("wake-ups from the embedded database", () => {
  it("a job queued in the embedded database wakes a waiting loop", async () => {
    const dir = mkdtempSync(join(tmpdir(), "simgate-wake-"));
    const local = Effect.runSync(Scope.make());
    try {
      const embedded: Kysely<Database> = await Effect.runPromise(Scope.extend(openStore({ kind: "embedded", dataDir: dir }), local));
      await Effect.runPromise(migrate(embedded));
      const own = await Effect.runPromise(Scope.extend(startWakeups(wakeSourceOf(embedded)!), local));
      expect(own.listening()).toBe(true);
      const waiter = await Effect.runPromise(Scope.extend(own.subscribe("simgate_jobs"), local));
      const woken = Effect.runPromise(waiter.wait(NEVER));
      await embedded.insertInto("jobs").values({ kind: "test-embedded", payload: "{}", run_after: new Date() }).execute();
      await woken;
    } finally {
      await Effect.runPromise(Scope.close(local, Exit.void));
      rmSync(dir, { recursive: true, force: true });
    }
    // Migrating an embedded database takes a while on a busy machine.
  }, 120_000);
});
