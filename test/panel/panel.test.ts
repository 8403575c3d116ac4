import { createServer } from "node:http";
import pg from "pg";
import { sql } from "kysely";
import { Effect } from "effect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashKey } from "../../src/access/keys";
import { recordEvent } from "../../src/store/events";
import { parsePosition } from "../../src/events/feed";
import { CSP } from "../../src/panel/http";
import { TEST_SERVER } from "../support/postgres";
import { startRig, USERS, type Rig } from "./panel-rig";

// The web panel in headless Chromium (Debian's chromium, playwright-core): sign-in and roles,
// refusals, session expiry, the live dashboard and grid, and the stream's resumption.
let rig: Rig;
beforeAll(async () => {
  rig = await startRig("simgate_panel");
}, 120_000);
afterAll(async () => rig?.close(), 60_000);

/** Clicks a form's button and waits for the page the answer loads (not the page still showing). */
const submit = async (page: import("playwright-core").Page, button: import("playwright-core").Locator) => {
  await Promise.all([page.waitForEvent("load"), button.click()]);
};

/**
 * A form posted with the page's session cookie and this panel's origin, as the page's own
 * script would post it, but from the browser context: a page that navigates meanwhile (its
 * live region refreshing, a reload) cannot cut the request short.
 */
const postForm = async (page: import("playwright-core").Page, path: string, body: string) => {
  const answer = await page.request.post(`${rig.base}${path}`, { headers: { origin: rig.base, "content-type": "application/x-www-form-urlencoded" }, data: body, maxRedirects: 0 });
  return { status: answer.status(), text: await answer.text() };
};

