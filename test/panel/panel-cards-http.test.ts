import type { Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { csvCell, parseCsv } from "../../src/panel/cards-csv";
import type { PanelSetup } from "../../src/panel/context";
import type { Panel } from "../../src/panel/handler";
import { CSP } from "../../src/panel/http";
import { useMigratedDatabase } from "../support/migrated-database";
import { addPanelUsers, closePanel, panelSessions, servePanel } from "./panel-session";

// The SIM cards page over HTTP: who sees which cards, search, filters, sort and paging done
// by the database, the edit form (roles, CSRF, audit), the CSV export and the CSV import.
const store = useMigratedDatabase("simgate_panel_cards");
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });
let server: Server;
let panel: Panel;
let base = "";
const { signIn, get, postResponse: post } = panelSessions(() => base);
const ids: Record<string, number> = {};

/** 120 cards on olga's bank (iccid 8970100000000000000 + i), 5 on ann's, one placed nowhere. */
const iccidOf = (i: number) => `89701${String(i).padStart(14, "0")}`;

beforeAll(async () => {
  const db = store.db();
  const ctx: PanelSetup = { db, registry: { modems: [], devices: [], farm: null }, scheduler: { positions: () => new Map(), place: () => null } as never, hostTtlMs: 30_000, host: "here" };
  ({ panel, server, base } = await servePanel(ctx));
  await addPanelUsers(db);
  for (const [key, owner] of [["bank", "olga"], ["other", "ann"], ["seen", "vera"]] as const) {
    ids[key] = (await db.insertInto("devices").values({ key, title: `Box ${key}`, model: "sr-box-bank", owner }).returning("id").executeTakeFirstOrThrow()).id;
  }
  await db
    .insertInto("sim_cards")
    .values(
      Array.from({ length: 120 }, (_, i) => ({
        device_id: ids.bank!,
        place: `${"ABCDEFGH"[i % 8]}${Math.floor(i / 8) + 1}`,
        iccid: iccidOf(i),
        number: `+1555${String(i).padStart(7, "0")}`,
        operator: ["Simnet", "Orbit", "Lumen"][i % 3]!,
        name: `card ${String(i).padStart(3, "0")}`,
        comment: i % 10 === 0 ? "spare, 100% charged" : null,
        last_seen_at: new Date(Date.now() - i * 60_000),
      })),
    )
    .execute();
  await db.insertInto("sim_cards").values(Array.from({ length: 5 }, (_, i) => ({ device_id: ids.other!, place: `A${i + 1}`, iccid: `89702${String(i).padStart(14, "0")}`, name: `ann's ${i}` }))).execute();
  await db.insertInto("sim_cards").values({ device_id: ids.seen!, place: "A1", iccid: "8970300000000000000", name: "vera's only", comment: "=HYPERLINK(\"x\")" }).execute();
  await db.insertInto("sim_cards").values({ device_id: null, place: null, iccid: "8970400000000000000", name: "in the drawer" }).execute();
  // Cards 0-3 on modems of a live host (card 3's modem is disconnected); another host's row is stale.
  await db.insertInto("hosts").values([{ id: "far", version: "test" }, { id: "gone", version: "test", heartbeat_at: new Date(Date.now() - 3_600_000) as never }]).execute();
  await db
    .insertInto("modem_state")
    .values([
      ...[0, 1, 2, 3].map((i) => ({ device: "bank", modem: i + 1, host: "far", connected: i !== 3, sim_status: i === 2 ? 5 : 1, iccid: iccidOf(i), number: null, operator: "Simnet", registration: "HOME", signal_dbm: -70 })),
      { device: "bank", modem: 9, host: "gone", connected: true, sim_status: 1, iccid: iccidOf(4), number: null, operator: "Simnet", registration: "HOME", signal_dbm: -70 },
    ])
    .execute();
  const pool = await db.insertInto("pools").values({ title: "Verification", key_hash: "k1" }).returning("id").executeTakeFirstOrThrow();
  ids.pool = pool.id;
  await db.insertInto("pool_cards").values([5, 6, 7].map((i) => ({ pool_id: pool.id, iccid: iccidOf(i) }))).execute();
});
afterAll(async () => {
  await closePanel(panel, server);
});


