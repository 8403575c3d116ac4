import type { Server } from "node:http";
import { PGlite } from "@electric-sql/pglite";
import { Effect } from "effect";
import { Kysely, PGliteDialect, sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { buildDeliver } from "../../hil/network/pdu-builder";
import { parseCsv } from "../../src/panel/cards-csv";
import type { PanelSetup } from "../../src/panel/context";
import type { Panel } from "../../src/panel/handler";
import { CSP } from "../../src/panel/http";
import { hasTrigrams, messageRows, parseMessageQuery } from "../../src/panel/messages-view";
import { migrate, PGLITE_EXTENSIONS } from "../../src/store/database";
import type { Database } from "../../src/store/schema";
import { useMigratedDatabase } from "../support/migrated-database";
import { addPanelUsers, closePanel, panelSessions, servePanel } from "./panel-session";

// The Messages page over HTTP: who sees which records, paging by key, the searches and their
// refusals, a long message's gaps, the delivery per part, the CSV export, deleting (roles,
// CSRF, Origin, audit) and assigning an unattributed message; and the text search on the
// embedded database, with pg_trgm and without it.
const store = useMigratedDatabase("simgate_panel_messages");
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });
let server: Server;
let panel: Panel;
let base = "";
const { signIn, get, postResponse: post } = panelSessions(() => base);
const ids: Record<string, number> = {};

const iccidOf = (i: number) => `89701${String(i).padStart(14, "0")}`;
const T0 = Date.parse("2026-11-20T12:00:00Z");
/** Olga's 130 received messages: message i at T0 + i minutes, but 60-64 share one time (ties). */
const atOf = (i: number) => new Date(i >= 60 && i <= 64 ? T0 + 60 * 60_000 : T0 + i * 60_000);
const SENDERS = ["+79161234567", "Google", "900"];
const textOf = (i: number) => (i % 10 === 3 ? `Your OTP is ${1000 + i}` : i === 7 ? "=HYPERLINK(\"x\") 100% sure" : `hello number ${i}`);

