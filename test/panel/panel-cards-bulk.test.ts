import { Effect } from "effect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordEvent } from "../../src/store/events";
import { runCardJobs } from "../../src/jobs/card-jobs";
import { createPool } from "../../src/pools/pools";
import { cardSwitcher } from "../../src/scheduler/card-switcher";
import { startRig, type Rig } from "./panel-rig";

// The SIM cards page's bulk actions and a card's history in headless Chromium, over the cards
// the scheduler's scan recorded: every card of a filter added to a pool; a card forgotten,
// gone from the list, and back after a rescan reads it again, with its history; cards
// brought online through the scheduler; storage cleared through the card jobs.
let rig: Rig;
beforeAll(async () => {
  rig = await startRig("simgate_panel_cards_bulk");
  // The card job worker, as the service runs it: clearing storage is a job on the card.
  await rig.service.extend(runCardJobs(rig.service.db, rig.service.registry, { switcher: cardSwitcher(rig.service.db, rig.service.scheduler), pollMs: 100 }));
}, 120_000);
afterAll(async () => rig?.close(), 60_000);

const rowsOf = (page: import("playwright-core").Page) => page.locator("table.cards tbody tr[data-card]");
const cardsOf = (device: string) =>
  rig.service.db.selectFrom("sim_cards").innerJoin("devices", "devices.id", "sim_cards.device_id").select(["sim_cards.id", "sim_cards.iccid", "sim_cards.place"]).where("devices.key", "=", device).orderBy("sim_cards.iccid").execute();