/** The ICCIDs of a page's table, in order. */
const listed = (page: string) => [...page.matchAll(/<tr data-card="\d+" data-iccid="(\d+)"/g)].map((m) => m[1]!);
const countLine = (page: string) => /<p id="cards-count" role="status">([^<]*)<\/p>/.exec(page)?.[1];


describe("the inventory", () => {
  it("each user sees the cards of their devices; an admin also the cards placed nowhere; the page carries the CSP", async () => {
    const olga = await get("olga", "/cards?size=200");
    expect(olga.headers.get("content-security-policy")).toBe(CSP);
    expect(listed(olga.text)).toHaveLength(120);
    expect(countLine(olga.text)).toBe("Matching cards: 120; 1–120 shown");
    expect(olga.text).not.toContain("ann&#39;s");
    const vera = await get("vera", "/cards");
    expect(listed(vera.text)).toEqual(["8970300000000000000"]);
    const ann = await get("ann", "/cards?size=200");
    expect(countLine(ann.text)).toBe("Matching cards: 127; 1–127 shown");
    expect(ann.text).toMatch(/data-iccid="8970400000000000000"[\s\S]*?placed nowhere/);
    expect(listed((await get("ann", "/cards?device=-")).text)).toEqual(["8970400000000000000"]);
    // Nobody else has "placed nowhere" to choose, nor sees such a card by asking for it.
    expect(olga.text).not.toContain('<option value="-">');
    expect(listed((await get("olga", "/cards?device=-")).text)).toEqual([]);
    expect(listed((await get("olga", "/cards?device=other")).text)).toEqual([]);
  });

  it("a row shows its live state and modem, pools, place and last seen; a dead host's modem row counts for nothing", async () => {
    const page = (await get("olga", "/cards?size=10")).text;
    const rowOf = (i: number) => new RegExp(`<tr data-card="\\d+" data-iccid="${iccidOf(i)}" data-state="(-?\\d)">([\\s\\S]*?)</tr>`).exec(page)!;
    expect(rowOf(0)[1]).toBe("1");
    expect(rowOf(0)[2]).toContain('<a href="/devices/bank">Box bank</a> · A1 <small>on modem 1</small>');
    expect(rowOf(2)[1]).toBe("5");
    expect(rowOf(2)[2]).toContain("roaming");
    expect(rowOf(3)[1]).toBe("-3");
    expect(rowOf(4)[1]).toBe("-3");
    expect(rowOf(5)[2]).toContain("<td>Verification</td>");
    expect(rowOf(1)[2]).toMatch(/<time datetime="[\d-]+T[\d:.]+Z">/);
  });

  it("search narrows by ICCID, number, name or comment substring, any case, with % and _ taken literally", async () => {
    expect(listed((await get("olga", "/cards?q=CARD+01&sort=iccid")).text)).toEqual([...Array(10).keys()].map((i) => iccidOf(10 + i)));
    expect(listed((await get("olga", `/cards?q=${iccidOf(117).slice(-6)}`)).text)).toEqual([iccidOf(117)]);
    expect(listed((await get("olga", "/cards?q=5550000042")).text)).toEqual([iccidOf(42)]);
    expect(countLine((await get("olga", "/cards?q=SPARE")).text)).toBe("Matching cards: 12; 1–12 shown");
    expect(countLine((await get("olga", "/cards?q=100%25")).text)).toBe("Matching cards: 12; 1–12 shown");
    expect(countLine((await get("olga", "/cards?q=1_0")).text)).toBe("Matching cards: 0; 0–0 shown");
    expect((await get("olga", "/cards?q=nothing+like+it")).text).toContain("No card matches.");
  });

  it("filters by state, pool, operator and device combine; sort by any column either way; pages keep the filters", async () => {
    expect(listed((await get("olga", "/cards?state=1")).text)).toEqual([iccidOf(0), iccidOf(1)]);
    expect(countLine((await get("olga", "/cards?state=-3")).text)).toBe("Matching cards: 117; 1–50 shown");
    expect(listed((await get("olga", `/cards?pool=${ids.pool}`)).text)).toEqual([iccidOf(5), iccidOf(6), iccidOf(7)]);
    expect(listed((await get("olga", `/cards?pool=${ids.pool}&operator=orbit`)).text)).toEqual([iccidOf(7)]);
    expect(countLine((await get("olga", "/cards?operator=Lumen&device=bank")).text)).toBe("Matching cards: 40; 1–40 shown");
    const byName = (await get("olga", "/cards?sort=name&dir=desc&size=25")).text;
    expect(listed(byName).slice(0, 3)).toEqual([iccidOf(119), iccidOf(118), iccidOf(117)]);
    expect(byName).toContain('<th scope="col" aria-sort="descending"><a href="/cards?sort=name&amp;size=25"');
    expect(listed((await get("olga", "/cards?sort=seen&size=25")).text)[0]).toBe(iccidOf(119));
    expect(listed((await get("olga", "/cards?sort=state&dir=desc&size=25")).text).slice(0, 3)).toEqual([iccidOf(2), iccidOf(1), iccidOf(0)]);
    // Page 3 of 25 a page: cards 50 to 74 by place (A1, B1, ... as the bank numbers them).
    const third = (await get("olga", "/cards?sort=iccid&size=25&page=3&operator=&q=")).text;
    expect(listed(third)).toEqual([...Array(25).keys()].map((i) => iccidOf(50 + i)));
    expect(countLine(third)).toBe("Matching cards: 120; 51–75 shown");
    expect(third).toContain('<a href="/cards?sort=iccid&amp;page=4&amp;size=25" aria-label="Next page">');
    expect(third).toContain("Page 3 of 5");
    // Past the end (an old link): the last page.
    expect(listed((await get("olga", "/cards?sort=iccid&size=25&page=99")).text)).toEqual([...Array(20).keys()].map((i) => iccidOf(100 + i)));
    // Nonsense in the address falls back to the defaults instead of failing.
    expect((await get("olga", "/cards?sort=drop+table&state=x&size=7&page=-1")).status).toBe(200);
  });

  it("the fragment the live stream fetches is the count and the table only", async () => {
    const res = await fetch(`${base}/cards?q=card+00`, { headers: { cookie: (await signIn("olga")).cookie, "x-simgate-fragment": "1" } });
    const text = await res.text();
    expect(text.startsWith('<p id="cards-count" role="status">Matching cards: 10;')).toBe(true);
    expect(text).not.toContain("<html");
  });
});

