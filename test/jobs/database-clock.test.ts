import { Effect } from "effect";
import { sql } from "kysely";
import { afterEach, describe, expect, it, vi } from "vitest";
import { enqueueCardWork } from "../../src/jobs/card-jobs";
import { rescheduleJob } from "../../src/jobs/job-queue";
import { enqueueSms } from "../../src/jobs/sms-sender";
import { useMigratedDatabase } from "../support/migrated-database";

// Several hosts share the queue, and their clocks need not agree: when a job falls due is
// said in the database's time. A host whose clock runs an hour ahead must neither hold a new
// job back for an hour nor make a retry wait one.
const store = useMigratedDatabase("simgate_database_clock");
afterEach(() => void vi.useRealTimers());

/** Seconds from the database's now() to a job's run_after. */
const dueIn = async (id: number) =>
  Number((await sql<{ s: number }>`select extract(epoch from run_after - now())::float8 as s from jobs where id = ${id}`.execute(store.db())).rows[0]!.s);

const lastJob = async () => Number((await store.db().selectFrom("jobs").select("id").orderBy("id", "desc").limit(1).executeTakeFirstOrThrow()).id);

describe("due times on the database's clock", () => {
  it("new jobs and retries are due by the database's time, whatever this host's clock says", async () => {
    const db = store.db();
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 3_600_000);

    await Effect.runPromise(enqueueSms(db, { iccid: "8970100000000000001", to: "+15550001111", text: "hello" }));
    const sms = await lastJob();
    expect(await dueIn(sms)).toBeLessThanOrEqual(1);

    await Effect.runPromise(enqueueCardWork(db, { kind: "ussd", iccid: "8970100000000000001", code: "*100#" }));
    expect(await dueIn(await lastJob())).toBeLessThanOrEqual(1);

    await Effect.runPromise(rescheduleJob(db, sms, 5_000, "test"));
    const retry = await dueIn(sms);
    expect(retry).toBeGreaterThan(3);
    expect(retry).toBeLessThanOrEqual(6);
  });
});
