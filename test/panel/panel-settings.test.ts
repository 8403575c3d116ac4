import { createHmac } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordEvent } from "../../src/store/events";
import { startRig, type Rig } from "./panel-rig";

// The Events and Settings pages in headless Chromium over the rig's service: a test event
// posted to a receiver on loopback and its delivery in the log, an API key rotated on the
// page against the SimFolder API, the admin sections refused to an operator, a viewer who
// reads both pages and changes nothing, and an event that appears on the Events page live.
let rig: Rig;
let receiver: Server;
let hookUrl = "";
const received: Array<{ headers: IncomingMessage["headers"]; body: string }> = [];

beforeAll(async () => {
  rig = await startRig("simgate_panel_settings_browser");
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  hookUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;
}, 120_000);
afterAll(async () => {
  receiver?.closeAllConnections();
  await new Promise<void>((r) => (receiver ? receiver.close(() => r()) : r()));
  await rig?.close();
}, 60_000);

const submit = async (page: Page, button: ReturnType<Page["getByRole"]>) => Promise.all([page.waitForEvent("load"), button.click()]);

/** A post built by hand in the page, with the session's own CSRF token: what a tampered page could send. */
const postFromPage = (page: Page, path: string, fields: Record<string, string>) =>
  page.evaluate(
    `(async () => { const csrf = document.querySelector("input[name=csrf]").value; const res = await fetch(${JSON.stringify(path)}, { method: "POST", body: new URLSearchParams({ csrf, ...${JSON.stringify(fields)} }) }); return res.status; })()`,
  ) as Promise<number>;

