import type { Server } from "node:http";
import { Effect } from "effect";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { hashKey } from "../../src/access/keys";
import { INITIAL_SNAPSHOT, type ModemSnapshot } from "../../drivers/modem/state";
import { poolByKey } from "../../src/pools/pools";
import { recordCard } from "../../src/scheduler/inventory";
import type { PanelSetup } from "../../src/panel/context";
import type { Panel } from "../../src/panel/handler";
import { useMigratedDatabase } from "../support/migrated-database";
import { addPanelUsers, closePanel, panelSessions, servePanel } from "./panel-session";

// The Pools page and the SIM cards page's history and bulk actions over HTTP: a viewer reads
// every one of them and changes nothing (the server refuses, whatever the form says); bad
// input is refused with a clear error and changes nothing; a card's history pages by keyset.
const store = useMigratedDatabase("simgate_panel_pools_http");
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });
let server: Server;
let panel: Panel;
let base = "";
const { get, post } = panelSessions(() => base);
const ids: Record<string, number> = {};
const iccidOf = (i: number) => `89705${String(i).padStart(14, "0")}`;
const claims: string[] = [];

beforeAll(async () => {
  const db = store.db();
  // A scheduler that says who claimed what: the bulk "bring online" must go through it.
  const scheduler = {
    positions: () => new Map(),
    place: () => null,
    claim: (device: string, position: string, holder: string) => Effect.sync(() => void claims.push(`${device} ${position} ${holder}`)),
    release: () => Effect.void,
  };
  const ctx: PanelSetup = { db, registry: { modems: [], devices: [], farm: null }, scheduler: scheduler as never, hostTtlMs: 30_000, host: "here" };
  ({ panel, server, base } = await servePanel(ctx));
  await addPanelUsers(db);
  ids.bank = (await db.insertInto("devices").values({ key: "bank", title: "Box bank", model: "sr-box-bank", owner: "olga", channels: 8 }).returning("id").executeTakeFirstOrThrow()).id;
  await db
    .insertInto("sim_cards")
    .values(Array.from({ length: 520 }, (_, i) => ({ device_id: ids.bank!, place: `P${i + 1}`, iccid: iccidOf(i), number: `+1555${String(i).padStart(7, "0")}`, operator: i % 2 ? "Orbit" : "Simnet" })))
    .execute();
  ids.card0 = (await db.selectFrom("sim_cards").select("id").where("iccid", "=", iccidOf(0)).executeTakeFirstOrThrow()).id;
  ids.pool = (await db.insertInto("pools").values({ title: "Verification", key_hash: hashKey("the first pool key"), filter: JSON.stringify([]) }).returning("id").executeTakeFirstOrThrow()).id;
  ids.other = (await db.insertInto("pools").values({ title: "Spare", key_hash: hashKey("the spare pool key"), filter: JSON.stringify({}) }).returning("id").executeTakeFirstOrThrow()).id;
  await db.insertInto("pool_cards").values([0, 1, 2].map((i) => ({ pool_id: ids.pool!, iccid: iccidOf(i), used: i === 0 }))).execute();
  await db.insertInto("pool_cards").values([3, 4].map((i) => ({ pool_id: ids.other!, iccid: iccidOf(i) }))).execute();
  // Card 0's history: 120 messages a minute apart, two sent, a USSD, a call and a move.
  const t0 = Date.now() - 200 * 60_000;
  await db
    .insertInto("sms_in")
    .values(Array.from({ length: 120 }, (_, i) => ({ iccid: iccidOf(0), key: `k${i}`, sender: "Shop", text: `message ${String(i).padStart(3, "0")}`, parts: 1, received_at: new Date(t0 + i * 60_000) as never })))
    .execute();
  await db.insertInto("sms_out").values({ iccid: iccidOf(0), addressee: "+15550009999", text: "outgoing hello", state: "delivered" }).execute();
  await db.insertInto("ussd").values({ iccid: iccidOf(0), request: "*100#", reply: "Balance 7.00", state: "done" }).execute();
  await db.insertInto("calls").values({ iccid: iccidOf(0), direction: "incoming", number: "+15550001111", state: "ended", started_at: new Date() }).execute();
  await db.insertInto("events").values({ type: "cardMoved", device: "bank", iccid: iccidOf(0), payload: JSON.stringify({ from_device: "bank", from_place: "P9", to_device: "bank", to_place: "P1" }) }).execute();
});
afterAll(async () => {
  await closePanel(panel, server);
});


