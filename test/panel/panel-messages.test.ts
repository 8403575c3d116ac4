import type { Download, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDeliver } from "../../hil/network/pdu-builder";
import { parseCsv } from "../../src/panel/cards-csv";
import { startRig, type Rig } from "./panel-rig";

// The Messages page in headless Chromium, over messages the simulated network sends to the
// simulated SIMs and the service stores: they appear without a reload, a search narrows the
// list, the export carries exactly that list; an operator deletes and assigns from the page;
// a viewer reads the same page with nothing that changes anything, and the server refuses.
let rig: Rig;
beforeAll(async () => {
  rig = await startRig("simgate_panel_messages_browser");
}, 120_000);
afterAll(async () => rig?.close(), 60_000);

const rowsOf = (page: Page) => page.locator("table.messages tbody tr[data-id]");
const idsOf = (page: Page) => rowsOf(page).evaluateAll((rows) => rows.map((r) => Number(r.getAttribute("data-id"))));

/** A card in a working modem of `device`, with its number. */
const simOn = (device: string) => {
  const farm = rig.service.registry.farm!;
  const modem = [...farm.modems.values()].find((m) => m.id.startsWith(`${device}-`) && m.registered && m.sim);
  if (!modem) throw new Error(`no registered SIM on ${device}`);
  return modem.sim!;
};

const send = (to: string, from: string, text: string) => rig.service.registry.farm!.network.sendSms({ to, from, text });

const stored = (text: string) => rig.service.db.selectFrom("sms_in").select("id").where("text", "=", text).execute();

const contents = (download: Download) =>
  new Promise<string>((resolve, reject) => {
    void download.createReadStream().then((stream) => {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
      stream.on("error", reject);
    }, reject);
  });

