import type { Server } from "node:http";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { addUser } from "../../src/access/accounts";
import { recordEvent } from "../../src/store/events";
import { feedEnd, formatPosition } from "../../src/events/feed";
import type { PanelContext } from "../../src/panel/context";
import { withDirectory } from "../../src/cards/card-directory";
import { alertsFor, messagesPerHour } from "../../src/panel/alerts";
import { gridRows, visibleDevices } from "../../src/panel/farm-view";
import { panelRoutes, type Panel } from "../../src/panel/handler";
import { html } from "../../src/panel/html";
import { CSP } from "../../src/panel/http";
import { en } from "../../src/panel/i18n/en";
import { localeFromAcceptLanguage, translator } from "../../src/panel/i18n/locale";
import { ru } from "../../src/panel/i18n/ru";
import { useMigratedDatabase } from "../support/migrated-database";
import { TEST_SERVER } from "../support/postgres";
import { routesServer } from "../support/routes";

// The panel over HTTP without a browser or hardware: languages, the JSON index, sign-out
// everywhere, and what the live stream sends whom.
const store = useMigratedDatabase("simgate_panel_http");
// Each sign-in is a deliberately slow password check; on a busy machine a few add up.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });
let server: Server;
let panel: Panel;
let ctx: PanelContext;
let base = "";

beforeAll(async () => {
  ctx = withDirectory({ db: store.db(), registry: { modems: [], devices: [], farm: null }, scheduler: { positions: () => new Map(), place: () => null } as never, hostTtlMs: 30_000, host: "here" });
  panel = panelRoutes(ctx, { pollMs: 50, sessionCheckMs: 200, retryMs: 500 });
  // The panel's routes alone: a path it leaves is the route table's 404.
  server = routesServer(panel.routes);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  await addUser(store.db(), "ann", "admin", "first admin passphrase", "test");
  await addUser(store.db(), "rita", "viewer", "a reader's passphrase", "test");
  await store.db().insertInto("devices").values([
    { key: "mine", title: "Rita's box", model: "pool", owner: "rita" },
    { key: "theirs", title: "Someone else's", model: "pool", owner: "ann" },
  ]).execute();
});
afterAll(async () => {
  panel.dropStreams();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

const signIn = async (name: string, password: string, headers: Record<string, string> = {}) => {
  const form = await fetch(`${base}/login`, { headers });
  const loginCookie = form.headers.get("set-cookie")!.split(";")[0]!;
  const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())![1]!;
  const answer = await fetch(`${base}/login`, {
    method: "POST",
    redirect: "manual",
    headers: { ...headers, cookie: loginCookie, origin: base, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ user: name, password, csrf }).toString(),
  });
  expect(answer.status).toBe(303);
  const cookie = answer.headers.getSetCookie().find((c) => c.startsWith("simgate_session="))!.split(";")[0]!;
  const page = await (await fetch(`${base}/settings`, { headers: { ...headers, cookie } })).text();
  return { cookie, csrf: /name="csrf" value="([^"]+)"/.exec(page)![1]!, page };
};