beforeAll(async () => {
  const db = store.db();
  const ctx: PanelSetup = { db, registry: { modems: [], devices: [], farm: null }, scheduler: { positions: () => new Map(), place: () => null } as never, hostTtlMs: 30_000, host: "here" };
  ({ panel, server, base } = await servePanel(ctx));
  await addPanelUsers(db);
  for (const [key, owner] of [["bank", "olga"], ["other", "ann"], ["seen", "vera"]] as const) {
    ids[key] = (await db.insertInto("devices").values({ key, title: `Box ${key}`, model: "sr-box-bank", owner }).returning("id").executeTakeFirstOrThrow()).id;
  }
  await db.insertInto("sim_cards").values(Array.from({ length: 10 }, (_, i) => ({ device_id: ids.bank!, place: `A${i + 1}`, iccid: iccidOf(i), number: `+1555000000${i}`, name: `bank card ${i}` }))).execute();
  await db.insertInto("sim_cards").values({ device_id: ids.other!, place: "A1", iccid: "8970200000000000000", name: "ann's card" }).execute();
  await db.insertInto("sim_cards").values({ device_id: ids.seen!, place: "A1", iccid: "8970300000000000000", name: "vera's card" }).execute();
  await db
    .insertInto("sms_in")
    .values(Array.from({ length: 130 }, (_, i) => ({ iccid: iccidOf(i % 10), key: `k${i}`, sender: SENDERS[i % 3]!, text: textOf(i), parts: 1, missing: [], received_at: atOf(i) as never })))
    .execute();
  await db.insertInto("sms_in").values({ iccid: iccidOf(2), key: "long", sender: "Bank", text: "First half, [part 2 of 3 missing] and the end", parts: 3, missing: [2], received_at: new Date(T0 + 200 * 60_000) as never }).execute();
  await db
    .insertInto("sms_in")
    .values(Array.from({ length: 5 }, (_, i) => ({ iccid: "8970200000000000000", key: `a${i}`, sender: "Google", text: `Your OTP is secret ${i}`, parts: 1, missing: [], received_at: new Date(T0 + i * 60_000) as never })))
    .execute();
  // Outgoing: one delivered (two parts reported), one with a failed part, one in the queue, one refused by the modem.
  const out = await db
    .insertInto("sms_out")
    .values([
      { iccid: iccidOf(1), addressee: "+15551110000", text: "a long one, two parts", state: "delivered", outcome: 2, created_at: new Date(T0) as never },
      { iccid: iccidOf(1), addressee: "+15551110001", text: "half way", state: "undelivered", outcome: 0, created_at: new Date(T0 + 60_000) as never },
      { iccid: iccidOf(1), addressee: "+15551110002", text: "waiting", state: "queued", created_at: new Date(T0 + 120_000) as never },
      { iccid: iccidOf(1), addressee: "+15551110003", text: "refused", state: "failed", outcome: 0, error: "+CMS ERROR: 500", created_at: new Date(T0 + 180_000) as never },
    ])
    .returning("id")
    .execute();
  ids.delivered = out[0]!.id;
  ids.halfway = out[1]!.id;
  ids.refused = out[3]!.id;
  await db
    .insertInto("sms_out_parts")
    .values([
      { sms_id: out[0]!.id, seq: 1, mr: 10, report_status: 0, reported_at: new Date() },
      { sms_id: out[0]!.id, seq: 2, mr: 11, report_status: 0, reported_at: new Date() },
      { sms_id: out[1]!.id, seq: 1, mr: 12, report_status: 0, reported_at: new Date() },
      { sms_id: out[1]!.id, seq: 2, mr: 13, report_status: 0x41, reported_at: new Date() },
    ])
    .execute();
  await db.insertInto("sms_submits").values({ sms_id: out[3]!.id, seq: 1, host: "here", finished_at: new Date(), error: "+CMS ERROR: 500" }).execute();
  await db
    .insertInto("ussd")
    .values([
      { iccid: iccidOf(0), request: "*100#", reply: "Balance 12.50 USD", status: "0", state: "done", created_at: new Date(T0) as never },
      { iccid: "8970200000000000000", request: "*100#", reply: "Balance 99 USD", status: "0", state: "done", created_at: new Date(T0) as never },
    ])
    .execute();
  await db
    .insertInto("calls")
    .values([
      { iccid: iccidOf(0), direction: "incoming", number: "+79160000001", state: "ended", started_at: new Date(T0), end_reason: "remote hang-up" },
      { iccid: iccidOf(0), direction: "outgoing", number: "+79160000002", state: "ended", started_at: new Date(T0 + 60_000) },
    ])
    .execute();
  const pdu = (text: string) => buildDeliver({ smsc: "+79000000000", from: "+79169990000", text, alphabet: "gsm7", at: new Date(T0), offsetMinutes: 0 }).pdu;
  const un = await db
    .insertInto("sms_unattributed")
    .values([
      { device: "bank", modem: 1, storage: "ME", sender: "+79169990000", text: "whose is this", pdu: pdu("whose is this"), pdu_hash: "h1", window_start: new Date(T0), candidates: [iccidOf(0), iccidOf(1)], reason: "two cards were in the modem since the storage was last emptied" },
      { device: "other", modem: 1, storage: "ME", sender: "+79169990000", text: "ann's stray", pdu: pdu("ann's stray"), pdu_hash: "h2", candidates: [], reason: "no card seen" },
    ])
    .returning("id")
    .execute();
  ids.unattributed = un[0]!.id;
  ids.annsUnattributed = un[1]!.id;
  await sql`analyze`.execute(db);
});
afterAll(async () => {
  await closePanel(panel, server);
});


/** The record ids of a page's table, in order. */
const listed = (page: string) => [...page.matchAll(/<tr data-id="(\d+)"/g)].map((m) => Number(m[1]));
const alerts = (page: string) => [...page.matchAll(/<p class="notice error" role="alert">([^<]*)<\/p>/g)].map((m) => m[1]);
const olderLink = (page: string) => /<a href="\/messages\?([^"]*)" rel="next">/.exec(page)?.[1]?.replace(/&amp;/g, "&");
const newerLink = (page: string) => /<a href="\/messages\?([^"]*)" rel="prev">/.exec(page)?.[1]?.replace(/&amp;/g, "&");