describe("the Messages page", () => {
  it("messages arrive without a reload; a search narrows them; a CSV export of the filtered list has exactly the filtered rows", async () => {
    const page = await rig.signIn("operator");
    await page.getByRole("link", { name: "Messages", exact: true }).click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("Messages");
    await page.waitForSelector("body[data-stream=open]");
    const sim = simOn("demo");
    const texts = ["Your code is 1111", "hello there", "Your CODE is 2222", "lunch at noon?", "code 3333 expires soon"];
    for (const text of texts) send(sim.number, text.includes("lunch") ? "+15550007777" : "+15550009999", text);
    // Each one is stored once, and the open page shows them without a reload.
    for (const text of texts) await expect.poll(async () => (await stored(text)).length, { timeout: 20_000 }).toBe(1);
    await expect.poll(() => rowsOf(page).count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(texts.length);
    await rig.screenshot(page, "messages");

    await page.getByRole("searchbox", { name: "Text" }).fill("code");
    await page.getByRole("searchbox", { name: "Number or sender" }).fill("0009999");
    await Promise.all([page.waitForEvent("load"), page.getByRole("searchbox", { name: "Text" }).press("Enter")]);
    const filtered = await rig.service.db
      .selectFrom("sms_in")
      .select("id")
      .where("text", "ilike", "%code%")
      .where("sender", "like", "%0009999%")
      .orderBy("received_at", "desc")
      .orderBy("id", "desc")
      .execute();
    expect(filtered).toHaveLength(3);
    await expect.poll(() => idsOf(page)).toEqual(filtered.map((r) => r.id));
    expect(new URL(page.url()).searchParams.get("q")).toBe("code");
    // Messages outside the filter exist, and are not in it.
    expect((await rig.service.db.selectFrom("sms_in").select("id").execute()).length).toBeGreaterThan(filtered.length);

    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Export this list as CSV" }).click()]);
    const records = parseCsv(await contents(download), ",");
    expect(records[0]!.cells.slice(0, 3)).toEqual(["id", "received", "iccid"]);
    expect(records.slice(1).map((r) => Number(r.cells[0]))).toEqual(filtered.map((r) => r.id));
    expect(records.slice(1).map((r) => r.cells[6]).sort()).toEqual(["Your CODE is 2222", "Your code is 1111", "code 3333 expires soon"].sort());
    expect(records.slice(1).every((r) => r.cells[2] === sim.iccid)).toBe(true);
    await page.context().close();
  }, 120_000);

  it("an operator deletes a ticked message, and assigns an unattributed one to a card", async () => {
    const sim = simOn("demo");
    send(sim.number, "+15550001212", "delete me please");
    await expect.poll(async () => (await stored("delete me please")).length, { timeout: 20_000 }).toBe(1);
    const [target] = await stored("delete me please");
    const page = await rig.signIn("operator");
    await page.goto(`${rig.base}/messages?q=delete+me`);
    await expect.poll(() => idsOf(page)).toEqual([target!.id]);
    await page.waitForSelector("body[data-stream=open]");
    await page.getByRole("checkbox", { name: `Select record ${target!.id}` }).check();
    // A message arriving meanwhile does not redraw the list under the ticked box, even with
    // the focus gone elsewhere (a focused field alone already holds a refresh back).
    await page.getByRole("searchbox", { name: "Text" }).focus();
    const refreshed = await page.getAttribute("body", "data-refreshed");
    send(sim.number, "+15550001212", "delete me not");
    await expect.poll(async () => (await stored("delete me not")).length, { timeout: 20_000 }).toBe(1);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await page.getAttribute("body", "data-refreshed")).toBe(refreshed);
    expect(await page.getByRole("checkbox", { name: `Select record ${target!.id}` }).isChecked()).toBe(true);
    await Promise.all([page.waitForEvent("load"), page.getByRole("button", { name: "Delete the ticked rows" }).click()]);
    expect(await page.getByRole("status").filter({ hasText: "Records deleted: 1." }).count()).toBe(1);
    const [kept] = await stored("delete me not");
    expect(await idsOf(page)).toEqual([kept!.id]);
    expect(await stored("delete me please")).toEqual([]);

    // A message found in a modem's own memory whose card could not be decided.
    const pdu = buildDeliver({ smsc: "+15550000000", from: "+15550004444", text: "found in the modem", alphabet: "gsm7", at: new Date(), offsetMinutes: 0 }).pdu;
    await rig.service.db
      .insertInto("sms_unattributed")
      .values({ device: "demo", modem: 1, storage: "ME", sender: "+15550004444", text: "found in the modem", pdu, pdu_hash: "browser-test", candidates: [sim.iccid], reason: "the modem's memory was not read empty since two cards were in it" })
      .execute();
    await page.goto(`${rig.base}/messages?kind=unattributed`);
    await expect.poll(() => rowsOf(page).count()).toBe(1);
    expect(await rowsOf(page).first().textContent()).toContain("the modem's memory was not read empty");
    await rig.screenshot(page, "messages-unattributed");
    await page.getByRole("combobox", { name: "Card (ICCID)" }).fill(sim.iccid);
    await Promise.all([page.waitForEvent("load"), page.getByRole("button", { name: "Assign" }).click()]);
    expect(await page.getByRole("status").filter({ hasText: `The message was stored under the card ${sim.iccid}.` }).count()).toBe(1);
    expect(await rowsOf(page).count()).toBe(0);
    await page.getByRole("link", { name: "Inbox" }).click();
    await page.getByRole("searchbox", { name: "Text" }).fill("found in the modem");
    await Promise.all([page.waitForEvent("load"), page.getByRole("searchbox", { name: "Text" }).press("Enter")]);
    await expect.poll(() => rowsOf(page).count()).toBe(1);
    expect(await rowsOf(page).first().textContent()).toContain(sim.iccid);
    const audit = await rig.service.db.selectFrom("audit_log").select(["user_name", "action"]).where("action", "in", ["messages.delete", "message.assign"]).orderBy("id").execute();
    expect(audit).toEqual([
      { user_name: "olga", action: "messages.delete" },
      { user_name: "olga", action: "message.assign" },
    ]);
    await page.context().close();
  }, 120_000);

  it("a viewer sees the Messages page and changes nothing: no control to, and the server refuses", async () => {
    const sim = simOn("lab");
    send(sim.number, "+15550003333", "for the viewer's card");
    await expect.poll(async () => (await stored("for the viewer's card")).length, { timeout: 20_000 }).toBe(1);
    const [mine] = await stored("for the viewer's card");
    const page = await rig.signIn("viewer");
    await page.goto(`${rig.base}/messages`);
    await page.waitForSelector("body[data-stream=open]");
    // The viewer's lab box only: the operator's messages are not here.
    await expect.poll(() => idsOf(page)).toEqual([mine!.id]);
    expect(await page.getByRole("checkbox").count()).toBe(0);
    expect(await page.getByRole("button", { name: "Delete the ticked rows" }).count()).toBe(0);
    expect(await page.locator("form[method=post][action^='/messages']").count()).toBe(0);
    for (const [tab, kind] of [["Outbox", "out"], ["USSD log", "ussd"], ["Call log", "calls"], ["Unattributed", "unattributed"], ["Inbox", null]] as const) {
      // The tab's answer itself: a failure says what the page was instead of the table.
      const [answer] = await Promise.all([
        page.waitForResponse((res) => res.request().isNavigationRequest() && new URL(res.url()).pathname === "/messages"),
        page.getByRole("link", { name: tab, exact: true }).click(),
      ]);
      expect(answer.status(), `${tab}: ${(await answer.text()).replace(/<[^>]+>/g, " ").replace(/\s+/g, " ").slice(0, 400)}`).toBe(200);
      await page.waitForURL((url) => url.searchParams.get("kind") === kind);
      await expect.poll(() => page.locator(`table.messages[data-kind="${kind ?? "in"}"]`).count(), { timeout: 10_000 }).toBe(1);
      expect(await page.locator("form[method=post][action^='/messages']").count()).toBe(0);
    }
    await rig.screenshot(page, "messages-viewer");
    const csrf = await page.locator("input[name=csrf]").first().getAttribute("value");
    // Posted from the viewer's browser context (its cookie, the panel's origin), not from a
    // script in a page that may be navigating.
    const post = async (path: string, body: string) =>
      (await page.request.post(`${rig.base}${path}`, { headers: { origin: rig.base, "content-type": "application/x-www-form-urlencoded" }, data: body, maxRedirects: 0 })).status();
    expect([await post("/messages/delete", `csrf=${csrf}&kind=in&id-${mine!.id}=1`), await post("/messages/assign", `csrf=${csrf}&id=1&iccid=${sim.iccid}`)]).toEqual([403, 403]);
    expect(await stored("for the viewer's card")).toHaveLength(1);
    // The export is a read: the viewer gets their list.
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Export this list as CSV" }).click()]);
    expect(parseCsv(await contents(download), ",").slice(1).map((r) => Number(r.cells[0]))).toEqual([mine!.id]);
    await page.context().close();
  }, 120_000);
});