const cookieOf = async (page: import("playwright-core").Page) => (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join("; ");

describe("sign-in and roles", () => {
  it("the sign-in page is served with a strict CSP and only first-party assets; the admin sees every device", async () => {
    const context = await rig.browser.newContext({ locale: "en-US" });
    const page = await context.newPage();
    const outside: string[] = [];
    page.on("request", (req) => void (new URL(req.url()).origin !== rig.base && outside.push(req.url())));
    const response = await page.goto(`${rig.base}/devices`);
    expect(page.url()).toBe(`${rig.base}/login`);
    expect(response?.headers()["content-security-policy"]).toBe(CSP);
    await rig.screenshot(page, "sign-in");
    await page.getByLabel("User name").fill(USERS.admin.name);
    await page.getByLabel("Password").fill(USERS.admin.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${rig.base}/`);
    const cookie = (await context.cookies()).find((c) => c.name === "simgate_session")!;
    expect([cookie.httpOnly, cookie.sameSite]).toEqual([true, "Strict"]);
    for (const title of ["Demo bank", "Lab box", "USB rack"]) await expect.poll(() => page.getByRole("link", { name: title, exact: true }).count()).toBe(1);
    await page.waitForSelector("body[data-stream=open]");
    await rig.screenshot(page, "dashboard");
    await page.getByRole("link", { name: "Devices", exact: true }).click();
    await rig.screenshot(page, "devices");
    for (const [link, shot] of [["SIM cards", "cards"], ["Settings", "settings"]] as const) {
      await page.getByRole("link", { name: link, exact: true }).click();
      await expect.poll(() => page.locator("h1").textContent()).toBe(link);
      await rig.screenshot(page, shot);
    }
    expect(outside).toEqual([]);
    const audit = await rig.service.db.selectFrom("audit_log").select(["action", "user_name"]).where("action", "=", "sign-in").execute();
    expect(audit).toContainEqual({ action: "sign-in", user_name: "admin" });
    await context.close();
  }, 120_000);

  it("an operator sees the devices they own and may switch; a viewer sees theirs and may not, in the panel nor with their API key", async () => {
    const operator = await rig.signIn("operator");
    expect(await operator.getByRole("link", { name: "Demo bank", exact: true }).count()).toBe(1);
    expect(await operator.getByRole("link", { name: "Lab box", exact: true }).count()).toBe(0);
    await operator.goto(`${rig.base}/devices/demo`);
    expect(await operator.getByRole("button", { name: /^Switch position \w+ in$/ }).count()).toBeGreaterThan(0);

    const viewer = await rig.signIn("viewer");
    expect(await viewer.getByText("Signed in as vera (viewer)").count()).toBe(1);
    expect(await viewer.getByRole("link", { name: "Demo bank", exact: true }).count()).toBe(0);
    await viewer.goto(`${rig.base}/devices/lab`);
    expect(await viewer.locator("table.grid td[data-position]").count()).toBe(16);
    expect(await viewer.getByRole("button", { name: /Switch position/ }).count()).toBe(0);
    await rig.screenshot(viewer, "device-grid-viewer");
    // Posting the form anyway, with a valid token: refused for the role.
    const csrf = await viewer.locator("input[name=csrf]").first().getAttribute("value");
    const refused = await postForm(viewer, "/devices/lab/switch", `position=B2&csrf=${csrf}`);
    expect(refused.status).toBe(403);
    expect(refused.text).toContain("Your role (viewer) may not do this.");
    expect(await viewer.goto(`${rig.base}/devices/demo`).then((r) => r?.status())).toBe(404);
    const send = await fetch(`${rig.base}/api/smsSend`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ api_key: rig.keys.viewer, card_id: 1, number: "+15550001", text: "hi" }) });
    expect([send.status, ((await send.json()) as { error: string }).error]).toEqual([403, "FORBIDDEN"]);
    await operator.context().close();
    await viewer.context().close();
  }, 120_000);

  it("a wrong password is refused, and after 5 failures even the right one is throttled", async () => {
    await rig.service.db.insertInto("api_users").values({ name: "tina", key_hash: hashKey("tina-key-0123456789"), role: "operator" }).execute();
    const { setPassword } = await import("../../src/access/accounts");
    await setPassword(rig.service.db, "tina", "the right password", "test");
    const context = await rig.browser.newContext({ locale: "en-US" });
    const page = await context.newPage();
    await page.goto(`${rig.base}/login`);
    const attempt = async (password: string) => {
      await page.getByLabel("User name").fill("tina");
      await page.getByLabel("Password").fill(password);
      await submit(page, page.getByRole("button", { name: "Sign in" }));
      return page.getByRole("alert").textContent();
    };
    for (let i = 0; i < 5; i++) expect(await attempt(`wrong guess ${i}!`)).toBe("Wrong user name or password.");
    expect(await attempt("the right password")).toMatch(/^Too many failed sign-ins\. Try again in 1[45] min\.$/);
    expect(page.url()).toBe(`${rig.base}/login`);
    await rig.screenshot(page, "sign-in-throttled");
    const attempts = await rig.service.db.selectFrom("login_attempts").select(["ok"]).where("user_name", "=", "tina").execute();
    expect(attempts.map((a) => a.ok)).toEqual([false, false, false, false, false]);
    const audit = await rig.service.db.selectFrom("audit_log").select("action").where("user_name", "=", "tina").orderBy("id").execute();
    expect(audit.map((a) => a.action)).toEqual([...Array(5).fill("sign-in.failed"), "sign-in.throttled"]);
    await context.close();
  }, 120_000);
});

describe("refusals and expiry", () => {
  it("a state change without the CSRF token, or from another origin, is refused and changes nothing", async () => {
    const page = await rig.signIn("operator");
    await page.goto(`${rig.base}/devices/demo`);
    const noToken = (await page.evaluate(
      `fetch("/devices/demo/switch", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "position=C3" }).then(async (r) => [r.status, await r.text()])`,
    )) as [number, string];
    expect(noToken[0]).toBe(403);
    expect(noToken[1]).toContain("missing security token");

    // Another site's page (its own server, on localhost) posting a form at the panel.
    const evil = createServer((_, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end(`<form method="post" action="${rig.base}/devices/demo/switch"><input name="position" value="C3"><button>go</button></form>`);
    });
    await new Promise<void>((r) => evil.listen(0, "127.0.0.1", r));
    const evilOrigin = `http://localhost:${(evil.address() as { port: number }).port}`;
    const foreign = await page.context().newPage();
    await foreign.goto(`${evilOrigin}/`);
    await foreign.getByRole("button", { name: "go" }).click();
    await foreign.waitForURL(`${rig.base}/devices/demo/switch`);
    expect(await foreign.getByRole("alert").textContent()).toBe(`Refused: the request came from another site (${evilOrigin}).`);
    await foreign.close();
    evil.close();

    // Even with the victim's cookie and token (which another site cannot have), a foreign Origin is refused.
    const csrf = await page.locator("input[name=csrf]").first().getAttribute("value");
    const forged = await fetch(`${rig.base}/devices/demo/switch`, {
      method: "POST",
      redirect: "manual",
      headers: { cookie: await cookieOf(page), origin: "http://evil.example", "content-type": "application/x-www-form-urlencoded" },
      body: `position=C3&csrf=${csrf}`,
    });
    expect(forged.status).toBe(403);
    const stream = await fetch(`${rig.base}/panel/live`, { headers: { cookie: await cookieOf(page), origin: "http://evil.example" } });
    expect(stream.status).toBe(403);
    const holds = await rig.service.db.selectFrom("holds").select("position").where("device", "=", "demo").execute();
    expect(holds).toEqual([]);
    expect(await rig.service.db.selectFrom("audit_log").select("id").where("action", "=", "position.switch").execute()).toEqual([]);
    await page.context().close();
  }, 120_000);

  it("a session idle for 30 minutes ends: the open page goes back to sign-in by itself, and so does the next navigation", async () => {
    const page = await rig.signIn("operator");
    await page.waitForSelector("body[data-stream=open]");
    await rig.service.db.updateTable("panel_sessions").set({ last_seen_at: sql<Date>`now() - interval '31 minutes'` }).execute();
    await page.waitForURL(`${rig.base}/login?expired=1`, { timeout: 10_000 });
    expect(await page.getByRole("status").textContent()).toBe("Your session ended. Please sign in again.");
    await page.goto(`${rig.base}/devices`);
    expect(page.url()).toBe(`${rig.base}/login?expired=1`);
    await page.context().close();
  }, 120_000);
});

describe("live pages", () => {
  it("the dashboard shows the demo device and a modem going offline when it is unplugged, without a reload", async () => {
    const page = await rig.signIn("admin");
    await page.waitForSelector("body[data-stream=open]");
    const rack1 = page.locator('tr[data-modem="rack#1"]');
    await expect.poll(() => rack1.getAttribute("data-connected"), { timeout: 15_000 }).toBe("true");
    expect(await page.locator('tr[data-modem^="demo#"]').count()).toBe(8);
    await page.evaluate(`document.body.setAttribute("data-same-page", "yes")`);
    // A transaction left open elsewhere on the same PostgreSQL server (another program, a
    // job holding a lock) holds the commit-safe feed back until it ends; the page must not
    // wait for it to show what the modem did. It stays open until the page has shown it.
    const elsewhere = new pg.Client({ connectionString: TEST_SERVER });
    await elsewhere.connect();
    const lostShown = page.locator("#events li", { hasText: "rack #1 · lost" });
    try {
      await elsewhere.query("begin");
      await elsewhere.query("select txid_current()");
      await rig.served.unplug("usb0");
      // The serial transport notices the tty's hang-up at once (not at the next health check,
      // every 30 s); the rest of the wait is the page's and a busy machine's.
      await expect.poll(() => rack1.getAttribute("data-connected"), { timeout: 10_000, interval: 100 }).toBe("false");
      expect(await rack1.locator("td").first().textContent()).toBe("offline");
      // The events themselves wait for the transaction: the page did not.
      expect(await lostShown.count()).toBe(0);
    } finally {
      await elsewhere.query("commit");
      await elsewhere.end();
    }
    await expect.poll(() => lostShown.count(), { timeout: 10_000 }).toBe(1);
    expect(await page.getAttribute("body", "data-same-page")).toBe("yes");
    expect(await page.locator('tr[data-modem="rack#2"]').getAttribute("data-connected")).toBe("true");
    await expect.poll(() => page.locator('li[data-alert="modem-down"]', { hasText: "rack #1" }).count(), { timeout: 10_000 }).toBeGreaterThan(0);
    await rig.screenshot(page, "dashboard-modem-offline");
    await page.context().close();
  }, 120_000);

  it("an operator switches a position in from the grid and sees the new card on its modem; a switch that would move a held card is refused with the reason", async () => {
    const page = await rig.signIn("operator");
    await page.goto(`${rig.base}/devices/demo`);
    await page.waitForSelector("body[data-stream=open]");
    // Modem 2 serves column B; pick a B position it is not on.
    const onModem = await page.locator('td[data-position^="B"][data-modem="2"]').getAttribute("data-position");
    const target = ["B1", "B2", "B3"].find((p) => p !== onModem)!;
    const iccid = await page.locator(`td[data-position="${target}"]`).getAttribute("data-iccid");
    expect(iccid).toMatch(/^89\d+$/);
    await submit(page, page.getByRole("button", { name: `Switch position ${target} in` }));
    expect(await page.getByRole("status").filter({ hasText: `Position ${target} is being switched in` }).count()).toBe(1);
    await page.evaluate(`document.body.setAttribute("data-same-page", "yes")`);
    await expect.poll(() => page.locator(`td[data-position="${target}"]`).getAttribute("data-modem"), { timeout: 20_000 }).toBe("2");
    await expect.poll(() => page.locator('tr[data-modem="demo#2"] .iccid').textContent(), { timeout: 20_000 }).toBe(iccid);
    expect(await page.getAttribute("body", "data-same-page")).toBe("yes");
    // The card shows as soon as the modem read it; the hold turns online once the card has
    // registered (or the settle time passed), which may be a moment later.
    expect(await page.locator(`td[data-position="${target}"] .hold`).textContent()).toMatch(/^held by olga \((connecting|online)\)$/);
    await expect.poll(() => rig.service.scheduler.place("demo", target)?.hold?.state, { timeout: 20_000 }).toBe("online");
    await rig.screenshot(page, "device-grid-switched");

    // Another client holds C1 (modem 3's column): switching C2 in would move it away.
    await Effect.runPromise(rig.service.scheduler.claim("demo", "C1", "user:999"));
    await page.reload();
    const other = (await page.locator('td[data-position="C1"]').getAttribute("data-modem")) === "3" ? "C2" : "C3";
    await submit(page, page.getByRole("button", { name: `Switch position ${other} in` }));
    expect(await page.getByRole("alert").textContent()).toMatch(/^Not switched: busy: .*C1.*user:999/);
    expect(rig.service.scheduler.place("demo", other)?.hold ?? null).toBeNull();

    await submit(page, page.getByRole("button", { name: "Read the SIM of modem 2 again" }));
    expect(await page.getByRole("status").filter({ hasText: "Modem 2 is reading its SIM again." }).count()).toBe(1);

    await submit(page, page.getByRole("button", { name: `Release position ${target}` }));
    expect(rig.service.scheduler.place("demo", target)?.hold ?? null).toBeNull();
    const audit = await rig.service.db.selectFrom("audit_log").select(["action", "position", "detail"]).where("user_name", "=", "olga").where("action", "like", "position.%").orderBy("id").execute();
    expect(audit.map((a) => [a.action, a.position])).toEqual([
      ["position.switch", target],
      ["position.switch", other],
      ["position.release", target],
    ]);
    const reread = await rig.service.db.selectFrom("audit_log").select(["device", "detail"]).where("action", "=", "modem.reread").execute();
    expect(reread).toEqual([{ device: "demo", detail: { modem: 2, connected: true } }]);
    expect(audit[1]!.detail).toMatchObject({ refused: expect.stringContaining("busy") });
    await Effect.runPromise(rig.service.scheduler.release("demo", "C1", "user:999"));
    await page.context().close();
  }, 120_000);

  it("the dashboard shows each modem's signal over the last hour from the database, the messages queued on its card and its errors", async () => {
    const page = await rig.signIn("admin");
    await page.waitForSelector("body[data-stream=open]");
    const demo1 = page.locator('tr[data-modem="demo#1"]');
    const iccid = await demo1.locator(".iccid").textContent();
    expect(iccid).toMatch(/^89\d+$/);
    // The host writes each modem's signal into its row's history as it writes the row.
    const written = await rig.service.db.selectFrom("modem_state").select(["signal_dbm", "signal_history"]).where("device", "=", "demo").where("modem", "=", 2).executeTakeFirstOrThrow();
    expect(written.signal_history.length).toBeGreaterThan(0);
    expect(written.signal_history.at(-1)![1]).toBe(written.signal_dbm);
    expect(Math.abs(written.signal_history.at(-1)![0] - Date.now() / 1000)).toBeLessThan(3900);
    // And the page draws the row's history: a history made up here shows.
    const now = Math.floor(Date.now() / 1000);
    await rig.service.db
      .updateTable("modem_state")
      .set({ signal_history: JSON.stringify([[now - 1800, -95], [now - 900, null], [now - 600, -71]]) })
      .where("device", "=", "demo")
      .where("modem", "=", 1)
      .execute();
    const [queued] = await rig.service.db.insertInto("sms_out").values([{ iccid, addressee: "+15550001234", text: "waiting for its turn" }]).returning("id").execute();
    await recordEvent(rig.service.db, "modemTrouble", { device: "demo" }, { modem: 1, kind: "test", detail: "an error of the last hour" });
    await expect.poll(() => demo1.locator("td[data-queued]").textContent(), { timeout: 10_000 }).toBe("1");
    const spark = demo1.getByRole("img", { name: /^Signal over the last hour: / });
    expect(await spark.getAttribute("aria-label")).toBe("Signal over the last hour: -95 to -71 dBm, now -71 dBm");
    // The hour without signal is a gap: two runs of the line.
    expect(await spark.locator("polyline").count()).toBe(2);
    expect(Number(await demo1.locator("td.bad").textContent())).toBeGreaterThan(0);
    await rig.screenshot(page, "dashboard-sparklines");
    await rig.service.db.deleteFrom("sms_out").where("id", "=", queued!.id).execute();
    await page.context().close();
  }, 120_000);

  it("the device view shows the rotation; an operator rescans the device and resets a modem (audited, shown as an alert); power is absent from this hardware, said so; a viewer can do none of it", async () => {
    const page = await rig.signIn("operator");
    await page.goto(`${rig.base}/devices/demo`);
    await page.waitForSelector("body[data-stream=open]");
    const rotation = page.getByRole("region", { name: "Rotation" });
    expect(await rotation.locator("p").first().textContent()).toBe("Every 60 s, on the modems nobody holds.");
    // What the next step would switch in: positions on no modem now, as the scheduler would pick them.
    const next = (await rotation.getAttribute("data-rotation-next"))!.split(" ").filter(Boolean);
    expect(next.length).toBeGreaterThan(0);
    expect(await rotation.locator("p").nth(1).textContent()).toMatch(new RegExp(`^Next step in about \\d+ s: ${next.join(", ")}\\.$`));
    for (const p of next) expect(await page.locator(`td[data-position="${p}"]`).getAttribute("data-modem")).toBe("");

    await submit(page, page.getByRole("button", { name: "Read every position of Demo bank again" }));
    expect(await page.getByRole("status").filter({ hasText: "Every position is being read again" }).count()).toBe(1);

    await submit(page, page.getByRole("button", { name: "Reset modem 3" }));
    expect(await page.getByRole("status").filter({ hasText: "Modem 3 is being reset" }).count()).toBe(1);
    // The module restarted and answered again; the actor set it up again.
    const recovered = () =>
      rig.service.db
        .selectFrom("events")
        .select("id")
        .where("device", "=", "demo")
        .where(sql<boolean>`payload->>'kind' = 'recovery' and payload->>'detail' = 'after a reset asked in the panel' and (payload->>'modem')::int = 3`)
        .execute();
    await expect.poll(async () => (await recovered()).length, { timeout: 30_000 }).toBe(1);
    await expect.poll(() => page.locator('tr[data-modem="demo#3"]').getAttribute("data-connected"), { timeout: 30_000 }).toBe("true");
    const power = page.getByRole("button", { name: "Power of modem 3" });
    expect(await power.isDisabled()).toBe(true);
    expect(await power.getAttribute("aria-describedby")).toBe("power-none");
    expect(await page.locator("#power-none").textContent()).toBe("Power: this hardware has no way to switch a modem's power (reset restarts the module instead).");
    await rig.screenshot(page, "device-rotation-actions");

    const dashboard = await page.context().newPage();
    await dashboard.goto(`${rig.base}/`);
    expect(await dashboard.locator('li[data-alert="modem-reset"]', { hasText: "demo #3" }).count()).toBe(1);

    // A viewer posting the same forms with a valid token: refused for the role, nothing done.
    const viewer = await rig.signIn("viewer");
    await viewer.goto(`${rig.base}/devices/lab`);
    expect(await viewer.getByRole("button", { name: /^Reset modem|^Read every position/ }).count()).toBe(0);
    const csrf = await viewer.locator("input[name=csrf]").first().getAttribute("value");
    for (const path of ["/devices/lab/rescan", "/devices/lab/modems/1/reset"]) {
      const refused = await postForm(viewer, path, `csrf=${csrf}`);
      expect(refused.status).toBe(403);
      expect(refused.text).toContain("Your role (viewer) may not do this.");
    }
    // Without the token, even the operator is refused.
    const tokenless = await postForm(page, "/devices/demo/modems/2/reset", "");
    expect(tokenless.status).toBe(403);
    expect(tokenless.text).toContain("missing security token");

    const audit = await rig.service.db.selectFrom("audit_log").select(["user_name", "action", "device", "detail"]).where("action", "in", ["device.rescan", "modem.reset"]).orderBy("id").execute();
    expect(audit).toEqual([
      { user_name: "olga", action: "device.rescan", device: "demo", detail: {} },
      { user_name: "olga", action: "modem.reset", device: "demo", detail: { modem: 3, connected: true } },
    ]);
    await page.context().close();
    await viewer.context().close();
  }, 120_000);

  it("the messages-per-hour plot counts an SMS as it is stored, without a reload", async () => {
    const page = await rig.signIn("operator");
    await page.waitForSelector("body[data-stream=open]");
    const plot = page.getByRole("img", { name: /received and .* sent in the last 24 hours/ });
    const before = Number(await plot.getAttribute("data-received"));
    const farm = rig.service.registry.farm!;
    const card = [...farm.modems.values()].find((m) => m.id.startsWith("demo-") && m.registered && m.sim)!.sim!;
    farm.network.sendSms({ to: card.number, from: "+15550009999", text: "Your code is 2718" });
    await expect.poll(async () => Number(await plot.getAttribute("data-received")), { timeout: 15_000 }).toBe(before + 1);
    await expect.poll(() => page.locator('#events li[data-type="smsReceived"]').count()).toBeGreaterThan(0);
    await page.context().close();
  }, 120_000);

  it("the live stream resumes after a dropped connection without losing or repeating an event", async () => {
    const page = await rig.signIn("admin");
    await page.waitForSelector("body[data-stream=open]");
    const start = parsePosition(await page.getAttribute("body", "data-feed"))!;
    // The tab's reconnection is held back until the events below are stored, so they
    // are recorded while it is cut off however slowly this machine runs.
    let letThrough!: () => void;
    const cutOff = new Promise<void>((resolve) => (letThrough = resolve));
    await page.route("**/panel/live?**", async (route) => {
      await cutOff;
      await route.continue();
    });
    expect(rig.panel.dropStreams()).toBeGreaterThan(0);
    await expect.poll(() => page.getAttribute("body", "data-stream"), { timeout: 10_000 }).toBe("reconnecting");
    for (let n = 1; n <= 3; n++) await recordEvent(rig.service.db, "modemTrouble", { device: "demo" }, { modem: 1, kind: "test", detail: `while cut off ${n}` });
    letThrough();
    const marks = page.locator('#events li[data-type="modemTrouble"]', { hasText: "test" });
    await expect.poll(() => marks.count(), { timeout: 15_000 }).toBe(3);
    const shown = (await page.locator("#events li").evaluateAll((items) => items.map((i) => (i as unknown as { dataset: { id: string } }).dataset.id))).reverse();
    const last = shown.indexOf((await marks.first().getAttribute("data-id"))!);
    const stored = await sql<{ txid: string; id: string }>`select txid, id from events where (txid, id) > (${start.txid}::bigint, ${start.id}::bigint) order by txid, id`.execute(rig.service.db);
    const expected = stored.rows.map((r) => `${r.txid}:${r.id}`);
    expect(shown.slice(0, last + 1)).toEqual(expected.slice(0, last + 1));
    expect(new Set(shown).size).toBe(shown.length);
    await rig.screenshot(page, "dashboard-events");
    await page.context().close();
  }, 120_000);
});

describe("phone, wall screen, keyboard and names", () => {
  const VIEWPORTS = [
    { name: "phone", width: 390, height: 844 },
    { name: "wall", width: 2560, height: 1440 },
  ] as const;

  /** Controls the accessibility tree (Chromium's own computation) has without a name. */
  const unnamed = async (page: import("playwright-core").Page) => {
    const cdp = await page.context().newCDPSession(page);
    const { nodes } = (await cdp.send("Accessibility.getFullAXTree")) as { nodes: Array<{ ignored: boolean; role?: { value: string }; name?: { value: string } }> };
    await cdp.detach();
    const controls = nodes.filter((n) => !n.ignored && ["button", "link", "textbox", "combobox", "checkbox", "radio", "searchbox", "spinbutton", "listbox", "menuitem", "tab", "switch"].includes(n.role?.value ?? ""));
    return { count: controls.length, unnamed: controls.filter((n) => !(n.name?.value ?? "").trim()).map((n) => n.role?.value) };
  };

  it("the dashboard and the device view fit a phone and a wall screen without sideways scrolling", async () => {
    const page = await rig.signIn("operator");
    for (const viewport of VIEWPORTS) {
      await page.setViewportSize({ width: viewport.width, height: viewport.height });
      for (const [path, shot] of [["/", "dashboard"], ["/devices/demo", "device-grid"]] as const) {
        await page.goto(`${rig.base}${path}`);
        await page.waitForSelector("body[data-stream=open]");
        const widths = await page.evaluate(`[document.documentElement.scrollWidth, document.documentElement.clientWidth]`) as [number, number];
        // What sticks out, when something does: named in the failure.
        const wide = widths[0] > widths[1] ? await page.evaluate(`[...document.querySelectorAll("body *")].filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1 && !e.closest(".grid-wrap, .table-wrap")).map((e) => e.tagName + "." + e.className).slice(0, 5).join(", ")`) : "";
        expect([path, viewport.name, widths[0] <= widths[1]], `${path} at ${viewport.width}px is ${widths[0]}px wide: ${wide}`).toEqual([path, viewport.name, true]);
        await rig.screenshot(page, `${shot}-${viewport.name}`);
      }
    }
    await page.context().close();
  }, 120_000);

  it("the keyboard reaches the navigation and the grid's switch control, in the page's order, starting with the skip link", async () => {
    const page = await rig.signIn("operator");
    await page.goto(`${rig.base}/devices/demo`);
    await page.waitForSelector("body[data-stream=open]");
    const reached: string[] = [];
    for (let i = 0; i < 120; i++) {
      await page.keyboard.press("Tab");
      const focused = (await page.evaluate(`(() => { const e = document.activeElement; return e ? (e.getAttribute("aria-label") || e.textContent || "").trim() : ""; })()`)) as string;
      reached.push(focused);
      if (/^Switch position \w+ in$/.test(focused)) break;
    }
    expect(reached[0]).toBe("Skip to content");
    const nav = reached.indexOf("Devices");
    const switchControl = reached.findIndex((r) => /^Switch position \w+ in$/.test(r));
    expect(nav).toBeGreaterThan(0);
    expect(switchControl).toBeGreaterThan(nav);
    // And the switch control works from the keyboard.
    await Promise.all([page.waitForEvent("load"), page.keyboard.press("Enter")]);
    const notice = page.getByRole("status").filter({ hasText: /^Position \w+ is being switched in/ });
    expect(await notice.count()).toBe(1);
    const held = /^Position (\w+) is/.exec((await notice.textContent())!)![1]!;
    expect(reached[switchControl]).toBe(`Switch position ${held} in`);
    await submit(page, page.getByRole("button", { name: `Release position ${held}` }));
    await page.context().close();
  }, 120_000);

  it("every button, link, field and list on every page has an accessible name", async () => {
    const context = await rig.browser.newContext({ locale: "en-US" });
    const signInPage = await context.newPage();
    await signInPage.goto(`${rig.base}/login`);
    const signIn = await unnamed(signInPage);
    expect(signIn.count).toBeGreaterThan(2);
    expect(signIn.unnamed).toEqual([]);
    await context.close();
    const page = await rig.signIn("operator");
    for (const path of ["/", "/devices", "/devices/demo", "/settings", "/cards"]) {
      await page.goto(`${rig.base}${path}`);
      await page.waitForSelector("body[data-stream=open]");
      const found = await unnamed(page);
      expect(found.count, path).toBeGreaterThan(8);
      expect([path, found.unnamed]).toEqual([path, []]);
    }
    await page.context().close();
  }, 120_000);
});
