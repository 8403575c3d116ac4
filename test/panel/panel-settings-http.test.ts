import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { userByKey } from "../../src/access/users";
import { notifySettings } from "../../src/notify/settings";
import { recordEvent } from "../../src/store/events";
import type { PanelSetup } from "../../src/panel/context";
import type { Panel } from "../../src/panel/handler";
import { retentionInForce } from "../../src/store/retention";
import { useMigratedDatabase } from "../support/migrated-database";
import { addPanelUsers, closePanel, panelSessions, servePanel } from "./panel-session";

// The Events and Settings pages over HTTP: who sees which events, filters and keyset paging,
// bad input; who may change which settings (the server refuses, nothing is written), the
// notifications form and its delivery log against a receiver that first refuses, users and
// roles, the audit log, retention and operator codes.
const store = useMigratedDatabase("simgate_panel_settings");
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });
let server: Server;
let panel: Panel;
let base = "";
const { signIn, get, post, forget } = panelSessions(() => base);
let receiver: Server;
let hook = "";
let refuse = true;
const hits: string[] = [];
const keys: Record<string, string> = {};


beforeAll(async () => {
  const db = store.db();
  const ctx: PanelSetup = { db, registry: { modems: [], devices: [], farm: null }, scheduler: { positions: () => new Map(), place: () => null } as never, hostTtlMs: 30_000, host: "here" };
  ({ panel, server, base } = await servePanel(ctx));
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      hits.push(Buffer.concat(chunks).toString("utf8"));
      if (refuse) res.writeHead(503).end("receiver is  down\nfor maintenance");
      else res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  hook = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/in`;
  Object.assign(keys, await addPanelUsers(db));
  await db.insertInto("devices").values([
    { key: "bank", title: "Olga's bank", model: "sr-box-bank", owner: "olga" },
    { key: "lab", title: "Vera's lab", model: "pool", owner: "vera" },
  ]).execute();
  await db.insertInto("sim_cards").values({ device_id: (await db.selectFrom("devices").select("id").where("key", "=", "bank").executeTakeFirstOrThrow()).id, place: "A1", iccid: "8970100000000000001", number: "+15550001111", operator: "Simnet" }).execute();
  // 130 events on the bank (every 10th a trouble, on the card), 5 on the lab, 2 of no device, an hour apart from a fixed start.
  const start = Date.parse("2026-01-01T00:00:00Z");
  for (let i = 0; i < 130; i++)
    await recordEvent(db, i % 10 === 0 ? "modemTrouble" : "simStatus", i % 10 === 0 ? { iccid: "8970100000000000001" } : { device: "bank" }, { modem: 1, state: i }, new Date(start + i * 3_600_000));
  for (let i = 0; i < 5; i++) await recordEvent(db, "deviceState", { device: "lab" }, { state: "online" }, new Date(start + i * 3_600_000));
  for (let i = 0; i < 2; i++) await recordEvent(db, "smsUnattributed", {}, { sender: "bank" }, new Date(start));
});
afterAll(async () => {
  await closePanel(panel, server);
  receiver.closeAllConnections();
  await new Promise<void>((r) => receiver.close(() => r()));
});




/** The event ids of a page, in order, and their types. */
const events = (page: string) => [...page.matchAll(/<tr data-event="(\d+)" data-type="(\w+)">/g)].map((m) => ({ id: Number(m[1]), type: m[2]! }));
const alert = (page: string) => /role="alert">([^<]*)</.exec(page)?.[1];

describe("the Events page", () => {
  it("each user sees the events of their devices; an admin also those of no device", async () => {
    expect(events((await get("olga", "/events?size=200")).text)).toHaveLength(130);
    const vera = events((await get("vera", "/events")).text);
    expect(vera.map((e) => e.type)).toEqual(Array(5).fill("deviceState"));
    const ann = events((await get("ann", "/events?size=200")).text);
    expect(ann).toHaveLength(137);
    // Newest first by when it happened (the lab's and the unattributed events are from the first hours).
    const times = [...(await get("ann", "/events?size=200")).text.matchAll(/<tr data-event="\d+"[^>]*>\s*<td><time datetime="([^"]+)"/g)].map((m) => m[1]!);
    expect(times).toHaveLength(137);
    expect(times).toEqual([...times].sort().reverse());
    // The oldest three hours: within an hour, the later recorded first.
    expect(ann.slice(-7).map((e) => e.type)).toEqual(["simStatus", "deviceState", "simStatus", "smsUnattributed", "smsUnattributed", "deviceState", "modemTrouble"]);
    // Another's device cannot be asked for by name either.
    const refused = await get("vera", "/events?device=bank");
    expect([refused.status, alert(refused.text), events(refused.text)]).toEqual([400, "No such device among yours.", []]);
  });

  it("filters by type, device, card (ICCID or number) and time window", async () => {
    expect(events((await get("olga", "/events?type=modemTrouble")).text).map((e) => e.type)).toEqual(Array(13).fill("modemTrouble"));
    expect(events((await get("ann", "/events?device=lab")).text)).toHaveLength(5);
    expect(events((await get("olga", "/events?card=8970100000000000001")).text)).toHaveLength(13);
    expect(events((await get("olga", "/events?card=%2B15550001111")).text)).toHaveLength(13);
    // Hours 10 to 19 inclusive.
    const window = events((await get("olga", "/events?from=2026-01-01T10:00&to=2026-01-01T20:00")).text);
    expect(window).toHaveLength(10);
    expect(events((await get("olga", "/events?from=2026-01-01T10:00&to=2026-01-01T20:00&type=modemTrouble")).text)).toHaveLength(1);
  });

  it("pages by keyset: older and newer pages join without a gap or a repeat", async () => {
    const first = await get("olga", "/events?size=50");
    const one = events(first.text).map((e) => e.id);
    expect(one).toHaveLength(50);
    const older = /href="\/events\?before=(\d+)"/.exec(first.text)!;
    expect(Number(older[1])).toBe(one.at(-1));
    const second = await get("olga", `/events?before=${older[1]}`);
    const two = events(second.text).map((e) => e.id);
    expect(two).toHaveLength(50);
    expect(Math.max(...two)).toBeLessThan(Math.min(...one));
    const third = events((await get("olga", `/events?before=${two.at(-1)}`)).text).map((e) => e.id);
    expect(third).toHaveLength(30);
    expect(new Set([...one, ...two, ...third]).size).toBe(130);
    // Back from the second page: the newer page is the first one again.
    const newer = /href="\/events\?after=(\d+)"/.exec(second.text)!;
    expect(events((await get("olga", `/events?after=${newer[1]}`)).text).map((e) => e.id)).toEqual(one);
    // The last page offers no older one; the first page no newer one.
    expect((await get("olga", `/events?before=${two.at(-1)}`)).text).not.toContain("before=");
    expect(first.text).not.toContain("after=");
  });

  it("bad filters are a 400 that says what is wrong, with nothing listed", async () => {
    for (const [query, message] of [
      ["type=nonsense", "No such event type."],
      ["card=abc", "A card is given by its ICCID or its number (digits, an optional leading +)."],
      ["from=yesterday", "“From” must be a date and time (YYYY-MM-DDTHH:MM)."],
      ["to=2026-13", "“Until” must be a date and time (YYYY-MM-DDTHH:MM)."],
      ["before=12x", "The page position in the address is not valid."],
      ["size=7", "Per page: 25, 50, 100 or 200."],
      ["from=2026-01-02T00:00&to=2026-01-01T00:00", "“From” must be before “until”."],
      ["card=%2B19999999999", "No card of yours has this number."],
      // An event the address pages from that is gone (pruned since).
      ["before=987654321", "The page position in the address is not valid."],
    ] as const) {
      const page = await get("olga", `/events?${query}`);
      expect([query, page.status, alert(page.text), events(page.text)]).toEqual([query, 400, message, []]);
    }
  });

  it("a fragment request gets only the live region", async () => {
    const part = await get("olga", "/events?type=modemTrouble", { "x-simgate-fragment": "1" });
    expect(part.status).toBe(200);
    expect(part.text).not.toContain("<html");
    expect(events(part.text)).toHaveLength(13);
  });
});

describe("who may change which settings", () => {
  it("a viewer reads every section and every change is refused, with nothing written", async () => {
    const page = await get("vera", "/settings");
    expect(page.status).toBe(200);
    expect([...page.text.matchAll(/<form method="post" action="([^"]+)"/g)].map((m) => m[1])).toEqual(["/logout", "/logout-all", "/settings/language"]);
    const before = await notifySettings(store.db(), (await store.db().selectFrom("api_users").select("id").where("name", "=", "vera").executeTakeFirstOrThrow()).id);
    for (const path of ["/settings/key", "/settings/notify", "/settings/notify/test", "/settings/notify/retry", "/settings/telegram", "/settings/operators", "/settings/retention", "/settings/users/add"])
      expect([path, (await post("vera", path, { url: hook, name: "x", role: "admin", password: "long enough password" })).status]).toEqual([path, 403]);
    expect(await notifySettings(store.db(), (await store.db().selectFrom("api_users").select("id").where("name", "=", "vera").executeTakeFirstOrThrow()).id)).toEqual(before);
    expect(await userByKey(store.db(), keys.vera)).not.toBeNull();
    expect(await store.db().selectFrom("outbox").select("id").execute()).toEqual([]);
    expect(await store.db().selectFrom("api_users").select("name").where("name", "=", "x").execute()).toEqual([]);
  });

  it("an operator is refused the admin sections and the shared settings", async () => {
    for (const path of ["/settings/users", "/settings/audit"]) expect([path, (await get("olga", path)).status]).toEqual([path, 403]);
    for (const path of ["/settings/users/add", "/settings/users/role", "/settings/users/password", "/settings/users/disable", "/settings/operators", "/settings/retention"])
      expect([path, (await post("olga", path, { name: "vera", role: "admin", password: "long enough password", balance_ussd: "*1#", smsDays: "1" })).status]).toEqual([path, 403]);
    expect((await store.db().selectFrom("api_users").select("role").where("name", "=", "vera").executeTakeFirstOrThrow()).role).toBe("viewer");
    const page = await get("olga", "/settings");
    expect(page.text).not.toContain('href="/settings/users"');
    expect(page.text).toContain('action="/settings/notify"');
  });

  it("a post without the session's token or from another site is refused", async () => {
    expect((await post("olga", "/settings/notify", { url: hook }, { csrf: false })).status).toBe(403);
    const s = await signIn("olga");
    const foreign = await fetch(`${base}/settings/key`, { method: "POST", redirect: "manual", headers: { cookie: s.cookie, origin: "http://evil.example", "content-type": "application/x-www-form-urlencoded" }, body: `csrf=${s.csrf}` });
    expect(foreign.status).toBe(403);
    expect(await userByKey(store.db(), keys.olga)).not.toBeNull();
  });
});

describe("notifications", () => {
  it("a bad URL is refused with the reason and changes nothing", async () => {
    const answer = await post("olga", "/settings/notify", { url: "ftp://nowhere", format: "json", event_smsReceived: "1" });
    expect(answer.status).toBe(400);
    expect(alert(answer.text)).toBe("Not saved: url: must be an http:// or https:// URL");
    const olga = (await store.db().selectFrom("api_users").select("id").where("name", "=", "olga").executeTakeFirstOrThrow()).id;
    expect((await notifySettings(store.db(), olga)).url).toBeNull();
  });

  it("a refused test event shows with the receiver's answer; retry now delivers it once the receiver is back", async () => {
    const saved = await post("olga", "/settings/notify", { url: hook, format: "form", event_smsReceived: "1", event_callEnd: "1" });
    expect([saved.status, saved.location]).toEqual([303, "/settings?done=notify#notify-title"]);
    const olga = (await store.db().selectFrom("api_users").select("id").where("name", "=", "olga").executeTakeFirstOrThrow()).id;
    const s = await notifySettings(store.db(), olga);
    expect([s.url, s.format, s.events.smsReceived, s.events.callEnd, s.events.ussdReceived]).toEqual([hook, "form", true, true, false]);

    const test = await post("olga", "/settings/notify/test", {});
    expect(test.status).toBe(303);
    expect(decodeURIComponent(test.location!)).toBe("/settings?failed=HTTP 503: receiver is down for maintenance#log-title");
    expect(hits).toHaveLength(1);
    expect(new URLSearchParams(hits[0]).get("event")).toBe("test");
    const page = await get("olga", test.location!);
    expect(alert(page.text)).toBe("The test event was not delivered: HTTP 503: receiver is down for maintenance");
    const row = /<tr data-delivery="(\d+)" data-event="test">(.*?)<\/tr>/s.exec(page.text)!;
    expect(row[2]).toContain('data-state="failed"');
    expect(row[2]).toContain('data-field="answer">HTTP 503: receiver is down for maintenance<');
    expect(page.text).toContain('action="/settings/notify/retry"');

    refuse = false;
    const retried = await post("olga", "/settings/notify/retry", {});
    expect(retried.location).toBe("/settings?retried=1&waiting=0#log-title");
    expect(hits).toHaveLength(2);
    const after = await get("olga", "/settings");
    expect(/<tr data-delivery="\d+" data-event="test">(.*?)<\/tr>/s.exec(after.text)![1]).toContain('data-state="delivered"');
    expect(after.text).not.toContain('action="/settings/notify/retry"');
    const audit = await store.db().selectFrom("audit_log").select("action").where("user_name", "=", "olga").where("action", "like", "settings.notify%").orderBy("id").execute();
    expect(audit.map((a) => a.action)).toEqual(["settings.notify", "settings.notify.test", "settings.notify.retry"]);
  });

  it("Telegram: a bad token is refused; an empty token field keeps the token; clearing removes it", async () => {
    const olga = (await store.db().selectFrom("api_users").select("id").where("name", "=", "olga").executeTakeFirstOrThrow()).id;
    const bad = await post("olga", "/settings/telegram", { telegram_token: "not a token", telegram_chat_id: "42" });
    expect([bad.status, alert(bad.text)]).toEqual([400, "Not saved: telegram_token: must be a bot token (123456:ABC...)"]);
    expect((await notifySettings(store.db(), olga)).telegram).toEqual({ token: null, chatId: null });
    expect((await post("olga", "/settings/telegram", { telegram_token: "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ", telegram_chat_id: "42" })).status).toBe(303);
    expect((await post("olga", "/settings/telegram", { telegram_token: "", telegram_chat_id: "@farmroom" })).status).toBe(303);
    expect((await notifySettings(store.db(), olga)).telegram).toEqual({ token: "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ", chatId: "@farmroom" });
    // The token is never sent back to the page whole.
    expect((await get("olga", "/settings")).text).not.toContain("ABCDEFGHIJKLMNOPQRSTUVWXYZ");
    expect((await post("olga", "/settings/telegram", { clear: "1" })).status).toBe(303);
    expect((await notifySettings(store.db(), olga)).telegram).toEqual({ token: null, chatId: null });
  });
});

describe("the admin's settings", () => {
  it("operator codes: saved through operatorEdit, a bad code refused", async () => {
    const bad = await post("ann", "/settings/operators", { name: "Simnet", balance_ussd: "call me", number_ussd: "" });
    expect([bad.status, alert(bad.text)]).toEqual([400, "Not saved: balance_ussd: must be a USSD code (digits, * and #)"]);
    expect(await store.db().selectFrom("operators").selectAll().execute()).toEqual([]);
    expect((await post("ann", "/settings/operators", { name: "Simnet", balance_ussd: "*100#", number_ussd: "*111*0887#" })).status).toBe(303);
    expect(await store.db().selectFrom("operators").select(["name", "balance_ussd", "number_ussd"]).execute()).toEqual([{ name: "Simnet", balance_ussd: "*100#", number_ussd: "*111*0887#" }]);
    // The operator sees the codes of their cards' operator, without a form.
    const page = (await get("olga", "/settings")).text;
    expect(page).toMatch(/<tr data-operator="Simnet"><th scope="row">Simnet<\/th><td>1<\/td><td>\*100#<\/td><td>\*111\*0887#<\/td><\/tr>/);
  });

  it("retention: bad days refused, good ones in force, then back to the configuration's", async () => {
    const bad = await post("ann", "/settings/retention", { smsDays: "-1", ussdDays: "0", callsDays: "0", atLogDays: "30", eventsDays: "90" });
    expect([bad.status, alert(bad.text)]).toEqual([400, "Not saved: smsDays must be a whole number of days from 0 (keep forever) to 36500"]);
    expect((await retentionInForce(store.db())).source).toBe("config");
    expect((await post("ann", "/settings/retention", { smsDays: "400", ussdDays: "0", callsDays: "0", atLogDays: "7", eventsDays: "30" })).status).toBe(303);
    const now = await retentionInForce(store.db());
    expect([now.source, now.retention]).toEqual(["panel", { smsDays: 400, ussdDays: 0, callsDays: 0, atLogDays: 7, eventsDays: 30 }]);
    expect((await post("ann", "/settings/retention", { reset: "1" })).status).toBe(303);
    expect((await retentionInForce(store.db())).source).toBe("config");
  });

  it("users: add (key shown once), change a role, reset a password, disable and enable", async () => {
    const weak = await post("ann", "/settings/users/add", { name: "pavel", role: "operator", password: "short" });
    expect([weak.status, alert(weak.text)]).toEqual([400, "Not saved: a password needs at least 10 characters"]);
    const added = await post("ann", "/settings/users/add", { name: "pavel", role: "operator", password: "green tractor 42" });
    expect(added.status).toBe(200);
    const key = /<code id="new-key">([^<]+)<\/code>/.exec(added.text)![1]!;
    expect((await userByKey(store.db(), key))?.name).toBe("pavel");
    expect((await post("ann", "/settings/users/role", { name: "pavel", role: "chief" })).status).toBe(400);
    expect((await post("ann", "/settings/users/role", { name: "pavel", role: "viewer" })).location).toBe("/settings/users?done=pavel");
    expect((await userByKey(store.db(), key))?.role).toBe("viewer");
    // The admin cannot take the role from themselves (nor from the admin user).
    expect((await post("ann", "/settings/users/role", { name: "ann", role: "viewer" })).status).toBe(400);

    await signIn("pavel", "green tractor 42");
    expect((await post("ann", "/settings/users/password", { name: "pavel", password: "blue tractor 77" })).status).toBe(303);
    // A reset ends the user's sessions.
    expect((await get("pavel", "/settings")).status).toBe(303);
    forget("pavel");
    await signIn("pavel", "blue tractor 77");

    expect((await post("ann", "/settings/users/disable", { name: "pavel" })).status).toBe(303);
    expect((await get("pavel", "/settings")).status).toBe(303);
    forget("pavel");
    await expect(signIn("pavel", "blue tractor 77")).rejects.toThrow("could not sign in (401)");
    expect(await userByKey(store.db(), key)).toBeNull();
    const listed = (await get("ann", "/settings/users")).text;
    expect(listed).toContain('<tr data-user="pavel" data-role="viewer" data-disabled="1">');
    expect((await post("ann", "/settings/users/disable", { name: "ann" })).status).toBe(400);
    expect((await post("ann", "/settings/users/enable", { name: "pavel" })).status).toBe(303);
    expect((await userByKey(store.db(), key))?.name).toBe("pavel");
    await signIn("pavel", "blue tractor 77");
  });

  it("the audit log: newest first, by user, paged by keyset", async () => {
    for (let i = 0; i < 60; i++) await store.db().insertInto("audit_log").values({ user_name: "bulk", action: `bulk.${i}`, detail: "{}" }).execute();
    const first = await get("ann", "/settings/audit?user=bulk");
    const ids = (page: string) => [...page.matchAll(/<tr data-audit="(\d+)" data-action="([^"]+)">/g)].map((m) => [Number(m[1]), m[2]] as const);
    const one = ids(first.text);
    expect(one).toHaveLength(50);
    expect(one[0]![1]).toBe("bulk.59");
    const older = /href="\/settings\/audit\?user=bulk&amp;before=(\d+)"/.exec(first.text)!;
    const two = ids((await get("ann", `/settings/audit?user=bulk&before=${older[1]}`)).text);
    expect(two.map((r) => r[1])).toEqual(Array.from({ length: 10 }, (_, i) => `bulk.${9 - i}`));
    const users = ids((await get("ann", "/settings/audit?action=user.")).text).map((r) => r[1]);
    expect(users).toEqual(expect.arrayContaining(["user.add", "user.role", "user.passwd", "user.disable", "user.enable"]));
    expect(new Set(users.map((a) => a!.split(".")[0]))).toEqual(new Set(["user"]));
    expect((await get("ann", "/settings/audit?before=x")).status).toBe(400);
  });

  it("the user's own key: rotated on the page, the old one refused", async () => {
    const page = await post("olga", "/settings/key", {});
    expect(page.status).toBe(200);
    const fresh = /<code id="new-key">([^<]+)<\/code>/.exec(page.text)![1]!;
    expect((await userByKey(store.db(), fresh))?.name).toBe("olga");
    expect(await userByKey(store.db(), keys.olga)).toBeNull();
    const audit = await store.db().selectFrom("audit_log").select(["user_name", "address"]).where("action", "=", "user.key-rotate").execute();
    expect(audit).toEqual([{ user_name: "olga", address: "127.0.0.1" }]);
  });
});