/** Olga's received messages as the database orders them: newest first, ties by id. */
const olgasInbox = async (where: (q: ReturnType<typeof base0>) => ReturnType<typeof base0> = (q) => q) => (await where(base0()).execute()).map((r) => r.id);
const base0 = () =>
  store
    .db()
    .selectFrom("sms_in")
    .select("id")
    .where("iccid", "like", "89701%")
    .orderBy("received_at", "desc")
    .orderBy("id", "desc");

describe("the lists", () => {
  it("each user sees the records of their devices' cards; an admin all; the page carries the CSP", async () => {
    const olga = await get("olga", "/messages?size=200");
    expect(olga.status).toBe(200);
    expect(olga.headers.get("content-security-policy")).toBe(CSP);
    expect(listed(olga.text)).toEqual(await olgasInbox());
    expect(olga.text).not.toContain("secret");
    expect(listed((await get("vera", "/messages")).text)).toEqual([]);
    expect(listed((await get("ann", "/messages?size=200")).text)).toHaveLength(136);
    expect(listed((await get("olga", "/messages?kind=ussd")).text)).toHaveLength(1);
    expect(listed((await get("ann", "/messages?kind=ussd")).text)).toHaveLength(2);
    expect(listed((await get("olga", "/messages?kind=unattributed")).text)).toEqual([ids.unattributed]);
    expect(listed((await get("ann", "/messages?kind=unattributed")).text)).toHaveLength(2);
  });

  it("pages by key: walking the older links lists every message once, ties included, and a newer link comes back", async () => {
    const all = await olgasInbox();
    const seen: number[] = [];
    const pages: string[] = [];
    let next: string | undefined = "size=25";
    while (next !== undefined) {
      const page = await get("olga", `/messages?${next}`);
      expect(page.status).toBe(200);
      pages.push(next);
      seen.push(...listed(page.text));
      next = olderLink(page.text);
    }
    expect(seen).toEqual(all);
    expect(pages).toHaveLength(Math.ceil(all.length / 25));
    // From the third page, "newer" is the second again.
    const third = await get("olga", `/messages?${pages[2]}`);
    const back = await get("olga", `/messages?${newerLink(third.text)}`);
    expect(listed(back.text)).toEqual(all.slice(25, 50));
    expect(olderLink(back.text)).toBe(pages[2]);
  });

  it("searches text and number in any case with wildcards taken literally, a card by its name, a time range", async () => {
    const otp = await olgasInbox((q) => q.where("text", "ilike", "%otp%"));
    expect(otp.length).toBe(13);
    expect(listed((await get("olga", "/messages?q=oTp&size=200")).text)).toEqual(otp);
    expect(listed((await get("olga", "/messages?q=100%25+sure")).text)).toEqual(await olgasInbox((q) => q.where("key", "=", "k7")));
    expect(listed((await get("olga", "/messages?q=1_0")).text)).toEqual([]);
    expect(listed((await get("olga", "/messages?who=google&size=200")).text)).toEqual(await olgasInbox((q) => q.where("sender", "=", "Google")));
    expect(listed((await get("olga", "/messages?card=bank+card+4&size=200")).text)).toEqual(await olgasInbox((q) => q.where("iccid", "=", iccidOf(4))));
    // Another's card is no card of Olga's: nothing.
    expect(listed((await get("olga", "/messages?card=ann")).text)).toEqual([]);
    const range = await get("olga", "/messages?from=2026-11-20T12:10&to=2026-11-20T12:20");
    expect(listed(range.text)).toEqual(await olgasInbox((q) => q.where("received_at", ">=", new Date(T0 + 10 * 60_000)).where("received_at", "<", new Date(T0 + 20 * 60_000))));
    expect(listed(range.text)).toHaveLength(10);
    const combined = await get("olga", "/messages?q=otp&who=%2B7916&card=bank+card+3&from=2026-11-20T12:00Z");
    expect(listed(combined.text)).toEqual(await olgasInbox((q) => q.where("text", "ilike", "%otp%").where("sender", "=", "+79161234567").where("iccid", "=", iccidOf(3))));
    expect(listed((await get("olga", "/messages?kind=calls&who=0002")).text)).toHaveLength(1);
    expect(listed((await get("olga", "/messages?kind=ussd&q=balance")).text)).toHaveLength(1);
  });

  it("refuses bad filters with a clear error and lists nothing", async () => {
    for (const [query, words] of [
      ["q=ab", "Text needs at least 3 characters."],
      ["who=90", "Number or sender needs at least 3 characters."],
      ["from=yesterday", "From (UTC) is not a time"],
      ["to=2026-13-45T99:99", "Until (UTC) is not a time"],
      ["from=2026-11-21&to=2026-11-20", "The start of the time range must come before its end."],
      ["before=12.x", "The page address is damaged"],
      ["size=7", "Rows per page are one of 25, 50, 100, 200."],
      [`q=${"x".repeat(201)}`, "Text is longer than 200 characters."],
      ["card=bank+card", null],
    ] as const) {
      const page = await get("olga", `/messages?${query}`);
      if (words === null) {
        expect(page.status).toBe(200);
        continue;
      }
      expect([query, page.status]).toEqual([query, 400]);
      expect(alerts(page.text).join(" ")).toContain(words);
      expect(listed(page.text)).toEqual([]);
    }
  });

  it("a long message is shown whole with its gap marked; an outgoing one with the delivery of each part", async () => {
    const long = await get("olga", "/messages?q=first+half");
    expect(long.text).toContain('First half, <mark class="missing" data-missing="2">[part 2 of 3 missing]</mark> and the end');
    expect(long.text).toContain('<strong class="bad" data-field="missing">missing: 2</strong>');
    const out = (await get("olga", "/messages?kind=out")).text;
    const rowOf = (id: number) => new RegExp(`<tr data-id="${id}"[^>]*>([\\s\\S]*?)</tr>`).exec(out)![1]!;
    expect([...rowOf(ids.delivered!).matchAll(/data-part-state="(\w+)"/g)].map((m) => m[1])).toEqual(["delivered", "delivered"]);
    expect([...rowOf(ids.halfway!).matchAll(/data-part-state="(\w+)"/g)].map((m) => m[1])).toEqual(["delivered", "failed"]);
    expect(rowOf(ids.halfway!)).toContain("not delivered");
    expect([...rowOf(ids.refused!).matchAll(/data-part-state="(\w+)"/g)].map((m) => m[1])).toEqual(["refused"]);
    expect(rowOf(ids.refused!)).toContain("+CMS ERROR: 500");
  });
});

