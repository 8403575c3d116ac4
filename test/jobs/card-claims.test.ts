import { Effect } from "effect";
import type { Kysely } from "kysely";
import pg from "pg";
import { beforeAll, describe, expect, it } from "vitest";
import { claimCardJobs, enqueueCardWork } from "../../src/jobs/card-jobs";
import type { Database } from "../../src/store/schema";
import { useMigratedDatabase } from "../support/migrated-database";

// Two workers claiming card jobs at the same moment (two services on one database, or two
// loops of one): a dial or USSD must never run twice, and a card runs one job at a time.
const store = useMigratedDatabase("simgate_claims");
let db: Kysely<Database>;
beforeAll(() => {
  db = store.db();
});

const claim = (limit = 10) => Effect.runPromise(claimCardJobs(db, limit, 60_000));

describe("claiming card jobs", () => {
  it("does not take a job another worker is claiming, even once that claim commits", async () => {
    await Effect.runPromise(enqueueCardWork(db, { kind: "dial", iccid: "8900000000000000001", number: "+15550001000" }));
    const other = new pg.Client({ connectionString: store.url() });
    await other.connect();
    try {
      // Another worker's claim, caught between its update and its commit.
      await other.query("begin");
      const taken = await other.query(
        "update jobs set state = 'running', attempts = attempts + 1, locked_until = now() + interval '1 minute' where kind = 'card-dial' and state = 'queued' returning id",
      );
      expect(taken.rowCount).toBe(1);
      const mine = claim();
      await new Promise((r) => setTimeout(r, 200));
      await other.query("commit");
      expect(await mine).toEqual([]);
      const row = await db.selectFrom("jobs").select(["attempts", "state"]).where("kind", "=", "card-dial").executeTakeFirstOrThrow();
      expect(row).toEqual({ attempts: 1, state: "running" });
    } finally {
      await other.end();
    }
  });

  it("gives each job to one of many concurrent claimers, one job per card at a time", async () => {
    await db.deleteFrom("jobs").execute();
    const cards = Array.from({ length: 6 }, (_, i) => `89000000000000001${String(i).padStart(2, "0")}`);
    for (const iccid of cards) for (let k = 0; k < 3; k++) await Effect.runPromise(enqueueCardWork(db, { kind: "ussd", iccid, code: `*10${k}#` }));
    const rounds = await Promise.all(Array.from({ length: 8 }, () => claim(4)));
    const claimed = rounds.flat();
    expect(new Set(claimed.map((c) => c.id)).size).toBe(claimed.length);
    expect(new Set(claimed.map((c) => c.work.iccid)).size).toBe(claimed.length);
    expect(claimed.length).toBe(cards.length);
    // A claim is not an attempt (only work handed to the modem counts); every claimed job is running.
    expect(claimed.every((c) => c.attempts === 0)).toBe(true);
    const running = await db.selectFrom("jobs").select("id").where("state", "=", "running").execute();
    expect(running.map((r) => Number(r.id)).sort()).toEqual(claimed.map((c) => c.id).sort());
  });
});