const post = (path: string, cookie: string, fields: Record<string, string>) =>
  fetch(`${base}${path}`, { method: "POST", redirect: "manual", headers: { cookie, origin: base, "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(fields).toString() });

describe("strings and markup", () => {
  it("Russian has every English string, with the same placeholders", () => {
    const holes = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect(ru[key], key).toBeTruthy();
      expect([key, holes(ru[key])]).toEqual([key, holes(en[key])]);
    }
  });

  it("picks the language from Accept-Language by preference, English otherwise, and fills placeholders", () => {
    expect(localeFromAcceptLanguage("ru-RU,ru;q=0.9,en-US;q=0.8")).toBe("ru");
    expect(localeFromAcceptLanguage("de-DE,en;q=0.5,ru;q=0.7")).toBe("ru");
    expect(localeFromAcceptLanguage("de-DE,fr;q=0.5")).toBe("en");
    expect(localeFromAcceptLanguage("ru;q=0,en")).toBe("en");
    expect(localeFromAcceptLanguage(undefined)).toBe("en");
    expect(translator("ru")("dashboard.summary", { online: 3, total: 16 })).toBe("Модемов в сети: 3 из 16");
  });

  it("escapes every interpolated value but nested fragments", () => {
    const name = `<script>alert("x")</script>&'`;
    expect(html`<b title="${name}">${name}</b>${html`<i>ok</i>`}${[1, null, "<"]}`.text).toBe(
      `<b title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;</b><i>ok</i>1&lt;`,
    );
  });

  it("lays each model's positions out as the hardware is: train rows, bank rows, dual-SIM slots", () => {
    expect(gridRows("sr-train", ["1-1", "1-2", "2-1", "2-2"])).toEqual([
      { label: "1", positions: ["1-1", "1-2"] },
      { label: "2", positions: ["2-1", "2-2"] },
    ]);
    expect(gridRows("sr-box-bank", ["A1", "B1", "A2", "B2"])).toEqual([
      { label: "1", positions: ["A1", "B1"] },
      { label: "2", positions: ["A2", "B2"] },
    ]);
    expect(gridRows("dual-sim", ["1-1", "1-2", "2-1", "2-2"])).toEqual([
      { label: "1", positions: ["1-1", "2-1"] },
      { label: "2", positions: ["1-2", "2-2"] },
    ]);
    expect(gridRows("pool", ["1", "2", "3"])).toEqual([{ label: "1", positions: ["1", "2", "3"] }]);
  });
});

describe("pages over HTTP", () => {
  it("a client asking for JSON at / is left to the service's JSON index; pages carry the CSP", async () => {
    const json = await fetch(`${base}/`, { headers: { accept: "application/json" } });
    expect([json.status, await json.json()]).toEqual([404, { error: "no route /" }]);
    const page = await fetch(`${base}/`, { redirect: "manual", headers: { accept: "text/html" } });
    expect([page.status, page.headers.get("location"), page.headers.get("content-security-policy")]).toEqual([303, "/login", CSP]);
  });

  it("speaks Russian to a Russian browser, and the user's own choice wins over the browser's", async () => {
    const ruForm = await (await fetch(`${base}/login`, { headers: { "accept-language": "ru-RU,ru;q=0.9" } })).text();
    expect(ruForm).toContain('<html lang="ru">');
    expect(ruForm).toContain("Имя пользователя");
    const ann = await signIn("ann", "first admin passphrase", { "accept-language": "ru" });
    expect(ann.page).toContain("Настройки</h1>");
    expect((await post("/settings/language", ann.cookie, { locale: "en", csrf: ann.csrf })).status).toBe(303);
    const english = await (await fetch(`${base}/`, { headers: { cookie: ann.cookie, "accept-language": "ru" } })).text();
    expect(english).toContain('<html lang="en">');
    expect(english).toContain("Dashboard</h1>");
    const row = await store.db().selectFrom("api_users").select("locale").where("name", "=", "ann").executeTakeFirstOrThrow();
    expect(row.locale).toBe("en");
  });

  it("sign-out everywhere ends every session of the user, and is audited", async () => {
    const one = await signIn("rita", "a reader's passphrase");
    const two = await signIn("rita", "a reader's passphrase");
    expect((await post("/logout-all", one.cookie, { csrf: one.csrf })).headers.get("location")).toBe("/login?signedOut=1");
    for (const s of [one, two]) expect((await fetch(`${base}/`, { redirect: "manual", headers: { cookie: s.cookie } })).headers.get("location")).toBe("/login?expired=1");
    const audit = await store.db().selectFrom("audit_log").select("action").where("user_name", "=", "rita").orderBy("id").execute();
    expect(audit.map((a) => a.action)).toEqual(["sign-in", "sign-in", "sign-out-everywhere"]);
  });
});

describe("the live stream", () => {
  const readStream = async (cookie: string, headers: Record<string, string>, until: (text: string) => boolean) => {
    const controller = new AbortController();
    const res = await fetch(`${base}/panel/live`, { headers: { cookie, ...headers }, signal: controller.signal });
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const reader = res.body!.getReader();
    let text = "";
    const deadline = Date.now() + 5_000;
    while (!until(text) && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    controller.abort();
    return text;
  };

  it("resumes after Last-Event-ID, and a user is sent only the events of their own devices", async () => {
    const before = formatPosition(await feedEnd(store.db()));
    await recordEvent(store.db(), "modemTrouble", { device: "theirs" }, { modem: 1, kind: "test", detail: "not rita's" });
    await recordEvent(store.db(), "smsUnattributed", { device: null }, { detail: "no device" });
    await recordEvent(store.db(), "modemTrouble", { device: "mine" }, { modem: 2, kind: "test", detail: "rita's" });
    const rita = await signIn("rita", "a reader's passphrase");
    const ritaSees = await readStream(rita.cookie, { "last-event-id": before }, (t) => t.includes("rita's"));
    expect(ritaSees).toContain("retry: 500");
    expect([...ritaSees.matchAll(/"detail":"([^"]+)"/g)].map((m) => m[1])).toEqual(["rita's"]);
    const ann = await signIn("ann", "first admin passphrase");
    const annSees = await readStream(ann.cookie, { "last-event-id": before }, (t) => t.includes("rita's"));
    const ids = [...annSees.matchAll(/^id: (\d+:\d+)$/gm)].map((m) => m[1]!);
    expect([...annSees.matchAll(/"detail":"([^"]+)"/g)].map((m) => m[1])).toEqual(["not rita's", "no device", "rita's"]);
    // Resuming from the first event's id gives the two after it, and nothing before.
    const resumed = await readStream(ann.cookie, { "last-event-id": ids[0]! }, (t) => t.includes("rita's"));
    expect([...resumed.matchAll(/"detail":"([^"]+)"/g)].map((m) => m[1])).toEqual(["no device", "rita's"]);
  });

  it("tells the tab when its session has ended, and refuses a stream without a session", async () => {
    const rita = await signIn("rita", "a reader's passphrase");
    const stream = readStream(rita.cookie, {}, (t) => t.includes("signed-out"));
    await new Promise((r) => setTimeout(r, 100));
    await post("/logout", rita.cookie, { csrf: rita.csrf });
    expect(await stream).toContain("event: signed-out");
    expect((await fetch(`${base}/panel/live`, { headers: { cookie: rita.cookie } })).status).toBe(401);
  });
});

describe("the live stream's shared reads", () => {
  /** A stream read piece by piece: `until` waits for what a test expects next. */
  const openStream = async (cookie: string) => {
    const controller = new AbortController();
    const res = await fetch(`${base}/panel/live`, { headers: { cookie }, signal: controller.signal });
    const reader = res.body!.getReader();
    let text = "";
    return {
      until: async (done: (text: string) => boolean, ms = 5_000) => {
        const deadline = Date.now() + ms;
        while (!done(text) && Date.now() < deadline) {
          const chunk = await Promise.race([reader.read(), new Promise<null>((r) => setTimeout(() => r(null), Math.max(1, deadline - Date.now())))]);
          if (chunk === null || chunk.done) break;
          text += new TextDecoder().decode(chunk.value);
        }
        return text;
      },
      close: () => controller.abort(),
    };
  };

  it("an event committed behind a transaction still open elsewhere on the server is announced at once, and sent in order when that transaction ends", async () => {
    const ann = await signIn("ann", "first admin passphrase");
    const stream = await openStream(ann.cookie);
    await stream.until((t) => t.includes("retry:"));
    const elsewhere = new pg.Client({ connectionString: TEST_SERVER });
    await elsewhere.connect();
    try {
      await elsewhere.query("begin");
      await elsewhere.query("select txid_current()");
      await recordEvent(store.db(), "modemTrouble", { device: "theirs" }, { modem: 3, kind: "lost", detail: "behind an open transaction" });
      const hinted = await stream.until((t) => t.includes("event: changed"));
      expect(hinted).toContain("event: changed\ndata: {}\n\n");
      // The feed keeps it back: an id given now could be passed over by an event of the
      // open transaction.
      expect(hinted).not.toContain("behind an open transaction");
    } finally {
      await elsewhere.query("commit");
      await elsewhere.end();
    }
    const sent = await stream.until((t) => t.includes("behind an open transaction"));
    expect(sent).toMatch(/id: \d+:\d+\nevent: feed\ndata: .*behind an open transaction/);
    // Announced once, not again when it is sent.
    expect(sent.match(/event: changed/g)).toHaveLength(1);
    stream.close();
  });

  it("one read of the feed per tick serves every open tab", async () => {
    const ann = await signIn("ann", "first admin passphrase");
    const rita = await signIn("rita", "a reader's passphrase");
    const tabs = await Promise.all([ann, ann, rita, rita, ann].map((s) => openStream(s.cookie)));
    for (const tab of tabs) await tab.until((t) => t.includes("retry:"));
    const before = panel.streams.reads();
    const started = Date.now();
    await recordEvent(store.db(), "modemTrouble", { device: "mine" }, { modem: 4, kind: "test", detail: "for every tab" });
    for (const tab of tabs) expect(await tab.until((t) => t.includes("for every tab"))).toContain("for every tab");
    await new Promise((r) => setTimeout(r, 500));
    const ticks = (Date.now() - started) / 50;
    const reads = panel.streams.reads() - before;
    // Five tabs, polled every 50 ms: about one read per tick, not five.
    expect(reads).toBeGreaterThan(0);
    expect(reads).toBeLessThanOrEqual(Math.ceil(ticks) + 1);
    expect(panel.streams.open()).toBe(5);
    for (const tab of tabs) tab.close();
    await expect.poll(() => panel.streams.open()).toBe(0);
  });
});

describe("alerts and activity", () => {
  it("alerts come from the last hour's events of the user's devices, failed switches and their own failing webhooks; a connect is no error", async () => {
    const db = store.db();
    await db.insertInto("sim_cards").values([
      { device_id: (await db.selectFrom("devices").select("id").where("key", "=", "mine").executeTakeFirstOrThrow()).id, place: "1", iccid: "8900000000000000001", number: "+15550000001" },
      { device_id: (await db.selectFrom("devices").select("id").where("key", "=", "theirs").executeTakeFirstOrThrow()).id, place: "1", iccid: "8900000000000000002", number: "+15550000002" },
    ]).execute();
    await recordEvent(db, "modemTrouble", { device: "mine" }, { modem: 1, kind: "connected", detail: "up" });
    await recordEvent(db, "modemTrouble", { device: "mine" }, { modem: 1, kind: "lost", detail: "the port vanished" });
    await recordEvent(db, "simStatus", { device: "mine", iccid: "8900000000000000001" }, { modem: 1, state: 6 });
    await recordEvent(db, "simStatus", { device: "theirs", iccid: "8900000000000000002" }, { modem: 1, state: 3 });
    await recordEvent(db, "modemTrouble", { device: "mine" }, { modem: 1, kind: "reset", detail: "an hour and more ago" }, new Date(Date.now() - 3_700_000));
    await db.insertInto("holds").values({ device: "mine", position: "1", holder: "user:1", state: "failed", error: "the controller did not answer" }).execute();
    const rita = { id: (await db.selectFrom("api_users").select("id").where("name", "=", "rita").executeTakeFirstOrThrow()).id, name: "rita", admin: false };
    await db.insertInto("outbox").values({ event: "smsReceived", payload: "{}", user_id: rita.id, attempts: 3, last_error: "HTTP 500 from the receiver" }).execute();
    const alerts = await alertsFor(ctx, rita, await visibleDevices(ctx, rita));
    expect(alerts.map((a) => [a.kind, a.device, a.detail])).toEqual([
      ["switch-failed", "mine", "1: the controller did not answer"],
      ["webhook-failing", null, "1 waiting: HTTP 500 from the receiver"],
      ["sim-absent", "mine", "+15550000001"],
      ["modem-down", "mine", "the port vanished"],
    ]);
    const ann = { id: (await db.selectFrom("api_users").select("id").where("name", "=", "ann").executeTakeFirstOrThrow()).id, name: "ann", admin: true };
    expect((await alertsFor(ctx, ann, await visibleDevices(ctx, ann))).map((a) => a.kind)).toContain("sim-blocked");
  });

  it("messages per hour: 24 hourly counts in and out, of the user's own cards", async () => {
    const db = store.db();
    const hourAgo = new Date(Date.now() - 3_600_000);
    await db.insertInto("sms_in").values([
      { iccid: "8900000000000000001", key: "a", sender: "x", text: "now", parts: 1 },
      { iccid: "8900000000000000001", key: "b", sender: "x", text: "an hour ago", parts: 1, received_at: hourAgo as never },
      { iccid: "8900000000000000002", key: "c", sender: "x", text: "not rita's", parts: 1 },
      { iccid: "8900000000000000001", key: "d", sender: "x", text: "two days ago", parts: 1, received_at: new Date(Date.now() - 48 * 3_600_000) as never },
    ]).execute();
    await db.insertInto("sms_out").values({ iccid: "8900000000000000001", addressee: "+1555", text: "out" }).execute();
    // The pages above wrote the closed hours down already, before these messages were put
    // into the past by hand (a stored message is stamped with the time it is stored).
    await db.deleteFrom("sms_hours").execute();
    const rita = { id: 0, name: "rita", admin: false };
    const hours = await messagesPerHour(ctx, rita, await visibleDevices(ctx, rita));
    expect(hours).toHaveLength(24);
    expect(hours.at(-1)).toMatchObject({ received: 1, sent: 1 });
    expect(hours.at(-2)).toMatchObject({ received: 1, sent: 0 });
    expect(hours.reduce((n, h) => n + h.received, 0)).toBe(2);
    const all = await messagesPerHour(ctx, { id: 0, name: "ann", admin: true }, []);
    expect(all.reduce((n, h) => n + h.received, 0)).toBe(3);

    // Closed hours are counted once and read from sms_hours afterwards (one row per hour for
    // "no device", and one per device that had messages); the open hour is counted live.
    const written = await db.selectFrom("sms_hours").select(["hour", "device_id", "received"]).execute();
    const settledHours = new Set(written.filter((w) => w.device_id === 0).map((w) => new Date(w.hour).getTime()));
    expect(settledHours.size).toBe(23);
    // The message of an hour ago is in a written-down hour, unless this is an hour's first two
    // minutes: then its hour has just ended and is still counted live.
    const hourOf = (d: Date) => Math.floor(d.getTime() / 3_600_000) * 3_600_000;
    expect(written.filter((w) => w.device_id !== 0).map((w) => w.received)).toEqual(settledHours.has(hourOf(hourAgo)) ? [1] : []);
    await db.insertInto("sms_in").values([
      { iccid: "8900000000000000001", key: "e", sender: "x", text: "put into a written-down hour", parts: 1, received_at: new Date(Date.now() - 3 * 3_600_000) as never },
      { iccid: "8900000000000000001", key: "f", sender: "x", text: "just now", parts: 1 },
    ]).execute();
    const again = await messagesPerHour(ctx, rita, await visibleDevices(ctx, rita));
    expect(again.at(-1)).toMatchObject({ received: 2, sent: 1 });
    expect(again.reduce((n, h) => n + h.received, 0)).toBe(3);
  });
});

describe("another host's device", () => {
  it("is shown from the rows that host writes: positions its scan found, the card on each modem, the holds", async () => {
    const db = store.db();
    await db.insertInto("hosts").values({ id: "far", version: "test" }).execute();
    await db.insertInto("device_hosts").values({ device: "mine", host: "far" }).execute();
    const mine = (await db.selectFrom("devices").select("id").where("key", "=", "mine").executeTakeFirstOrThrow()).id;
    await db.insertInto("sim_cards").values({ device_id: mine, place: "2", iccid: "8900000000000000003", number: "+15550000003" }).execute();
    await db.insertInto("modem_state").values({ device: "mine", modem: 1, host: "far", connected: true, sim_status: 1, iccid: "8900000000000000003", number: "+15550000003", operator: "Simnet", registration: "HOME", signal_dbm: -70 }).execute();
    // A pool's open number holds a card too: the grid names the pool.
    const pool = await db.insertInto("pools").values({ title: "Verification", key_hash: "x" }).returning("id").executeTakeFirstOrThrow();
    await db.insertInto("sim_cards").values({ device_id: mine, place: "3", iccid: "8900000000000000004", number: "+15550000004" }).execute();
    await db.insertInto("holds").values({ device: "mine", position: "3", holder: `sr-pool:${pool.id}`, state: "online" }).execute();
    const rita = await signIn("rita", "a reader's passphrase");
    const page = await (await fetch(`${base}/devices/mine`, { headers: { cookie: rita.cookie } })).text();
    expect(page).toContain("This device is driven by host far");
    expect(page).toMatch(/data-position="3"[\s\S]*?held by pool Verification \(online\)/);
    // Its rotation is that host's to run, and the page says so.
    expect(page).toContain("Run by host far, which drives this device.");
    expect(page).toMatch(/<td class="cell on-modem" data-position="2" data-modem="1" data-iccid="8900000000000000003">/);
    expect(page).toMatch(/<td class="cell held failed" data-position="1" data-modem="" data-iccid="8900000000000000001">[\s\S]*?held by ann \(failed\): the controller did not answer/);
    expect(page).toMatch(/<tr data-modem="mine#1" data-connected="true" data-status="1">/);
    // A viewer gets no buttons on another host's device either.
    expect(page).not.toContain("Switch position");
  });
});

describe("a big farm on the dashboard", () => {
  it("past 200 modems each modem is a tile, and only the modems in trouble keep a table row", async () => {
    const db = store.db();
    await db.insertInto("hosts").values({ id: "wide", version: "test" }).execute();
    await db
      .insertInto("modem_state")
      .values(Array.from({ length: 205 }, (_, i) => ({ device: "theirs", modem: i + 1, host: "wide", connected: i + 1 !== 7, sim_status: i + 1 === 7 ? -3 : 1, iccid: null, number: null, operator: "Simnet", registration: "HOME", signal_dbm: -70 })))
      .execute();
    const ann = await signIn("ann", "first admin passphrase");
    const page = await (await fetch(`${base}/`, { headers: { cookie: ann.cookie } })).text();
    expect(page.match(/<li class="tile /g)).toHaveLength(206);
    expect(page).toContain('<li class="tile bad" data-modem="theirs#7" data-connected="false"');
    expect(page).toContain('<tr data-modem="theirs#7" data-connected="false" data-status="-3">');
    expect(page).not.toContain('<tr data-modem="theirs#8"');
    expect(page).toContain("205 of 206 modems online");
  });
});