/** Everything a change could touch, to compare before and after a refused request. */
const snapshot = async () => {
  const db = store.db();
  return {
    pools: await db.selectFrom("pools").select(["id", "title", "key_hash", "filter"]).orderBy("id").execute(),
    members: await db.selectFrom("pool_cards").select(["pool_id", "iccid", "used", "processed"]).orderBy("pool_id").orderBy("iccid").execute(),
    forgotten: await db.selectFrom("sim_cards").select("iccid").where("forgotten_at", "is not", null).execute(),
    jobs: await db.selectFrom("jobs").select("id").execute(),
  };
};

describe("a viewer", () => {
  it("reads the Pools page, a pool's page and a card's history, with no control that changes anything", async () => {
    const list = await get("vera", "/pools");
    expect(list.status).toBe(200);
    expect(list.text).toContain(`<a href="/pools/${ids.pool}">Verification</a>`);
    expect(list.text).not.toContain('method="post" action="/pools');
    const one = await get("vera", `/pools/${ids.pool}?device=bank`);
    expect(one.status).toBe(200);
    expect(one.text).toContain('<h2 id="pool-title" data-pool');
    expect(one.text).toContain('id="fill-count"');
    expect(one.text).not.toMatch(/method="post" action="\/pools/);
    expect(one.text).not.toContain("New key");
    // A viewer sees no card of a device that is not theirs; an admin reads any card's history.
    expect((await get("vera", `/cards/${ids.card0}`)).status).toBe(404);
    const history = await get("ann", `/cards/${ids.card0}`);
    expect(history.status).toBe(200);
    expect(history.text).toContain("message 119");
  });

  it("is refused every change by the server, whatever the form carries, and nothing changes", async () => {
    const before = await snapshot();
    const tries: Array<[string, Record<string, string>]> = [
      ["/pools/create", { title: "Mine now", joins: "all" }],
      [`/pools/${ids.pool}/rename`, { title: "Taken over" }],
      [`/pools/${ids.pool}/key`, {}],
      [`/pools/${ids.pool}/restart`, {}],
      [`/pools/${ids.pool}/merge`, { from: String(ids.other) }],
      [`/pools/${ids.pool}/cards`, { op: "add", filter: "device=bank" }],
      ["/cards/bulk", { action: "forget", target: "filter", back: "" }],
      ["/cards/bulk", { action: "pool-add", pool: String(ids.pool), target: "filter", back: "" }],
      ["/cards/bulk", { action: "clear", target: "ticked", [`card.${ids.card0}`]: "1" }],
      ["/cards/bulk", { action: "online", target: "ticked", [`card.${ids.card0}`]: "1" }],
    ];
    for (const [path, fields] of tries) {
      const res = await post("vera", path, fields);
      expect([path, res.status]).toEqual([path, 403]);
      expect(res.text).toContain("Your role (viewer) may not do this.");
    }
    expect(await snapshot()).toEqual(before);
    expect(claims).toEqual([]);
    // Without the session's token even an operator is refused.
    expect((await post("olga", `/pools/${ids.pool}/key`, {}, { csrf: false })).status).toBe(403);
    expect(await snapshot()).toEqual(before);
  });
});

describe("bad input is refused and changes nothing", () => {
  it("pools: no title, an unknown filter term, merging a pool into itself or one with open numbers, an unknown operation", async () => {
    const before = await snapshot();
    const empty = await post("olga", "/pools/create", { title: "  ", joins: "" });
    expect(empty.status).toBe(400);
    expect(empty.text).toContain("Not saved: a title is needed.");
    const badFilter = await post("olga", "/pools/create", { title: "Odd", joins: "colour=red" });
    expect(badFilter.status).toBe(400);
    expect(badFilter.text).toContain("is not a filter term");
    expect(badFilter.text).toContain('value="colour=red"');
    expect((await post("olga", `/pools/${ids.pool}/merge`, { from: String(ids.pool) })).status).toBe(400);
    // The first pool has a number open: it cannot be merged away.
    const busy = await post("olga", `/pools/${ids.other}/merge`, { from: String(ids.pool) });
    expect(busy.status).toBe(409);
    expect(busy.text).toContain("Not merged: Verification: it has 1 numbers open");
    expect((await post("olga", `/pools/${ids.pool}/cards`, { op: "drop", filter: "" })).status).toBe(400);
    expect((await post("olga", `/pools/${ids.pool}/rename`, { title: "x".repeat(201) })).status).toBe(400);
    expect((await post("olga", "/pools/999999/key", {})).status).toBe(404);
    expect(await snapshot()).toEqual(before);
  });

  it("bulk: nothing ticked, no pool for a pool action, an unknown action, too many cards for work on the hardware", async () => {
    const before = await snapshot();
    const none = await post("olga", "/cards/bulk", { action: "forget", target: "ticked", back: "operator=Orbit" });
    expect(none.status).toBe(400);
    expect(none.text).toContain("No card is ticked");
    expect(none.text).toContain('href="/cards?operator=Orbit"');
    expect((await post("olga", "/cards/bulk", { action: "pool-add", pool: "", target: "filter", back: "" })).text).toContain("Choose a pool for this action.");
    expect((await post("olga", "/cards/bulk", { action: "explode", target: "filter", back: "" })).status).toBe(400);
    const many = await post("olga", "/cards/bulk", { action: "clear", target: "filter", back: "" });
    expect(many.status).toBe(400);
    expect(many.text).toContain("520 cards: at most 500 at once");
    expect(await snapshot()).toEqual(before);
  });
});

describe("what an operator does", () => {
  it("a new key is shown once, on the answer, and only its hash is kept; renaming and taking cards out by filter are audited", async () => {
    const res = await post("olga", `/pools/${ids.other}/key`, {});
    expect(res.status).toBe(200);
    const key = /data-pool-key>([^<]+)</.exec(res.text)![1]!;
    const row = await store.db().selectFrom("pools").select("key_hash").where("id", "=", ids.other!).executeTakeFirstOrThrow();
    expect(row.key_hash).toBe(hashKey(key));
    expect((await get("olga", `/pools/${ids.other}`)).text).not.toContain(key);
    expect(await store.db().selectFrom("audit_log").select(["user_name", "action"]).where("action", "=", "pool.key").execute()).toEqual([{ user_name: "olga", action: "pool.key" }]);

    const renamed = await post("olga", `/pools/${ids.other}/rename`, { title: "Spare <2>" });
    expect(renamed.location).toBe(`/pools/${ids.other}?renamed=1`);
    expect((await get("olga", `/pools/${ids.other}`)).text).toContain("Spare &lt;2&gt;");
    // Taking out by filter leaves an open card in: its client holds it.
    const out = await post("olga", `/pools/${ids.pool}/cards`, { op: "remove", filter: `q=${iccidOf(0).slice(0, 17)}` });
    expect(out.location).toBe(`/pools/${ids.pool}?removed=2&open=1`);
    const left = await store.db().selectFrom("pool_cards").select("iccid").where("pool_id", "=", ids.pool!).execute();
    expect(left.map((r) => r.iccid)).toEqual([iccidOf(0)]);
    expect((await get("olga", out.location!)).text).toContain("Took 2 cards out; 1 are open for a client now and stay.");
  });

  it("bulk bring online goes through the scheduler as the user's hold; the list says what was done", async () => {
    const second = (await store.db().selectFrom("sim_cards").select("id").where("iccid", "=", iccidOf(1)).executeTakeFirstOrThrow()).id;
    const res = await post("olga", "/cards/bulk", { action: "online", target: "ticked", back: "operator=Orbit", [`card.${second}`]: "1" });
    expect(res.status).toBe(303);
    expect(res.location).toBe("/cards?operator=Orbit&bulk=online&done=1&skipped=0");
    const olga = await store.db().selectFrom("api_users").select("id").where("name", "=", "olga").executeTakeFirstOrThrow();
    expect(claims).toEqual([`bank P2 user:${olga.id}`]);
    expect((await get("olga", res.location!)).text).toContain("Being brought online: 1 cards; left out: 0.");
  });
});

describe("a card's history", () => {
  it("pages by keyset, newest first, for each kind", async () => {
    const first = await get("olga", `/cards/${ids.card0}`);
    const texts = (page: string) => [...page.matchAll(/<td class="comment">(message \d+)<\/td>/g)].map((m) => m[1]);
    expect(texts(first.text)).toEqual(Array.from({ length: 50 }, (_, i) => `message ${String(119 - i).padStart(3, "0")}`));
    const older = /href="(\/cards\/\d+\?show=sms&amp;before=[\d_]+)"/.exec(first.text)![1]!.replace(/&amp;/g, "&");
    const second = await get("olga", older);
    expect(texts(second.text)[0]).toBe("message 069");
    const third = await get("olga", /href="(\/cards\/\d+\?show=sms&amp;before=[\d_]+)"/.exec(second.text)![1]!.replace(/&amp;/g, "&"));
    expect(texts(third.text)).toHaveLength(20);
    expect(third.text).not.toContain("Older");
    expect((await get("olga", `/cards/${ids.card0}?show=out`)).text).toContain("outgoing hello");
    expect((await get("olga", `/cards/${ids.card0}?show=ussd`)).text).toContain("Balance 7.00");
    expect((await get("olga", `/cards/${ids.card0}?show=calls`)).text).toContain("+15550001111");
    const moves = (await get("olga", `/cards/${ids.card0}?show=moves`)).text;
    expect(moves).toContain("<td>bank P9</td><td class=\"comment\">bank P1</td><td>moved</td>");
    // A cursor that is not one is the first page.
    expect(texts((await get("olga", `/cards/${ids.card0}?before=drop`)).text)[0]).toBe("message 119");
  });
});

describe("merging, and cards taken out by hand", () => {
  it("a merged pool keeps both filters; the other pool, its key and its cards' membership move over", async () => {
    const made = await post("olga", "/pools/create", { title: "Orbit only", joins: "operator=Orbit" });
    expect(made.status).toBe(200);
    const key = /data-pool-key>([^<]+)</.exec(made.text)![1]!;
    const orbit = await poolByKey(store.db(), key);
    expect(orbit?.title).toBe("Orbit only");
    expect(await store.db().selectFrom("pool_cards").select("iccid").where("pool_id", "=", orbit!.id).execute()).toHaveLength(260);
    const target = (await store.db().insertInto("pools").values({ title: "Target", key_hash: hashKey("the target's key"), filter: JSON.stringify({ devices: ["elsewhere"] }) }).returning("id").executeTakeFirstOrThrow()).id;
    const res = await post("olga", `/pools/${target}/merge`, { from: String(orbit!.id) });
    expect(res.location).toBe(`/pools/${target}?merged=260`);
    expect(await poolByKey(store.db(), key)).toBeNull();
    const row = await store.db().selectFrom("pools").select("filter").where("id", "=", target).executeTakeFirstOrThrow();
    expect(row.filter).toEqual([{ devices: ["elsewhere"] }, { operators: ["Orbit"] }]);
    expect((await get("olga", `/pools/${target}`)).text).toContain("<code>device=elsewhere | operator=Orbit</code>");
    expect(await store.db().selectFrom("pool_cards").select("iccid").where("pool_id", "=", target).execute()).toHaveLength(260);
  });

  it("a card taken out of a pool by hand stays out when it is read again, and joins again on another device", async () => {
    const db = store.db();
    const pool = (await db.insertInto("pools").values({ title: "Everything", key_hash: hashKey("everything's key"), filter: JSON.stringify({}) }).returning("id").executeTakeFirstOrThrow()).id;
    const card = { iccid: iccidOf(10), place: "P11" };
    await db.insertInto("pool_cards").values({ pool_id: pool, iccid: card.iccid }).execute();
    const out = await post("olga", `/pools/${pool}/cards`, { op: "remove", filter: `q=${card.iccid}` });
    expect(out.location).toBe(`/pools/${pool}?removed=1&open=0`);
    const snapshot = (): ModemSnapshot => ({ ...INITIAL_SNAPSHOT, port: "ready", sim: { lock: "READY", iccid: card.iccid, imsi: null, number: null }, registration: "HOME", operator: "Simnet" }) as ModemSnapshot;
    const members = async () => (await db.selectFrom("pool_cards").select("iccid").where("pool_id", "=", pool).where("iccid", "=", card.iccid).execute()).length;
    await Effect.runPromise(recordCard(db, ids.bank!, "bank", card.place, snapshot()));
    expect(await members()).toBe(0);
    // Another slot of the same bank: the facts the pool's filter reads are the same; it stays out.
    await Effect.runPromise(recordCard(db, ids.bank!, "bank", "P600", snapshot()));
    expect(await members()).toBe(0);
    const far = (await db.insertInto("devices").values({ key: "far", title: "Far box", model: "sr-box-bank" }).returning("id").executeTakeFirstOrThrow()).id;
    await Effect.runPromise(recordCard(db, far, "far", "A1", snapshot()));
    expect(await members()).toBe(1);
    const moved = await db.selectFrom("events").select("payload").where("type", "=", "cardMoved").where("iccid", "=", card.iccid).orderBy("id").execute();
    expect(moved.map((m) => m.payload)).toEqual([
      expect.objectContaining({ from_device: "bank", from_place: "P11", to_device: "bank", to_place: "P600" }),
      expect.objectContaining({ from_device: "bank", from_place: "P600", to_device: "far", to_place: "A1" }),
    ]);
  });
});
