import { Effect, Scope, Exit } from "effect";
import type { Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { imsiFallbackKey } from "../../drivers/modem/bring-up";
import { INITIAL_SNAPSHOT, type ModemSnapshot, type SimIdentity } from "../../drivers/modem/state";
import { recordCard } from "../../src/scheduler/inventory";
import { migrate, openStore } from "../../src/store/database";
import type { Database } from "../../src/store/schema";
import { throwawayDatabase } from "../support/postgres";

// Issue 18, defect 5 (store side): a card registered under its IMSI because no ICCID was
// readable keeps its history when its ICCID becomes readable. On the PostgreSQL server.
let db: Kysely<Database>;
let scope: Scope.CloseableScope;
let drop: () => Promise<void>;

beforeAll(async () => {
  const made = await throwawayDatabase("simgate_rekey");
  drop = made.drop;
  scope = await Effect.runPromise(Scope.make());
  db = await Effect.runPromise(Scope.extend(openStore({ kind: "postgres", url: made.url }), scope));
  await Effect.runPromise(migrate(db));
}, 60_000);
afterAll(async () => {
  await Effect.runPromise(Scope.close(scope, Exit.void));
  await drop?.();
});

const IMSI = "001010000004242";
const ICCID = "8900101000000004242";
const snapshotWith = (sim: SimIdentity): ModemSnapshot => ({ ...INITIAL_SNAPSHOT, port: "ready", sim, registration: "HOME", operator: "Simnet" });

describe("a card known first by its IMSI", () => {
  it("is recorded under imsi:<IMSI>, then re-keyed to its ICCID with its history", async () => {
    const device = await db.insertInto("devices").values({ key: "rack", title: "Rack", model: "pool", channels: 1 } as never).returning("id").executeTakeFirstOrThrow();
    const fallback = imsiFallbackKey(IMSI);
    await Effect.runPromise(recordCard(db, device.id, "rack", "1", snapshotWith({ lock: "READY", iccid: fallback, iccidSource: "imsi-fallback", imsi: IMSI, number: "+15550004242" })));
    const first = await db.selectFrom("sim_cards").selectAll().where("iccid", "=", fallback).executeTakeFirstOrThrow();
    // History recorded while the card was known by its IMSI.
    await db.insertInto("ussd").values({ iccid: fallback, request: "*100#", reply: "Balance 5.00" } as never).execute();
    await db.insertInto("events").values({ type: "simStatus", iccid: fallback, payload: JSON.stringify({ status: 1 }) } as never).execute();

    await Effect.runPromise(recordCard(db, device.id, "rack", "1", snapshotWith({ lock: "READY", iccid: ICCID, imsi: IMSI, number: null })));
    const cards = await db.selectFrom("sim_cards").select(["id", "iccid", "imsi", "number", "place"]).execute();
    expect(cards).toEqual([{ id: first.id, iccid: ICCID, imsi: IMSI, number: "+15550004242", place: "1" }]);
    expect(await db.selectFrom("ussd").select(["iccid", "reply"]).execute()).toEqual([{ iccid: ICCID, reply: "Balance 5.00" }]);
    expect((await db.selectFrom("events").select("iccid").execute()).map((r) => r.iccid)).toEqual([ICCID]);
  });

  it("a card already known by its ICCID absorbs the IMSI row, and a colliding row is kept rather than lost", async () => {
    const device = await db.selectFrom("devices").select("id").where("key", "=", "rack").executeTakeFirstOrThrow();
    const imsi = "001010000005353";
    const iccid = "8900101000000005353";
    const fallback = imsiFallbackKey(imsi);
    await Effect.runPromise(recordCard(db, device.id, "rack", "2", snapshotWith({ lock: "READY", iccid, imsi, number: null })));
    await Effect.runPromise(recordCard(db, device.id, "rack", "3", snapshotWith({ lock: "READY", iccid: fallback, iccidSource: "imsi-fallback", imsi, number: "+15550005353" })));
    await db.insertInto("ussd").values({ iccid: fallback, request: "*101#", reply: "later" } as never).execute();
    await Effect.runPromise(recordCard(db, device.id, "rack", "3", snapshotWith({ lock: "READY", iccid, imsi, number: null })));
    const rows = await db.selectFrom("sim_cards").select(["iccid", "number", "place"]).where("imsi", "=", imsi).execute();
    expect(rows).toEqual([{ iccid, number: "+15550005353", place: "3" }]);
    expect(await db.selectFrom("ussd").select("iccid").where("request", "=", "*101#").execute()).toEqual([{ iccid }]);
  });
});