describe("editing a card", () => {
  const cardId = async (iccid: string) => (await store.db().selectFrom("sim_cards").select("id").where("iccid", "=", iccid).executeTakeFirstOrThrow()).id;

  it("an operator saves name, number and comment; an empty field clears it; the list it came from is kept; audited with what changed", async () => {
    const id = await cardId(iccidOf(8));
    const res = await post("olga", `/cards/${id}/edit`, { back: "q=card&sort=name&page=2&size=25&bogus=1", name: "Kiosk <3>", number: "+15559990008", comment: "" });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`/cards?q=card&sort=name&page=2&size=25&saved=${iccidOf(8)}`);
    const row = await store.db().selectFrom("sim_cards").select(["name", "number", "comment"]).where("id", "=", id).executeTakeFirstOrThrow();
    expect(row).toEqual({ name: "Kiosk <3>", number: "+15559990008", comment: null });
    const audit = await store.db().selectFrom("audit_log").select(["user_name", "action", "device", "position", "iccid", "detail"]).where("action", "=", "card.edit").execute();
    expect(audit).toEqual([
      { user_name: "olga", action: "card.edit", device: "bank", position: "A2", iccid: iccidOf(8), detail: { changes: { name: { from: "card 008", to: "Kiosk <3>" }, number: { from: "+15550000008", to: "+15559990008" } } } },
    ]);
    expect((await get("olga", res.headers.get("location")!)).text).toContain(`Card ${iccidOf(8)} saved.`);
    const page = (await get("olga", "/cards?q=kiosk")).text;
    expect(page).toContain("<td data-field=\"name\">Kiosk &lt;3&gt;</td>");
    // The same again changes nothing, and says so (and is not audited again).
    const again = await post("olga", `/cards/${id}/edit`, { name: "Kiosk <3>", number: "+15559990008", comment: "" });
    expect(again.headers.get("location")).toBe(`/cards?unchanged=1&saved=${iccidOf(8)}`);
    expect(await store.db().selectFrom("audit_log").select("id").where("action", "=", "card.edit").execute()).toHaveLength(1);
  });

  it("a bad number is refused with the form open and what was typed; nothing is written", async () => {
    const id = await cardId(iccidOf(9));
    const res = await post("olga", `/cards/${id}/edit`, { back: "q=card+009", name: "typed name", number: "call me", comment: "typed" });
    expect(res.status).toBe(400);
    const page = await res.text();
    expect(page).toContain(`<p class="notice error" role="alert">Card ${iccidOf(9)} not saved: Number must be a phone number</p>`);
    expect(page).toContain('<details class="edit" open>');
    expect(page).toContain('value="typed name"');
    expect(page).toContain('value="call me"');
    expect((await store.db().selectFrom("sim_cards").select("name").where("id", "=", id).executeTakeFirstOrThrow()).name).toBe("card 009");
  });

  it("a viewer gets no edit form and is refused; another user's card is not found; no token or another site is refused", async () => {
    const vera = (await get("vera", "/cards")).text;
    expect(vera).not.toContain("<details class=\"edit\"");
    expect(vera).not.toContain("Import from CSV");
    expect((await get("olga", "/cards")).text).toContain(`aria-label="Edit card ${iccidOf(0)}"`);
    const veras = await cardId("8970300000000000000");
    const refused = await post("vera", `/cards/${veras}/edit`, { name: "mine now" });
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain("Your role (viewer) may not do this.");
    expect((await post("olga", `/cards/${veras}/edit`, { name: "not hers" })).status).toBe(404);
    const id = await cardId(iccidOf(10));
    expect((await post("olga", `/cards/${id}/edit`, { name: "no token" }, { csrf: false })).status).toBe(403);
    expect((await post("olga", `/cards/${id}/edit`, { name: "elsewhere" }, { origin: "http://evil.example" })).status).toBe(403);
    const names = await store.db().selectFrom("sim_cards").select("name").where("id", "in", [veras, id]).orderBy("id").execute();
    expect(names.map((n) => n.name)).toEqual(["card 010", "vera's only"]);
  });
});

