import { Effect, Exit, Scope } from "effect";
import { sql, type Kysely } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import { claimDevices, startHost, type HostOptions } from "../../src/hosts/host";
import { claimCardJobs, enqueueCardWork } from "../../src/jobs/card-jobs";
import { migrate } from "../../src/store/database";
import type { Database } from "../../src/store/schema";
import { useMigratedDatabase } from "../support/migrated-database";

// Hosts on one database: who drives which device, a restarted host's own jobs, and a
// database that a newer simgate migrated.
const store = useMigratedDatabase("simgate_hosts");
let db: Kysely<Database>;
beforeAll(() => {
  db = store.db();
});

const host = (id: string): HostOptions => ({ id, version: "test", ttlMs: 30_000 });
const started = async (id: string, devices: string[]) => {
  const s = Effect.runSync(Scope.make());
  await Effect.runPromise(Scope.extend(startHost(db, host(id), devices), s));
  return () => Effect.runPromise(Scope.close(s, Exit.void));
};

describe("hosts", () => {
  it("a device driven by a live host is refused to another, naming both; once that host is dead it can be taken", async () => {
    const stopA = await started("host-a", ["rack"]);
    const refused = await Effect.runPromise(Effect.either(claimDevices(db, host("host-b"), ["rack"])));
    expect(refused._tag).toBe("Left");
    const message = refused._tag === "Left" ? refused.left.message : "";
    expect(message).toContain("device rack is driven by host host-a");
    expect(message).toContain("this host is host-b");
    await stopA();
    // host-a's heartbeat stops; once older than the TTL, the device is free.
    await db.updateTable("hosts").set({ heartbeat_at: sql`now() - interval '1 minute'` }).where("id", "=", "host-a").execute();
    await Effect.runPromise(claimDevices(db, host("host-b"), ["rack"]));
    expect(await db.selectFrom("device_hosts").select(["device", "host"]).execute()).toEqual([{ device: "rack", host: "host-b" }]);
  });

  it("a host that stops cleanly frees its devices at once, and reads as dead to the others", async () => {
    const stopC = await started("host-c", ["shelf"]);
    expect((await Effect.runPromise(Effect.either(claimDevices(db, host("host-d"), ["shelf"]))))._tag).toBe("Left");
    await stopC();
    // No waiting out the TTL: the stop is recorded.
    const stopD = await started("host-d", ["shelf"]);
    expect(await db.selectFrom("device_hosts").select("host").where("device", "=", "shelf").execute()).toEqual([{ host: "host-d" }]);
    const alive = await db.selectFrom("hosts").select(sql<boolean>`heartbeat_at > now() - interval '30 seconds'`.as("alive")).where("id", "=", "host-c").executeTakeFirstOrThrow();
    expect(alive.alive).toBe(false);
    // Started again, it is refused the shelf that host-d now drives.
    const again = Effect.runSync(Scope.make());
    const refused = await Effect.runPromise(Effect.either(Scope.extend(startHost(db, host("host-c"), ["shelf"]), again)));
    expect(refused._tag === "Left" && refused.left.message).toContain("device shelf is driven by host host-d");
    await Effect.runPromise(Scope.close(again, Exit.void));
    await stopD();
  });

  it("a restarted host takes back at once the jobs it had claimed; another host's stay leased", async () => {
    const lease = sql<Date>`now() + interval '5 minutes'`;
    const mine = await db.insertInto("jobs").values({ kind: "sms-send", payload: "{}", run_after: new Date(), locked_until: lease, last_error: null, claimed_by: "host-c", state: "running" }).returning("id").executeTakeFirstOrThrow();
    const theirs = await db.insertInto("jobs").values({ kind: "sms-send", payload: "{}", run_after: new Date(), locked_until: lease, last_error: null, claimed_by: "host-d", state: "running" }).returning("id").executeTakeFirstOrThrow();
    const stop = await started("host-c", []);
    const free = await db.selectFrom("jobs").select(["id", sql<boolean>`locked_until <= now()`.as("free")]).where("id", "in", [mine.id, theirs.id]).orderBy("id").execute();
    expect(free.map((r) => r.free)).toEqual([true, false]);
    await stop();
  });

  it("a job for a card on another host's device is left to that host; one for a card on no device to anyone", async () => {
    const device = await db.insertInto("devices").values({ key: "far", title: "far", model: "pool", config: "{}" }).returning("id").executeTakeFirstOrThrow();
    await db.insertInto("sim_cards").values({ device_id: device.id, place: "1", iccid: "8900000000000000777" }).execute();
    await db.insertInto("device_hosts").values({ device: "far", host: "host-far" }).execute();
    await Effect.runPromise(enqueueCardWork(db, { kind: "ussd", iccid: "8900000000000000777", code: "*100#" }));
    await Effect.runPromise(enqueueCardWork(db, { kind: "ussd", iccid: "8900000000000000888", code: "*100#" }));
    const near = await Effect.runPromise(claimCardJobs(db, 10, 60_000, "host-near"));
    expect(near.map((j) => j.work.iccid)).toEqual(["8900000000000000888"]);
    const far = await Effect.runPromise(claimCardJobs(db, 10, 60_000, "host-far"));
    expect(far.map((j) => j.work.iccid)).toEqual(["8900000000000000777"]);
    const claimedBy = await db.selectFrom("jobs").select(["claimed_by"]).where("kind", "=", "card-ussd").orderBy("id").execute();
    expect(claimedBy.map((r) => r.claimed_by)).toEqual(["host-far", "host-near"]);
  });

  it("refuses a database that a newer simgate migrated", async () => {
    await db.insertInto("kysely_migration" as never).values({ name: "9999_from_the_future", timestamp: new Date().toISOString() } as never).execute();
    const outcome = await Effect.runPromise(Effect.either(migrate(db)));
    expect(outcome._tag).toBe("Left");
    expect(outcome._tag === "Left" ? outcome.left.message : "").toContain("migrated by a newer simgate (9999_from_the_future unknown here)");
    await db.deleteFrom("kysely_migration" as never).where("name" as never, "=", "9999_from_the_future" as never).execute();
  });
});
