import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Context, Effect, Exit, Scope } from "effect";
import { sql, type Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashKey } from "../../src/access/keys";
import { simFolderRoutes } from "../../src/api/simfolder/handler";
import { srNavigatorRoutes } from "../../src/api/srnav/handler";
import { routesServer } from "../support/routes";
import { createPool, parsePoolFilter } from "../../src/pools/pools";
import { publishModemStates } from "../../src/devices/live-state";
import type { Registry } from "../../src/devices/registry";
import { DeviceRegistry } from "../../src/devices/registry-service";
import { runSmsSender } from "../../src/jobs/sms-sender";
import { FarmScheduler } from "../../src/scheduler/scheduler-service";
import type { ServiceScheduler } from "../../src/scheduler/farm-scheduler";
import { cardDirectory } from "../../src/cards/card-directory";
import type { Database } from "../../src/store/schema";
import { WakeSignalsLive } from "../../src/store/store-service";
import { buildLayers, claimingHost, testFarm } from "../support/layers";
import { useMigratedDatabase } from "../support/migrated-database";
import { until } from "../support/service-process";

// Two hosts on one database, each driving its own simulated pool: host one's API answers
// for host two's modems and cards from the live-state table, a message accepted on host one
// for a card on host two is sent by host two only, and once host two stops beating its
// modems read as off.
const KEY = "two-hosts-admin-key-0001";
const POOL_KEY = "two-hosts-pool-key-00001";
const store = useMigratedDatabase("simgate_two_hosts");
let db: Kysely<Database>;
let server: Server;
let base: string;
let srBase: string;
const hosts: { registry: Registry; scheduler: ServiceScheduler; scope: Scope.CloseableScope }[] = [];

/**
 * A host as the service's farm layers build it: registered, its device claimed and its
 * heartbeat running (TTL 3 s), the live wake-ups on the shared database, its simulated pool
 * and the scheduler; then the live state it publishes and its sender.
 */
const startHostWith = async (id: string, device: string, seed: number) => {
  const scope = Effect.runSync(Scope.make());
  const extend = <A, E>(e: Effect.Effect<A, E, Scope.Scope>) => Effect.runPromise(Scope.extend(e, scope));
  const farm = testFarm(db, [{ id: device, model: "pool", modems: "simulated", count: 2 }], {
    demo: { seed },
    host: claimingHost({ id, version: "test", ttlMs: 3_000 }),
    wakeups: WakeSignalsLive,
    // Holds are followed on notifications only (the fallback poll is ten minutes): a switch
    // under way is the host's own to follow until its row says online.
    scheduler: { settleMs: 500, holdsFollowEveryMs: 600_000 },
  });
  const built = await buildLayers(farm, scope);
  const registry = Context.get(built, DeviceRegistry);
  const scheduler = Context.get(built, FarmScheduler);
  await Effect.runPromise(scheduler.scanned);
  await extend(publishModemStates(db, registry, id));
  await extend(runSmsSender(db, registry, { pollMs: 20, retryBaseMs: 50, host: id }));
  hosts.push({ registry, scheduler, scope });
  return { registry, scheduler, scope };
};

beforeAll(async () => {
  db = store.db();
  await db.insertInto("api_users").values({ name: "admin", key_hash: hashKey(KEY) }).execute();
  const one = await startHostWith("host-one", "near", 1);
  await startHostWith("host-two", "far", 2);
  // A pool over every card, once both hosts' scans have recorded theirs.
  await until(() => db.selectFrom("sim_cards").select("iccid").execute(), (rows) => rows.length === 4, "the cards of both hosts were never recorded");
  await createPool(db, "everything", parsePoolFilter("all"), POOL_KEY);
  server = routesServer([
    ...srNavigatorRoutes({ db, registry: one.registry, scheduler: one.scheduler }),
    ...simFolderRoutes({ db, registry: one.registry, scheduler: one.scheduler, version: "test", hostTtlMs: 3_000 }),
  ]);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
  srBase = `${base}/handler.php`;
}, 90_000);
afterAll(async () => {
  await new Promise((r) => server?.close(r));
  for (const h of hosts) await Effect.runPromise(Scope.close(h.scope, Exit.void));
});

type Json = Record<string, any>;
const api = async (method: string, params: Record<string, string> = {}) =>
  (await (await fetch(`${base}/${method}?${new URLSearchParams({ api_key: KEY, ...params })}`)).json()) as Json;