const api = async (method: string, key: string) => {
  const res = await fetch(`${rig.base}/api/${method}?api_key=${encodeURIComponent(key)}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe("the Settings page", () => {
  it("a webhook test event reaches a receiver on loopback and shows in the delivery log", async () => {
    const page = await rig.signIn("operator");
    await page.getByRole("link", { name: "Settings", exact: true }).click();
    await page.getByRole("textbox", { name: "URL" }).fill(hookUrl);
    await page.getByRole("combobox", { name: "Format" }).selectOption("json");
    await page.getByRole("checkbox", { name: "SMS received" }).check();
    await submit(page, page.getByRole("button", { name: "Save notifications" }));
    expect(await page.getByRole("status").filter({ hasText: "Saved." }).count()).toBe(1);
    // The same settings the SimFolder API reads.
    const settings = (await api("settingsGet", rig.keys.operator)).body.settings as { url: string; format: string; events: Record<string, boolean>; secret: string };
    expect([settings.url, settings.format, settings.events.smsReceived, settings.events.callEnd]).toEqual([hookUrl, "json", true, false]);

    await submit(page, page.getByRole("button", { name: "Send a test event" }));
    expect(await page.getByRole("status").filter({ hasText: "The test event was delivered." }).count()).toBe(1);
    expect(received).toHaveLength(1);
    const hit = received[0]!;
    expect(hit.headers["x-simgate-event"]).toBe("test");
    expect(JSON.parse(hit.body)).toMatchObject({ event: "test", test: true });
    // Signed with the user's secret, as every notification is.
    expect(hit.headers["x-simgate-signature"]).toBe(`sha256=${createHmac("sha256", settings.secret).update(hit.body).digest("hex")}`);
    const row = page.locator(`table.delivery-log tr[data-delivery="${hit.headers["x-simgate-delivery"]}"]`);
    expect(await row.getAttribute("data-event")).toBe("test");
    expect(await row.locator("[data-state]").getAttribute("data-state")).toBe("delivered");
    await rig.screenshot(page, "settings-delivery-log");
    await page.context().close();
  }, 120_000);

  it("an API key rotated on the page works against the SimFolder API and the old one is refused", async () => {
    const page = await rig.signIn("operator");
    await page.goto(`${rig.base}/settings`);
    const old = rig.keys.operator;
    expect((await api("cardList", old)).status).toBe(200);
    await submit(page, page.getByRole("button", { name: "Make a new API key" }));
    const fresh = (await page.locator("#new-key").textContent())!.trim();
    expect(fresh.length).toBeGreaterThanOrEqual(20);
    expect(fresh).not.toBe(old);
    const answer = await api("cardList", fresh);
    expect([answer.status, answer.body.status]).toEqual([200, "ok"]);
    const refused = await api("cardList", old);
    expect([refused.status, refused.body.error]).toEqual([401, "BAD_API_KEY"]);
    // Stored hashed: the key itself is nowhere in the database.
    const row = await rig.service.db.selectFrom("api_users").select("key_hash").where("name", "=", "olga").executeTakeFirstOrThrow();
    expect(row.key_hash).not.toContain(fresh);
    // Shown once: the page loaded again no longer has it.
    await page.goto(`${rig.base}/settings`);
    expect(await page.locator("#new-key").count()).toBe(0);
    expect(await page.content()).not.toContain(fresh);
    rig.keys.operator = fresh;
    await page.context().close();
  }, 120_000);

  it("an operator cannot open the admin sections: no links, and the server refuses them", async () => {
    const page = await rig.signIn("operator");
    await page.goto(`${rig.base}/settings`);
    expect(await page.getByRole("link", { name: "Users and roles" }).count()).toBe(0);
    expect(await page.getByRole("link", { name: "Audit log" }).count()).toBe(0);
    for (const path of ["/settings/users", "/settings/audit"]) {
      const res = await page.goto(`${rig.base}${path}`);
      expect([path, res!.status()]).toEqual([path, 403]);
      expect(await page.getByRole("alert").textContent()).toBe("Your role (operator) may not do this.");
    }
    // A post built by hand, with the session's own token, is refused as well.
    await page.goto(`${rig.base}/settings`);
    const status = await postFromPage(page, "/settings/users/role", { name: "olga", role: "admin" });
    expect(status).toBe(403);
    expect((await rig.service.db.selectFrom("api_users").select("role").where("name", "=", "olga").executeTakeFirstOrThrow()).role).toBe("operator");
    // The admin has both.
    const admin = await rig.signIn("admin");
    await admin.goto(`${rig.base}/settings`);
    await submit(admin, admin.getByRole("link", { name: "Users and roles" }));
    if ((await admin.locator("table.users").count()) === 0) {
      await rig.screenshot(admin, "settings-users-missing");
      throw new Error(`not the users page: ${admin.url()} ${await admin.locator("h1").textContent()} ${await admin.locator("main").textContent()}`);
    }
    expect(await admin.locator("table.users tr[data-user=olga]").getAttribute("data-role")).toBe("operator");
    await rig.screenshot(admin, "settings-users");
    await admin.goto(`${rig.base}/settings/audit?user=olga`);
    expect(await admin.locator("table.audit-log tr[data-action='sign-in']").count()).toBeGreaterThan(0);
    await admin.context().close();
    await page.context().close();
  }, 120_000);

  it("a viewer sees Events and Settings and changes nothing", async () => {
    const page = await rig.signIn("viewer");
    await recordEvent(rig.service.db, "modemTrouble", { device: "lab" }, { modem: 1, kind: "test", detail: "for the viewer" });
    await page.getByRole("link", { name: "Events", exact: true }).click();
    expect(await page.locator("h1").textContent()).toBe("Events");
    // Only the events of the viewer's own device.
    const devices = await page.locator("table.event-log tbody tr[data-event] td:nth-child(3)").allTextContents();
    expect(devices.length).toBeGreaterThan(0);
    expect(new Set(devices)).toEqual(new Set(["Lab box"]));
    expect(await page.locator("main form[method=post]").count()).toBe(0);

    await page.getByRole("link", { name: "Settings", exact: true }).click();
    expect(await page.locator("h1").textContent()).toBe("Settings");
    // Every section is there to read; the only form that posts is the viewer's own language.
    for (const heading of ["Your API key", "Notifications", "Telegram", "Operator codes", "Retention"]) expect(await page.getByRole("heading", { name: heading }).count(), heading).toBe(1);
    expect(await page.locator("main form[method=post]").evaluateAll((forms) => forms.map((f) => f.getAttribute("action")))).toEqual(["/settings/language"]);
    expect(await page.getByRole("button", { name: "Send a test event" }).count()).toBe(0);
    expect(await page.getByRole("textbox", { name: "URL" }).isDisabled()).toBe(true);
    await rig.screenshot(page, "settings-viewer");
    // Posts built by hand with the session's token: refused, nothing written.
    const before = await rig.service.db.selectFrom("settings").select(["key", "value"]).where("key", "like", "notify:%").execute();
    const statuses: number[] = [];
    for (const [path, fields] of [
      ["/settings/notify", { url: "http://127.0.0.1:9/x", format: "form" }],
      ["/settings/notify/test", {}],
      ["/settings/key", {}],
      ["/settings/telegram", { telegram_chat_id: "12345" }],
      ["/settings/operators", { name: "Lab", balance_ussd: "*100#" }],
      ["/settings/retention", { smsDays: "1", ussdDays: "1", callsDays: "1", atLogDays: "1", eventsDays: "1" }],
    ] as const)
      statuses.push(await postFromPage(page, path, fields));
    expect(statuses).toEqual([403, 403, 403, 403, 403, 403]);
    expect(await rig.service.db.selectFrom("settings").select(["key", "value"]).where("key", "like", "notify:%").execute()).toEqual(before);
    expect((await api("cardList", rig.keys.viewer)).status).toBe(200);
    await page.context().close();
  }, 120_000);
});

describe("the Events page", () => {
  it("shows a new event live, without a reload, and filters by type", async () => {
    const page = await rig.signIn("admin");
    await page.goto(`${rig.base}/events`);
    await page.waitForSelector("body[data-stream=open]");
    // A mark on the window: a reload would lose it.
    await page.evaluate(`window.__sameDocument = true`);
    await recordEvent(rig.service.db, "modemTrouble", { device: "demo" }, { modem: 2, kind: "test", detail: "appears live" });
    const newest = page.locator("table.event-log tbody tr[data-event]").first();
    await expect.poll(() => newest.locator("td:nth-child(5)").textContent(), { timeout: 10_000 }).toContain("detail: appears live");
    expect(await newest.getAttribute("data-type")).toBe("modemTrouble");
    expect(await page.evaluate(`window.__sameDocument`)).toBe(true);
    await rig.screenshot(page, "events");

    await page.getByRole("combobox", { name: "Event", exact: true }).selectOption("modemTrouble");
    await submit(page, page.getByRole("button", { name: "Show" }));
    expect(new URL(page.url()).searchParams.get("type")).toBe("modemTrouble");
    const types = await page.locator("table.event-log tbody tr[data-event]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-type")));
    expect(types.length).toBeGreaterThan(0);
    expect(new Set(types)).toEqual(new Set(["modemTrouble"]));
    await page.context().close();
  }, 120_000);

  it("every control on the Events and Settings pages has an accessible name, and a phone does not scroll sideways", async () => {
    const unnamed = async (page: Page) => {
      const cdp = await page.context().newCDPSession(page);
      const { nodes } = (await cdp.send("Accessibility.getFullAXTree")) as { nodes: Array<{ ignored: boolean; role?: { value: string }; name?: { value: string } }> };
      await cdp.detach();
      const controls = nodes.filter((n) => !n.ignored && ["button", "link", "textbox", "combobox", "checkbox", "radio", "searchbox", "spinbutton", "listbox"].includes(n.role?.value ?? ""));
      return { count: controls.length, unnamed: controls.filter((n) => !(n.name?.value ?? "").trim()).map((n) => n.role?.value) };
    };
    for (const who of ["admin", "operator"] as const) {
      const page = await rig.signIn(who);
      const paths = who === "admin" ? ["/events", "/settings", "/settings/users", "/settings/audit"] : ["/events", "/settings"];
      for (const path of paths) {
        await page.setViewportSize({ width: 1280, height: 900 });
        await page.goto(`${rig.base}${path}`);
        await page.waitForSelector("body[data-stream=open]");
        const found = await unnamed(page);
        expect(found.count, path).toBeGreaterThan(8);
        expect([who, path, found.unnamed]).toEqual([who, path, []]);
        await page.setViewportSize({ width: 390, height: 844 });
        const widths = (await page.evaluate(`[document.documentElement.scrollWidth, document.documentElement.clientWidth]`)) as [number, number];
        expect([who, path, widths[0] <= widths[1]]).toEqual([who, path, true]);
      }
      await page.context().close();
    }
  }, 180_000);
});
