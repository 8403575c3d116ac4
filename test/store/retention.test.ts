import { Effect, Exit, Scope } from "effect";
import type { Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/config";
import { migrate, openStore } from "../../src/store/database";
import { DEFAULT_RETENTION } from "../../src/config/retention";
import { prune } from "../../src/store/retention";
import type { Database } from "../../src/store/schema";
import { throwawayDatabase } from "../support/postgres";

let database: Awaited<ReturnType<typeof throwawayDatabase>>;
let scope: Scope.CloseableScope;
let db: Kysely<Database>;

beforeAll(async () => {
  database = await throwawayDatabase("simgate_retention");
  scope = Effect.runSync(Scope.make());
  db = await Effect.runPromise(Scope.extend(openStore({ kind: "postgres", url: database.url }), scope));
  await Effect.runPromise(migrate(db));
}, 60_000);
afterAll(async () => {
  if (scope) await Effect.runPromise(Scope.close(scope, Exit.void));
  await database?.drop();
});

const NOW = new Date("2026-11-24T12:00:00Z");
const daysAgo = (d: number) => new Date(NOW.getTime() - d * 86_400_000);

describe("retention", () => {
  it("by default keeps messages, USSD and calls, and trims the AT log (30 days) and events (90 days)", async () => {
    await db.insertInto("sms_in").values([0, 400].map((d) => ({ iccid: "89", key: `k${d}`, sender: "S", text: "t", parts: 1, received_at: daysAgo(d) }))).execute();
    await db.insertInto("at_log").values([1, 31].map((d) => ({ command: "AT", response: "OK", created_at: daysAgo(d) }))).execute();
    await db.insertInto("events").values([89, 91].map((d) => ({ type: "simStatus", payload: "{}", at: daysAgo(d) }))).execute();
    const deleted = await Effect.runPromise(prune(db, DEFAULT_RETENTION, NOW));
    expect(deleted).toEqual({ at_log: 1, events: 1 });
    expect(await db.selectFrom("sms_in").select("key").orderBy("key").execute()).toEqual([{ key: "k0" }, { key: "k400" }]);
    expect((await db.selectFrom("at_log").select("created_at").execute()).map((r) => r.created_at.getTime())).toEqual([daysAgo(1).getTime()]);
    expect((await db.selectFrom("events").select("at").execute()).map((r) => r.at.getTime())).toEqual([daysAgo(89).getTime()]);
  });

  it("smsDays removes old messages but never an outgoing one still queued or sending", async () => {
    await db.insertInto("sms_out").values([
      { iccid: "89", addressee: "+1", text: "old and sent", state: "sent", created_at: daysAgo(10), outcome: 1, error: null, modem_error: null, sent_at: null, delivered_at: null },
      { iccid: "89", addressee: "+1", text: "old and queued", state: "queued", created_at: daysAgo(10), outcome: null, error: null, modem_error: null, sent_at: null, delivered_at: null },
    ]).execute();
    await Effect.runPromise(prune(db, { ...DEFAULT_RETENTION, smsDays: 7 }, NOW));
    expect(await db.selectFrom("sms_in").select("key").execute()).toEqual([{ key: "k0" }]);
    expect((await db.selectFrom("sms_out").select("text").execute()).map((r) => r.text)).toEqual(["old and queued"]);
  });

  it("is configured under retention, checked like every other setting", () => {
    const config = parseConfig({ devices: [{ id: "a", model: "pool", modems: "simulated" }], retention: { smsDays: 365 } }, {}, "cfg");
    expect(config.retention).toEqual({ ...DEFAULT_RETENTION, smsDays: 365 });
    expect(() => parseConfig({ devices: [{ id: "a", model: "pool", modems: "simulated" }], retention: { smsDays: -1 } }, {}, "cfg")).toThrow("cfg.retention.smsDays: must be a whole number of days (0 keeps forever)");
    expect(() => parseConfig({ devices: [{ id: "a", model: "pool", modems: "simulated" }], retention: { logs: 1 } }, {}, "cfg")).toThrow(/cfg\.retention\.logs: unknown setting/);
  });
});