describe("two hosts on one database", () => {
  it("host one's API shows host two's modems and cards, live", async () => {
    const state = await until(
      () => api("deviceState"),
      (v) => (v.modems ?? []).length === 4 && v.modems.every((m: Json) => m.sim_state === 1),
      "not every modem of both hosts showed active",
    );
    const far = state.modems.filter((m: Json) => m.host === "host-two");
    expect(far).toHaveLength(2);
    const farIccids = hosts[1]!.registry.farm ? [...hosts[1]!.registry.farm.modems.values()].map((m) => m.sim!.iccid).sort() : [];
    expect(far.map((m: Json) => m.iccid).sort()).toEqual(farIccids);
    const cards = (await api("cardList")).cards as Json[];
    expect(cards.filter((c) => farIccids.includes(c.iccid)).map((c) => c.state)).toEqual([1, 1]);
  });

  it("a message accepted on host one for host two's card is sent by host two", async () => {
    const farModem = [...hosts[1]!.registry.farm!.modems.values()][0]!;
    const card = ((await api("cardList")).cards as Json[]).find((c) => c.iccid === farModem.sim!.iccid)!;
    const accepted = await api("smsSend", { card_id: String(card.card_id), addressee: "+15559000101", msg: "across hosts" });
    expect(accepted.status).toBe("ok");
    await until(
      () => db.selectFrom("sms_out").select("state").where("text", "=", "across hosts").executeTakeFirstOrThrow(),
      (r) => r.state === "sent",
      "never sent",
    );
    expect(hosts[1]!.registry.farm!.network.submitted.filter((s) => s.text === "across hosts")).toHaveLength(1);
    expect(hosts[0]!.registry.farm!.network.submitted.filter((s) => s.text === "across hosts")).toHaveLength(0);
    expect(await db.selectFrom("jobs").select("claimed_by").where("kind", "=", "sms-send").execute()).toEqual([{ claimed_by: "host-two" }]);
  });

  it("SR-Navigator on host one opens a number on host two, which switches it in; its code is read on host one", async () => {
    const sr = async (action: string, params: Record<string, string> = {}) => (await fetch(`${srBase}?${new URLSearchParams({ pool_key: POOL_KEY, action, ...params })}`)).text();
    const far = [...hosts[1]!.registry.farm!.modems.values()][1]!;
    const number = far.sim!.number.replace(/\D/g, "");
    expect(await sr("openNumber", { number })).toBe(number);
    // The hold is a row; host two took it in its scheduler and wrote it online.
    await until(
      () => db.selectFrom("holds").select(["holder", "state"]).execute(),
      (rows) => rows.some((r) => r.holder === "sr-pool:1" && r.state === "online"),
      "host two never took the hold",
    );
    const status = async () => (JSON.parse(await sr("getSimStatus", { number })) as { status: string }[])[0]?.status;
    await until(status, (w) => w === "WAIT_SMS_CALL", "the number never became ready on host one");
    // The card's live state, read by each host's CardDirectory: host two from its scheduler
    // and its actor in memory, host one from the rows host two keeps; the same answer.
    const card = { iccid: far.sim!.iccid, deviceKey: "far", place: (await db.selectFrom("sim_cards").select("place").where("iccid", "=", far.sim!.iccid).executeTakeFirstOrThrow()).place };
    const liveOn = (h: (typeof hosts)[number]) => Effect.runPromise(cardDirectory(db, h.registry, h.scheduler, 3_000).liveOf(card));
    const expected = { online: true, hold: { holder: "sr-pool:1", state: "online" }, modem: "up", registered: true };
    expect(await liveOn(hosts[1]!)).toEqual(expected);
    expect(await liveOn(hosts[0]!)).toEqual(expected);
    hosts[1]!.registry.farm!.network.sendSms({ to: far.sim!.number, from: "MyBank", text: "Your code is 7301" });
    const code = await until(() => sr("getLastSms", { number, code: "4" }), (w) => w.includes("7301"), "the code never reached host one");
    expect(code).toContain("7301");
    // Closed on host one: the row is gone, and host two lets the hold go.
    expect(await sr("closeNumber", { number })).toBe("DONE");
    await until(() => db.selectFrom("holds").select("holder").execute(), (rows) => rows.length === 0, "the hold row stayed");
    expect(await status()).toBe("INACTIVE");
    expect((await liveOn(hosts[0]!)).hold).toBeNull();
    await until(() => liveOn(hosts[1]!), (live) => live.hold === null, "host two kept the hold in memory");
  }, 60_000);

  it("once host two stops, its modems read as off on host one", async () => {
    await Effect.runPromise(Scope.close(hosts[1]!.scope, Exit.void));
    // Its last heartbeat ages past the TTL (3 s); moved back rather than waited for.
    await db.updateTable("hosts").set({ heartbeat_at: sql`now() - interval '10 seconds'` }).where("id", "=", "host-two").execute();
    const state = await api("deviceState");
    const far = (state.modems as Json[]).filter((m) => m.host === "host-two");
    expect(far.map((m) => [m.state, m.sim_state])).toEqual([
      ["offline", -3],
      ["offline", -3],
    ]);
  });
});