describe("bulk actions on the SIM cards page", () => {
  it("every card of a filter is added to a pool, and only those", async () => {
    await createPool(rig.service.db, "Lab numbers", []);
    const page = await rig.signIn("admin");
    await page.getByRole("link", { name: "SIM cards", exact: true }).click();
    await page.getByLabel("Device").selectOption({ label: "Lab box" });
    await Promise.all([page.waitForEvent("load"), page.getByRole("button", { name: "Show" }).click()]);
    const lab = await cardsOf("lab");
    expect(lab.length).toBeGreaterThan(0);
    await expect.poll(() => rowsOf(page).count()).toBe(lab.length);
    await page.getByLabel("On", { exact: true }).selectOption("filter");
    expect(await page.getByLabel("On", { exact: true }).locator("option:checked").textContent()).toBe(`every card of this filter (${lab.length})`);
    await page.getByLabel("Action", { exact: true }).selectOption({ label: "add to the pool" });
    await page.getByLabel("Pool", { exact: true }).last().selectOption({ label: "Lab numbers" });
    await rig.screenshot(page, "cards-bulk-form");
    await Promise.all([page.waitForEvent("load"), page.getByRole("button", { name: "Apply" }).click()]);
    expect(await page.getByRole("status").filter({ hasText: `Added to the pool: ${lab.length} cards; already in it: 0.` }).count()).toBe(1);
    // Back on the same filtered list.
    expect(new URL(page.url()).searchParams.get("device")).toBe("lab");
    const members = await rig.service.db.selectFrom("pool_cards").innerJoin("pools", "pools.id", "pool_cards.pool_id").select("pool_cards.iccid").where("pools.title", "=", "Lab numbers").orderBy("iccid").execute();
    expect(members.map((m) => m.iccid)).toEqual(lab.map((c) => c.iccid));
    await expect.poll(() => rowsOf(page).first().locator("td").nth(7).textContent()).toBe("Lab numbers");
    await page.context().close();
  }, 120_000);

  it("a card forgotten leaves the list, and returns after a rescan with its history intact", async () => {
    // A card not on a modem now: a rescan reads it again (the cards on the modems are read as they stand).
    const onModems = new Set(rig.service.scheduler.positions("demo").values());
    const card = (await cardsOf("demo")).find((c) => c.place && !onModems.has(c.place))!;
    expect(card).toBeDefined();
    await rig.service.db.insertInto("sms_in").values({ iccid: card.iccid, key: "history-1", sender: "Bank", text: "Your code is 5521", parts: 1 }).execute();
    const page = await rig.signIn("admin");
    await page.goto(`${rig.base}/cards?device=demo`);
    await page.getByRole("checkbox", { name: `Tick card ${card.iccid}` }).check();
    await page.getByLabel("Action", { exact: true }).selectOption({ label: "forget" });
    await Promise.all([page.waitForEvent("load"), page.getByRole("button", { name: "Apply" }).click()]);
    expect(await page.getByRole("status").filter({ hasText: "Forgotten: 1 cards" }).count()).toBe(1);
    expect(await page.locator(`tr[data-iccid="${card.iccid}"]`).count()).toBe(0);
    const forgotten = await rig.service.db.selectFrom("sim_cards").select(["forgotten_at", "device_id", "place"]).where("iccid", "=", card.iccid).executeTakeFirstOrThrow();
    expect(forgotten.forgotten_at).not.toBeNull();
    expect([forgotten.device_id, forgotten.place]).toEqual([null, null]);
    // Nowhere else either: not on the device's grid, not among the cards placed nowhere.
    await page.goto(`${rig.base}/cards?device=-&q=${card.iccid}`);
    expect(await rowsOf(page).count()).toBe(0);
    expect(await rig.service.db.selectFrom("audit_log").select(["action", "iccid", "position"]).where("action", "=", "card.forget").execute()).toEqual([{ action: "card.forget", iccid: card.iccid, position: card.place }]);

    // The device's rescan reads every position again: the card is back where it was.
    await page.goto(`${rig.base}/devices/demo`);
    await Promise.all([page.waitForEvent("load"), page.getByRole("button", { name: "Read every position of Demo bank again" }).click()]);
    await expect
      .poll(async () => (await rig.service.db.selectFrom("sim_cards").select(["forgotten_at", "place"]).where("iccid", "=", card.iccid).executeTakeFirstOrThrow()), { timeout: 90_000, interval: 500 })
      .toEqual({ forgotten_at: null, place: card.place });
    await page.goto(`${rig.base}/cards?q=${card.iccid}`);
    await expect.poll(() => rowsOf(page).count()).toBe(1);
    // The same card (its id), with its history: the message, and the slot moves.
    await Promise.all([page.waitForEvent("load"), page.getByRole("link", { name: `History of card ${card.iccid}` }).click()]);
    expect(new URL(page.url()).pathname).toBe(`/cards/${card.id}`);
    expect(await page.locator("table.history").textContent()).toContain("Your code is 5521");
    await Promise.all([page.waitForEvent("load"), page.getByRole("link", { name: "Slot moves" }).click()]);
    const moves = await page.locator("table.history tbody tr").evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll("td")].slice(1).map((td) => td.textContent)));
    expect(moves).toEqual([
      ["–", `demo ${card.place}`, "returned"],
      [`demo ${card.place}`, "–", "forgotten"],
    ]);
    await rig.screenshot(page, "card-history-moves");
    await page.context().close();
  }, 180_000);

  it("ticked cards are brought online through the scheduler as the user's holds, and their storage cleared through card jobs", async () => {
    const onModems = new Set(rig.service.scheduler.positions("demo").values());
    const [a, b] = (await cardsOf("demo")).filter((c) => c.place && !onModems.has(c.place));
    const page = await rig.signIn("operator");
    await page.goto(`${rig.base}/cards?device=demo`);
    await page.waitForSelector("body[data-stream=open]");
    await page.getByRole("checkbox", { name: `Tick card ${a!.iccid}` }).check();
    // A live refresh of the table (once the focus has left it) keeps what is ticked.
    await page.locator("h1").click();
    const refreshed = await page.evaluate(`document.body.getAttribute("data-refreshed")`);
    await recordEvent(rig.service.db, "modemTrouble", { device: "demo" }, { modem: 1, kind: "test", detail: "wake the page" });
    await expect.poll(() => page.evaluate(`document.body.getAttribute("data-refreshed")`), { timeout: 10_000 }).not.toBe(refreshed);
    expect(await page.getByRole("checkbox", { name: `Tick card ${a!.iccid}` }).isChecked()).toBe(true);
    await page.getByLabel("Action", { exact: true }).selectOption({ label: "bring online" });
    await Promise.all([page.waitForEvent("load"), page.getByRole("button", { name: "Apply" }).click()]);
    expect(await page.getByRole("status").filter({ hasText: "Being brought online: 1 cards; left out: 0." }).count()).toBe(1);
    const olga = await rig.service.db.selectFrom("api_users").select("id").where("name", "=", "olga").executeTakeFirstOrThrow();
    expect(rig.service.scheduler.place("demo", a!.place!)?.hold?.holder).toBe(`user:${olga.id}`);
    await expect.poll(() => rig.service.scheduler.place("demo", a!.place!)?.hold?.state, { timeout: 60_000 }).toBe("online");

    await page.getByRole("checkbox", { name: `Tick card ${b!.iccid}` }).check();
    await page.getByLabel("Action", { exact: true }).selectOption({ label: "clear SIM storage" });
    await Promise.all([page.waitForEvent("load"), page.getByRole("button", { name: "Apply" }).click()]);
    expect(await page.getByRole("status").filter({ hasText: "Clearing the storage of 1 cards" }).count()).toBe(1);
    const job = () => rig.service.db.selectFrom("jobs").select(["kind", "state", "payload"]).where("kind", "=", "card-clear").executeTakeFirst();
    expect((await job())?.payload).toMatchObject({ kind: "clear", iccid: b!.iccid });
    await expect.poll(async () => (await job())?.state, { timeout: 90_000, interval: 500 }).toBe("done");
    await Effect.runPromise(rig.service.scheduler.release("demo", a!.place!, `user:${olga.id}`));
    await page.context().close();
  }, 180_000);
});
