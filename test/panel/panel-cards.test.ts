import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordEvent } from "../../src/store/events";
import { startRig, type Rig } from "./panel-rig";

// The SIM cards page in headless Chromium, over the cards the scheduler's scan recorded
// from the simulated banks: search from the keyboard, an edit through the card's own form,
// and a viewer who reads the same page without a control that changes anything.
let rig: Rig;
beforeAll(async () => {
  rig = await startRig("simgate_panel_cards_browser");
}, 120_000);
afterAll(async () => rig?.close(), 60_000);

const numberOf = async (iccid: string) => (await rig.service.db.selectFrom("sim_cards").select("number").where("iccid", "=", iccid).executeTakeFirstOrThrow()).number!;
const rowsOf = (page: import("playwright-core").Page) => page.locator("table.cards tbody tr[data-card]");

describe("the SIM cards page", () => {
  it("an operator narrows the list by typing in the search and pressing Enter, then renames a card from the keyboard", async () => {
    const page = await rig.signIn("operator");
    await page.getByRole("link", { name: "SIM cards", exact: true }).click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("SIM cards");
    // The operator's own bank: the cards its scan found (the lab box is the viewer's).
    const demo = await rig.service.db.selectFrom("sim_cards").innerJoin("devices", "devices.id", "sim_cards.device_id").select(["sim_cards.iccid", "sim_cards.place"]).where("devices.key", "=", "demo").orderBy("sim_cards.iccid").execute();
    expect(demo.length).toBeGreaterThan(3);
    await expect.poll(() => rowsOf(page).count()).toBe(demo.length);
    await page.waitForSelector("body[data-stream=open]");
    await rig.screenshot(page, "cards");

    const target = demo[2]!;
    await page.getByRole("searchbox", { name: "Search" }).fill(target.iccid.slice(-7));
    await Promise.all([page.waitForEvent("load"), page.keyboard.press("Enter")]);
    await expect.poll(() => rowsOf(page).count()).toBe(1);
    expect(await rowsOf(page).first().getAttribute("data-iccid")).toBe(target.iccid);
    expect(new URL(page.url()).searchParams.get("q")).toBe(target.iccid.slice(-7));
    expect(await page.getByRole("status").filter({ hasText: /^Matching cards: 1; 1–1 shown$/ }).count()).toBe(1);

    // The edit form opens from the keyboard and saves with Enter.
    const summary = page.locator("details.edit summary");
    await summary.focus();
    expect(await summary.getAttribute("aria-label")).toBe(`Edit card ${target.iccid}`);
    await page.keyboard.press("Enter");
    const name = page.getByRole("textbox", { name: "Name" });
    await name.fill("Front desk phone");
    await page.getByRole("textbox", { name: "Comment" }).fill("keep charged, \"spare\" = no");
    await Promise.all([page.waitForEvent("load"), name.press("Enter")]);
    expect(await page.getByRole("status").filter({ hasText: `Card ${target.iccid} saved.` }).count()).toBe(1);
    // Back on the same filtered list, with the new name in the row.
    expect(new URL(page.url()).searchParams.get("q")).toBe(target.iccid.slice(-7));
    await expect.poll(() => rowsOf(page).first().locator('td[data-field="name"]').textContent()).toBe("Front desk phone");
    expect(await rowsOf(page).first().locator('td[data-field="comment"]').textContent()).toBe('keep charged, "spare" = no');
    await rig.screenshot(page, "cards-edited");
    const audit = await rig.service.db.selectFrom("audit_log").select(["user_name", "iccid", "position"]).where("action", "=", "card.edit").execute();
    expect(audit).toEqual([{ user_name: "olga", iccid: target.iccid, position: target.place }]);

    // The search finds it by its new name too, and the export carries it, defused where it must be.
    await page.getByRole("searchbox", { name: "Search" }).fill("front DESK");
    await Promise.all([page.waitForEvent("load"), page.keyboard.press("Enter")]);
    await expect.poll(() => rowsOf(page).count()).toBe(1);
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Export this list as CSV" }).click()]);
    const csv = await new Promise<string>((resolve, reject) => {
      void download.createReadStream().then((stream) => {
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
        stream.on("error", reject);
      }, reject);
    });
    const lines = csv.replace(/^\ufeff/, "").trim().split("\r\n");
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(`${target.iccid},`);
    expect(lines[1]).toContain(',Front desk phone,');
    expect(lines[1]).toContain(',"keep charged, ""spare"" = no",');
    await page.context().close();
  }, 120_000);

  it("an admin's import: the dry run lists a conflict and a new card by line, and applying writes the rest", async () => {
    const page = await rig.signIn("admin");
    await page.goto(`${rig.base}/cards?device=demo&sort=iccid`);
    const cards = await rowsOf(page).evaluateAll((rows) => rows.map((r) => r.getAttribute("data-iccid")!));
    expect(cards.length).toBeGreaterThan(3);
    const csv = ["iccid,name,number", `${cards[0]},Imported name,`, `${cards[1]},Taken number,${await numberOf(cards[2]!)}`, "8970999000000000001,From the drawer,+15558880001"].join("\n");
    await page.getByRole("textbox", { name: "or paste the CSV" }).fill(csv);
    await Promise.all([page.waitForEvent("load"), page.getByRole("button", { name: "Check (dry run)" }).click()]);
    expect(await page.getByRole("status").filter({ hasText: "Dry run: new cards 1, changed 1, unchanged 0, conflicts 1, bad rows 0." }).count()).toBe(1);
    const report = page.locator("table.import-report tbody tr");
    expect(await report.evaluateAll((rows) => rows.map((r) => [r.getAttribute("data-line"), r.getAttribute("data-outcome")]))).toEqual([
      ["2", "update"],
      ["3", "conflict"],
      ["4", "new"],
    ]);
    await rig.screenshot(page, "cards-import-dry-run");
    expect(await rig.service.db.selectFrom("sim_cards").select("id").where("iccid", "=", "8970999000000000001").executeTakeFirst()).toBeUndefined();
    await Promise.all([page.waitForEvent("load"), page.getByRole("button", { name: "Apply the changes (2 cards)" }).click()]);
    expect(await page.getByRole("status").filter({ hasText: "Imported: new cards 1, changed 1; left out: conflicts 1, bad rows 0." }).count()).toBe(1);
    const rows = await rig.service.db.selectFrom("sim_cards").select(["iccid", "name", "device_id"]).where("iccid", "in", [cards[0]!, cards[1]!, "8970999000000000001"]).orderBy("iccid").execute();
    expect(rows.map((r) => [r.iccid, r.name, r.device_id === null])).toEqual([
      [cards[0], "Imported name", false],
      [cards[1], null, false],
      ["8970999000000000001", "From the drawer", true],
    ]);
    // The new card is in the inventory, placed nowhere.
    await page.goto(`${rig.base}/cards?device=-`);
    expect(await rowsOf(page).evaluateAll((rows) => rows.map((r) => r.getAttribute("data-iccid")))).toEqual(["8970999000000000001"]);
    await page.context().close();
  }, 120_000);

  it("a viewer sees their cards and no edit or import control, and the list stays live", async () => {
    const page = await rig.signIn("viewer");
    await page.goto(`${rig.base}/cards`);
    await page.waitForSelector("body[data-stream=open]");
    const lab = await rig.service.db.selectFrom("sim_cards").innerJoin("devices", "devices.id", "sim_cards.device_id").select("sim_cards.iccid").where("devices.key", "=", "lab").execute();
    expect(lab.length).toBeGreaterThan(0);
    await expect.poll(() => rowsOf(page).count()).toBe(lab.length);
    expect(await page.locator("details.edit").count()).toBe(0);
    expect(await page.getByText("Edit", { exact: true }).count()).toBe(0);
    expect(await page.getByRole("heading", { name: "Import from CSV" }).count()).toBe(0);
    expect(await page.locator("form[method=post][action^='/cards']").count()).toBe(0);
    await rig.screenshot(page, "cards-viewer");
    // On a phone the table scrolls in its own box; the page does not scroll sideways.
    await page.setViewportSize({ width: 390, height: 844 });
    const widths = (await page.evaluate(`[document.documentElement.scrollWidth, document.documentElement.clientWidth]`)) as [number, number];
    expect(widths[0]).toBeLessThanOrEqual(widths[1]);
    await rig.screenshot(page, "cards-phone");
    // A change made elsewhere reaches the open page when the stream next reports something.
    await rig.service.db.updateTable("sim_cards").set({ comment: "seen live" }).where("iccid", "=", lab[0]!.iccid).execute();
    await recordEvent(rig.service.db, "modemTrouble", { device: "lab" }, { modem: 1, kind: "test", detail: "wake the page" });
    await expect.poll(() => page.locator(`tr[data-iccid="${lab[0]!.iccid}"] td[data-field="comment"]`).textContent(), { timeout: 10_000 }).toBe("seen live");
    await page.context().close();
  }, 120_000);
});
