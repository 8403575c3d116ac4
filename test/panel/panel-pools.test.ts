import type { Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { srNavigatorRoutes } from "../../src/api/srnav/handler";
import { routesServer } from "../support/routes";
import { startRig, type Rig } from "./panel-rig";

// The Pools page in headless Chromium over the simulated farm: a pool created, filled by the
// SIM cards page's filter and given a new key, which then opens the pool on the SR-Navigator
// API while the old one is refused; a number opened by a client shows as USED with its
// holder, and poolRestart from the page closes it again.
let rig: Rig;
let srnav: Server;
let api = "";
beforeAll(async () => {
  rig = await startRig("simgate_panel_pools_browser");
  srnav = routesServer(srNavigatorRoutes({ db: rig.service.db, registry: rig.service.registry, scheduler: rig.service.scheduler, sendWaitMs: 1_000 }));
  await new Promise<void>((r) => srnav.listen(0, "127.0.0.1", r));
  api = `http://127.0.0.1:${(srnav.address() as { port: number }).port}/api/handler.php`;
}, 120_000);
afterAll(async () => {
  srnav?.closeAllConnections();
  await new Promise<void>((r) => (srnav ? srnav.close(() => r()) : r()));
  await rig?.close();
}, 60_000);

const call = async (key: string, action: string, extra: Record<string, string> = {}) => (await fetch(`${api}?${new URLSearchParams({ pool_key: key, action, ...extra })}`)).text();

describe("the Pools page", () => {
  it("a pool created, filled by filter and its key rotated: the new key opens it on the SR-Navigator API, the old one is refused", async () => {
    const page = await rig.signIn("operator");
    await page.getByRole("link", { name: "Pools", exact: true }).click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("Pools");
    await page.getByRole("textbox", { name: "Title" }).fill("Checkout");
    await Promise.all([page.waitForEvent("load"), page.getByRole("button", { name: "Create the pool" }).click()]);
    expect(await page.getByRole("status").filter({ hasText: "Pool Checkout created with 0 cards." }).count()).toBe(1);
    const firstKey = (await page.locator("[data-pool-key]").textContent())!.trim();
    expect(firstKey.length).toBeGreaterThan(20);
    expect(await call(firstKey, "getPoolStatus")).toBe('[{"total":0,"used":0,"free":0,"channels":0}]');
    await rig.screenshot(page, "pools-created");

    // Filled by the SIM cards page's filter: the operator's bank, counted first.
    await Promise.all([page.waitForEvent("load"), page.getByRole("link", { name: "Checkout" }).click()]);
    await page.getByLabel("Device").selectOption({ label: "Demo bank" });
    await Promise.all([page.waitForEvent("load"), page.getByRole("button", { name: "Count matching cards" }).click()]);
    const demo = await rig.service.db.selectFrom("sim_cards").innerJoin("devices", "devices.id", "sim_cards.device_id").select(["sim_cards.iccid", "sim_cards.number"]).where("devices.key", "=", "demo").execute();
    expect(demo.length).toBeGreaterThan(3);
    expect(await page.locator("#fill-count").getAttribute("data-matching")).toBe(String(demo.length));
    await Promise.all([page.waitForEvent("load"), page.getByRole("button", { name: `Add these ${demo.length} cards` }).click()]);
    expect(await page.getByRole("status").filter({ hasText: `Added ${demo.length} cards` }).count()).toBe(1);
    const members = await rig.service.db.selectFrom("pool_cards").innerJoin("pools", "pools.id", "pool_cards.pool_id").select("pool_cards.iccid").where("pools.title", "=", "Checkout").orderBy("iccid").execute();
    expect(members.map((m) => m.iccid)).toEqual(demo.map((d) => d.iccid).sort());
    const offered = demo.filter((d) => d.number !== null).length;
    expect(offered).toBeGreaterThan(0);
    await expect.poll(() => page.locator("#pool-status").getAttribute("data-total")).toBe(String(offered));
    expect(await page.locator("#pool-status").getAttribute("data-free")).toBe(String(offered));

    // A new key, shown once: the old one stops opening the pool at once.
    await Promise.all([page.waitForEvent("load"), page.getByRole("button", { name: "New key" }).click()]);
    const newKey = (await page.locator("[data-pool-key]").textContent())!.trim();
    expect(newKey).not.toBe(firstKey);
    await rig.screenshot(page, "pools-new-key");
    expect(await call(firstKey, "getPoolStatus")).toBe("BAD_KEY");
    expect(JSON.parse(await call(newKey, "getPoolStatus"))[0]).toMatchObject({ total: offered, used: 0, free: offered });
    // Only its hash is kept, and the page does not show it again.
    const pool = await rig.service.db.selectFrom("pools").select("id").where("title", "=", "Checkout").executeTakeFirstOrThrow();
    expect(new URL(page.url()).pathname).toBe(`/pools/${pool.id}/key`);
    await page.goto(`${rig.base}/pools/${pool.id}`);
    expect(await page.locator("[data-pool-key]").count()).toBe(0);
    expect(await page.content()).not.toContain(newKey);

    // A client opens a number: the page shows it USED and held by the pool.
    const number = await call(newKey, "openNumber");
    expect(number).toMatch(/^\d+$/);
    await page.reload();
    const row = page.locator(`table.pool-members tbody tr[data-number="${number}"]`);
    expect(await row.getAttribute("data-use")).toBe("USED");
    await expect.poll(() => row.locator('td[data-field="holder"]').textContent(), { timeout: 15_000 }).toContain("pool Checkout");
    expect(await page.locator("#pool-status").getAttribute("data-used")).toBe("1");
    await rig.screenshot(page, "pool-held");

    // poolRestart from the page: the number closed, its hold let go.
    await Promise.all([page.waitForEvent("load"), page.getByRole("button", { name: "poolRestart" }).click()]);
    expect(await page.getByRole("status").filter({ hasText: "Restarted: every number closed, every card FREE." }).count()).toBe(1);
    expect(await page.locator("#pool-status").getAttribute("data-used")).toBe("0");
    expect(JSON.parse(await call(newKey, "getPoolStatus"))[0]).toMatchObject({ used: 0 });
    expect(await rig.service.db.selectFrom("holds").select("holder").where("holder", "like", "sr-pool:%").execute()).toEqual([]);
    const actions = await rig.service.db.selectFrom("audit_log").select("action").where("action", "like", "pool.%").orderBy("id").execute();
    expect(actions.map((a) => a.action)).toEqual(["pool.create", "pool.cards.add", "pool.key", "pool.restart"]);
    await page.context().close();
  }, 180_000);

  it("a viewer sees the pools and a pool's cards, and no control that changes them", async () => {
    const page = await rig.signIn("viewer");
    await page.goto(`${rig.base}/pools`);
    await expect.poll(() => page.locator("table.pools tbody tr").count()).toBeGreaterThan(0);
    expect(await page.locator("form[method=post][action^='/pools']").count()).toBe(0);
    await Promise.all([page.waitForEvent("load"), page.getByRole("link", { name: "Checkout" }).click()]);
    expect(await page.locator("table.pool-members tbody tr").count()).toBeGreaterThan(0);
    // The only forms that post are the header's sign-out ones.
    expect(await page.locator("form[method=post]").evaluateAll((forms) => forms.map((f) => f.getAttribute("action")))).toEqual(["/logout", "/logout-all"]);
    expect(await page.getByRole("button", { name: "New key" }).count()).toBe(0);
    expect(await page.getByRole("button", { name: "poolRestart" }).count()).toBe(0);
    await rig.screenshot(page, "pools-viewer");
    await page.context().close();
  }, 120_000);
});