describe("the export", () => {
  it("is exactly the filtered list, every page of it, in the page's order, and audited", async () => {
    const res = await fetch(`${base}/messages.csv?who=%2B7916&size=25&before=99999999999999999.1`, { headers: { cookie: (await signIn("olga")).cookie } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="messages-in-\d{4}-\d\d-\d\d\.csv"$/);
    const records = parseCsv(await res.text(), ",");
    expect(records[0]!.cells).toEqual(["id", "received", "iccid", "card_number", "card_name", "sender", "text", "parts", "missing", "sent"]);
    const expected = await olgasInbox((q) => q.where("sender", "=", "+79161234567"));
    expect(expected.length).toBeGreaterThan(25);
    expect(records.slice(1).map((r) => Number(r.cells[0]))).toEqual(expected);
    // A formula in a text is defused.
    const formula = await get("olga", "/messages.csv?q=100%25");
    expect(parseCsv(formula.text, ",")[1]!.cells[6]).toBe(`'=HYPERLINK("x") 100% sure`);
    const audit = await store.db().selectFrom("audit_log").select(["user_name", "detail"]).where("action", "=", "messages.export").orderBy("id").execute();
    expect(audit[0]).toEqual({ user_name: "olga", detail: { query: "who=%2B7916&size=25" } });
    // A viewer exports what they see (nothing of Olga's); a bad filter is refused before any row.
    expect(parseCsv((await get("vera", "/messages.csv")).text, ",")).toHaveLength(1);
    const bad = await get("olga", "/messages.csv?q=ab");
    expect([bad.status, bad.text.trim()]).toEqual([400, "Text needs at least 3 characters."]);
  });
});

describe("changes", () => {
  it("a viewer may not delete, nor may a post without the token or from another site; nothing changes", async () => {
    const [first] = await olgasInbox();
    for (const [who, opts] of [["vera", {}], ["olga", { csrf: false }], ["olga", { origin: "http://evil.example" }]] as const) {
      const res = await post(who, "/messages/delete", { kind: "in", [`id-${first}`]: "1", back: "" }, opts);
      expect(res.status).toBe(403);
    }
    const refused = await post("vera", "/messages/assign", { id: String(ids.unattributed), iccid: iccidOf(0) });
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain("viewer");
    expect(await store.db().selectFrom("sms_in").select("id").where("id", "=", first!).execute()).toHaveLength(1);
    expect(await store.db().selectFrom("sms_unattributed").select("id").where("id", "=", ids.unattributed!).execute()).toHaveLength(1);
    expect(await store.db().selectFrom("audit_log").select("id").where("action", "in", ["messages.delete", "message.assign"]).execute()).toEqual([]);
  });

  it("an operator deletes the ticked rows of their own cards only, audited; bad ids change nothing", async () => {
    const [a, b] = await olgasInbox();
    const anns = (await store.db().selectFrom("sms_in").select("id").where("iccid", "=", "8970200000000000000").execute()).map((r) => r.id);
    const bad = await post("olga", "/messages/delete", { kind: "in", ids: `${a},x1` });
    expect(bad.status).toBe(400);
    expect(alerts(await bad.text())).toEqual(["The record ids are not numbers: nothing was changed."]);
    expect((await post("olga", "/messages/delete", { kind: "in" })).status).toBe(400);
    const res = await post("olga", "/messages/delete", { kind: "in", [`id-${a}`]: "1", [`id-${b}`]: "1", [`id-${anns[0]}`]: "1", back: "q=hello&size=25" });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/messages?q=hello&size=25&kind=in&deleted=2");
    expect(alerts((await get("olga", res.headers.get("location")!)).text)).toEqual([]);
    expect((await get("olga", res.headers.get("location")!)).text).toContain("Records deleted: 2.");
    expect(await store.db().selectFrom("sms_in").select("id").where("id", "in", [a!, b!, anns[0]!]).execute()).toEqual([{ id: anns[0] }]);
    const audit = await store.db().selectFrom("audit_log").select(["user_name", "detail"]).where("action", "=", "messages.delete").execute();
    expect(audit).toEqual([{ user_name: "olga", detail: { kind: "in", ids: [a, b, anns[0]], deleted: 2 } }]);
    // Calls and USSD go the same way.
    const call = await store.db().selectFrom("calls").select("id").where("direction", "=", "outgoing").executeTakeFirstOrThrow();
    expect((await post("olga", "/messages/delete", { kind: "calls", ids: String(call.id) })).headers.get("location")).toBe("/messages?kind=calls&deleted=1");
  });

  it("an unattributed message assigned to a card becomes that card's message; another's card or message is refused", async () => {
    const notYours = await post("olga", "/messages/assign", { id: String(ids.unattributed), iccid: "8970200000000000000" });
    expect(notYours.status).toBe(400);
    expect(alerts(await notYours.text())).toEqual(["The card 8970200000000000000 is not among yours."]);
    expect((await post("olga", "/messages/assign", { id: String(ids.annsUnattributed), iccid: iccidOf(0) })).status).toBe(404);
    expect((await post("olga", "/messages/assign", { id: String(ids.unattributed), iccid: "12ab" })).status).toBe(400);
    const page = (await get("olga", "/messages?kind=unattributed")).text;
    expect(page).toContain("two cards were in the modem since the storage was last emptied");
    expect(page).toContain(`<li class="iccid">${iccidOf(1)} <small>+15550000001 · bank card 1</small></li>`);
    const res = await post("olga", "/messages/assign", { id: String(ids.unattributed), iccid: iccidOf(1), back: "kind=unattributed" });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`/messages?kind=unattributed&assigned=${iccidOf(1)}`);
    const stored = await store.db().selectFrom("sms_in").select(["iccid", "sender", "text"]).where("text", "=", "whose is this").execute();
    expect(stored).toEqual([{ iccid: iccidOf(1), sender: "+79169990000", text: "whose is this" }]);
    expect(await store.db().selectFrom("sms_unattributed").select("id").where("id", "=", ids.unattributed!).execute()).toEqual([]);
    const event = await store.db().selectFrom("events").select(["type", "iccid"]).where("type", "=", "smsReceived").execute();
    expect(event).toEqual([{ type: "smsReceived", iccid: iccidOf(1) }]);
    expect((await store.db().selectFrom("audit_log").select(["user_name", "iccid", "device"]).where("action", "=", "message.assign").execute())).toEqual([{ user_name: "olga", iccid: iccidOf(1), device: "bank" }]);
    // Twice: it is gone.
    expect((await post("olga", "/messages/assign", { id: String(ids.unattributed), iccid: iccidOf(1) })).status).toBe(404);
  });
});