describe("CSV", () => {
  it("quotes as RFC 4180 and defuses what a spreadsheet would run as a formula", () => {
    expect(["plain", 'say "hi"', "a,b", "two\nlines", "=1+2", "+15550001", "-3", "@SUM(A1)", "\tx", 7, -3, null].map(csvCell)).toEqual([
      "plain",
      '"say ""hi"""',
      '"a,b"',
      '"two\nlines"',
      "'=1+2",
      "'+15550001",
      "'-3",
      "'@SUM(A1)",
      "'\tx",
      "7",
      "-3",
      "",
    ]);
    expect(parseCsv('\ufefficcid,comment\r\n1,"a ""quoted"", comma\r\nand a line"\r\n\r\n2,plain\n', ",")).toEqual([
      { line: 1, cells: ["iccid", "comment"] },
      { line: 2, cells: ["1", 'a "quoted", comma\r\nand a line'] },
      { line: 5, cells: ["2", "plain"] },
    ]);
  });

  it("the export is exactly the filtered list, in its order, streamed as UTF-8 CSV, and audited", async () => {
    await store.db().updateTable("sim_cards").set({ comment: 'says "hi", then\nleaves', balance: "12.50", balance_at: new Date() }).where("iccid", "=", iccidOf(20)).execute();
    const res = await fetch(`${base}/cards.csv?q=card+02&sort=iccid&dir=desc&page=3&size=25`, { headers: { cookie: (await signIn("olga")).cookie } });
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="sim-cards-\d{4}-\d\d-\d\d\.csv"$/);
    const text = Buffer.from(await res.arrayBuffer()).toString("utf8");
    expect(text.startsWith("\ufefficcid,imsi,number,operator,name,balance,balance_at,state,pools,comment,last_seen,device,position,modem\r\n")).toBe(true);
    const records = parseCsv(text, ",");
    // Every match, not one page: the page in the address is the list's, not the export's.
    expect(records.slice(1).map((r) => r.cells[0])).toEqual([...Array(10).keys()].reverse().map((i) => iccidOf(20 + i)));
    const twenty = records.find((r) => r.cells[0] === iccidOf(20))!.cells;
    expect(twenty.slice(2, 6)).toEqual(["'+15550000020", "Lumen", "card 020", "12.5"]);
    expect(twenty[9]).toBe('says "hi", then\nleaves');
    expect(twenty.slice(11)).toEqual(["bank", "E3", ""]);
    const audit = await store.db().selectFrom("audit_log").select(["user_name", "detail"]).where("action", "=", "cards.export").execute();
    expect(audit).toEqual([{ user_name: "olga", detail: { query: "?q=card+02&sort=iccid&dir=desc&page=3&size=25", rows: 10 } }]);
    // A viewer exports their own cards; the formula in a comment leaves defused.
    const vera = await (await fetch(`${base}/cards.csv`, { headers: { cookie: (await signIn("vera")).cookie } })).text();
    expect(vera).toContain(`vera's only,,,-3,,"'=HYPERLINK(""x"")",`);
  });

  it("an import's dry run reports per line and writes nothing; applied, it writes the changes and new cards placed nowhere", async () => {
    const db = store.db();
    const csv = [
      "ICCID;Number;Name;Comment;Operator;Notes",
      `${iccidOf(30)};+1 555 000-0030;card 030;;Simnet;ignored`, // unchanged (the number's spaces and dashes dropped)
      `${iccidOf(31)};;Renamed 31;'=not a formula;;`, // name and comment change
      `${iccidOf(32)};+15550000033;;;;`, // the number of card 33: conflict
      `${iccidOf(34)};;twice;;;`, // twice in the file: conflict
      `${iccidOf(34)};;again;;;`,
      "8970500000000000001;+15557770001;New one;boxed;Orbit;", // unknown: a new card, placed nowhere
      "not-an-iccid;;x;;;", // bad
      `${iccidOf(35)};not a number;;;;`, // bad
      "8970200000000000000;;ann's card;;;", // not olga's: conflict for her
      `${iccidOf(36)};;short row`, // bad: cells missing
    ].join("\r\n");
    const dry = await postImport("ann", { csv });
    expect(dry.status).toBe(200);
    const report = await dry.text();
    expect(report).toContain("Dry run: new cards 1, changed 2, unchanged 1, conflicts 3, bad rows 3. Nothing is written yet.");
    expect(report).toContain("Columns ignored: notes.");
    const lines = [...report.matchAll(/<tr data-line="(\d+)" data-outcome="(\w+)">[\s\S]*?<td>([^<]*|[\s\S]*?)<\/td><\/tr>/g)].map((m) => [Number(m[1]), m[2]]);
    expect(lines).toEqual([
      [3, "update"],
      [4, "conflict"],
      [5, "conflict"],
      [6, "conflict"],
      [7, "new"],
      [8, "bad"],
      [9, "bad"],
      [10, "update"],
      [11, "bad"],
    ]);
    expect(report).toContain("the number +15550000033 is already another card&#39;s (" + iccidOf(33) + ")");
    expect(report).toContain("the same ICCID is on line 6");
    expect(report).toContain("number must be a phone number");
    expect(report).toContain("has 3 cells, the header 6");
    expect(report).toContain("name: <del>card 031</del> → <ins>Renamed 31</ins>; comment: <del>–</del> → <ins>=not a formula</ins>");
    expect(await db.selectFrom("sim_cards").select("id").where("iccid", "=", "8970500000000000001").executeTakeFirst()).toBeUndefined();

    // As olga, the same file: the new card and ann's card are conflicts, hers apply.
    const olga = await (await postImport("olga", { csv })).text();
    expect(olga).toContain("Dry run: new cards 0, changed 1, unchanged 1, conflicts 5, bad rows 3.");
    expect(olga).toContain("unknown card: only an admin adds cards to the inventory");
    expect(olga).toContain("this card is not among yours");

    const applied = await (await postImport("ann", { csv, apply: "1" })).text();
    expect(applied).toContain("Imported: new cards 1, changed 2; left out: conflicts 3, bad rows 3.");
    const rows = await db.selectFrom("sim_cards").select(["iccid", "device_id", "place", "number", "name", "comment", "operator"]).where("iccid", "in", [iccidOf(31), "8970500000000000001", "8970200000000000000", iccidOf(32)]).orderBy("iccid").execute();
    expect(rows).toEqual([
      { iccid: iccidOf(31), device_id: ids.bank, place: "H4", number: "+15550000031", name: "Renamed 31", comment: "=not a formula", operator: "Orbit" },
      { iccid: iccidOf(32), device_id: ids.bank, place: "A5", number: "+15550000032", name: "card 032", comment: null, operator: "Lumen" },
      { iccid: "8970200000000000000", device_id: ids.other, place: "A1", number: null, name: "ann's card", comment: null, operator: null },
      { iccid: "8970500000000000001", device_id: null, place: null, number: "+15557770001", name: "New one", comment: "boxed", operator: "Orbit" },
    ]);
    const audit = await db.selectFrom("audit_log").select(["action", "iccid", "detail"]).where("action", "like", "card%import%").orderBy("id").execute();
    expect(audit.map((a) => [a.action, a.iccid])).toEqual([
      ["card.import.edit", iccidOf(31)],
      ["card.import.add", "8970500000000000001"],
      ["card.import.edit", "8970200000000000000"],
      ["cards.import", null],
    ]);
    expect(audit.at(-1)!.detail).toEqual({ created: 1, updated: 2, conflicts: 3, bad: 3, unchanged: 1 });
  });

  it("an exported list imports back as unchanged; a viewer may not import; a file without an iccid column is refused", async () => {
    const exported = Buffer.from(await (await fetch(`${base}/cards.csv?q=card+04`, { headers: { cookie: (await signIn("olga")).cookie } })).arrayBuffer()).toString("utf8");
    const back = await (await postImport("olga", { file: exported })).text();
    expect(back).toContain("Dry run: new cards 0, changed 0, unchanged 10, conflicts 0, bad rows 0.");
    expect((await postImport("vera", { csv: "iccid,name\n8970300000000000000,x" })).status).toBe(403);
    const refused = await postImport("olga", { csv: "number,name\n+1555,x" });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain("Nothing to import: there is no iccid column (the first line names the columns).");
  });

  it("an import past 8 MiB is refused with 413 and changes nothing; 20,000 lines of one ICCID are each a conflict naming a few of the others", async () => {
    const before = await store.db().selectFrom("sim_cards").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
    const huge = `iccid,name\n${"8970500000000000009,x\n".repeat(400_000)}`;
    const res = await postImport("ann", { csv: huge });
    expect(res.status).toBe(413);
    const after = await store.db().selectFrom("sim_cards").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
    // Under the import's limit but past a plain form's, an import is read whole; a report
    // that named every other line on each line took the process past its memory.
    const large = await postImport("ann", { csv: `iccid,name\n${"8970500000000000009,x\n".repeat(20_000)}` });
    expect(large.status).toBe(200);
    const report = await large.text();
    expect(report).toContain("conflicts 20000");
    expect(report).toContain("the same ICCID is on line 3, 4, 5, 6, 7 and 19994 more");
  });
});

/** A multipart post as the page's form sends it (the file as a file part). */
const postImport = async (who: string, fields: { csv?: string; file?: string; apply?: string }) => {
  const s = await signIn(who);
  const form = new FormData();
  form.set("csrf", s.csrf);
  if (fields.csv !== undefined) form.set("csv", fields.csv);
  if (fields.file !== undefined) form.set("file", new Blob([fields.file], { type: "text/csv" }), "cards.csv");
  if (fields.apply) form.set("apply", fields.apply);
  return fetch(`${base}/cards/import`, { method: "POST", redirect: "manual", headers: { cookie: s.cookie, origin: base }, body: form });
};