describe("the text search's index", () => {
  it("on PostgreSQL with contrib: trigram indexes, and the search uses them", async () => {
    expect(await hasTrigrams(store.db())).toBe(true);
    // A table this small is read whole when it may be; told not to, the only other way is the index.
    const plan = await store
      .db()
      .transaction()
      .execute(async (trx) => {
        await sql`set local enable_seqscan = off`.execute(trx);
        await sql`set local enable_indexscan = off`.execute(trx);
        return sql<{ "QUERY PLAN": string }>`explain select id from sms_in where text ilike '%otp is%'`.execute(trx);
      });
    expect(plan.rows.map((r) => r["QUERY PLAN"]).join("\n")).toContain("sms_in_text_trgm");
  });

  const embedded = async (extensions: boolean) => {
    const pglite = await PGlite.create(extensions ? { extensions: PGLITE_EXTENSIONS } : {});
    const db = new Kysely<Database>({ dialect: new PGliteDialect({ pglite }) });
    await Effect.runPromise(migrate(db));
    await db.insertInto("sms_in").values(Array.from({ length: 40 }, (_, i) => ({ iccid: "8970100000000000001", key: `k${i}`, sender: "Google", text: i % 4 === 0 ? `Your code ${i}` : "noise", parts: 1, missing: [], received_at: new Date(T0 + i * 1000) as never }))).execute();
    return db;
  };
  const everyone = { scope: { devices: [], everywhere: true }, devices: [] };

  it("in PGlite, which ships pg_trgm: the same indexes", async () => {
    const db = await embedded(true);
    try {
      expect(await hasTrigrams(db)).toBe(true);
      const found = await messageRows(db, everyone, parseMessageQuery(new URLSearchParams("q=CODE")).query, 50);
      expect(found.rows.map((r) => r.text)).toEqual([36, 32, 28, 24, 20, 16, 12, 8, 4, 0].map((i) => `Your code ${i}`));
    } finally {
      await db.destroy();
    }
    // Migrating an embedded database takes half a minute on two busy cores.
  }, 180_000);

  it("without pg_trgm the migration still runs, and a search reads a bounded window at a time, going on from where it stopped", async () => {
    const db = await embedded(false);
    try {
      expect(await hasTrigrams(db)).toBe(false);
      const q = parseMessageQuery(new URLSearchParams("q=code")).query;
      // Bound 15 rows: the newest 15 (39 down to 25) hold 3 matches; then on from the 15th.
      const first = await messageRows(db, everyone, q, 10, 15);
      expect(first.rows.map((r) => r.text)).toEqual(["Your code 36", "Your code 32", "Your code 28"]);
      expect(first.boundedAt).not.toBeNull();
      const texts = first.rows.map((r) => r.text as string);
      let at = first.boundedAt;
      while (at) {
        const next = await messageRows(db, everyone, { ...q, before: at }, 10, 15);
        texts.push(...next.rows.map((r) => r.text as string));
        at = next.more ? null : next.boundedAt;
      }
      expect(texts).toEqual([36, 32, 28, 24, 20, 16, 12, 8, 4, 0].map((i) => `Your code ${i}`));
    } finally {
      await db.destroy();
    }
  }, 180_000);
});
