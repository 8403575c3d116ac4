import { sql } from "kysely";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMPACT_ABOVE, dashboardLive } from "../../src/panel/pages/dashboard";
import { translator } from "../../src/panel/i18n/locale";
import { startRig, USERS, type Rig } from "./panel-rig";
import { panelSessions } from "./panel-session";

// The console page in headless Chromium, through the service's own console endpoint on the
// rig's server: a line typed in the terminal goes into the modem's queue and its reply comes
// back with its notes, an SMS arriving shows live as an unsolicited code, a viewer only
// watches, a lease taken shows on the device view, and one command goes to many modems.
let rig: Rig;
let http: ReturnType<typeof panelSessions>;
beforeAll(async () => {
  rig = await startRig("simgate_panel_console");
  http = panelSessions(() => rig.base);
  for (const who of ["admin", "operator", "viewer"] as const) await http.signIn(USERS[who].name, USERS[who].password);
}, 120_000);
afterAll(async () => rig?.close(), 60_000);

const network = () => rig.service.registry.farm!.network;

/** What the page has written for a person (the log beside the terminal, one item a line). */
const logged = (page: Page, kind: string) => page.locator(`[data-console-log] li.${kind.split(" ").join(".")}`);

/** Opens a modem's console and waits for the service's hello. */
const openConsole = async (page: Page, device: string, modem: number) => {
  const answer = await page.goto(`${rig.base}/console/${device}/${modem}`);
  expect(answer?.status()).toBe(200);
  // Open, or closed with the page's reason: a failure then says which, and where the page went.
  await page.waitForSelector("[data-console][data-state=open], [data-console][data-state=closed]", { timeout: 30_000 });
  const state = await page.locator("[data-console]").getAttribute("data-state");
  expect(state, `console ${device}/${modem} did not open: "${await page.locator("[data-console-state], .console-state").first().textContent().catch(() => "?")}" at ${page.url()}`).toBe("open");
};

/** Types a line into the terminal as a person does, and presses Enter. */
const typeLine = async (page: Page, text: string) => {
  await page.locator(".xterm").click();
  await page.keyboard.type(text);
  await page.keyboard.press("Enter");
};

describe("the console page over HTTP", () => {
  it("is a page for a modem the user may see; another's device and a modem that is not there are not found", async () => {
    const page = await http.get(USERS.operator.name, "/console/demo/1");
    expect(page.status).toBe(200);
    expect(page.text).toContain('data-console data-device="demo" data-modem="1" data-may-work="true"');
    expect(page.text).toContain('<script src="/panel/vendor/xterm.js?v=');
    expect(page.text).toContain('<link rel="stylesheet" href="/panel/vendor/xterm.css?v=');
    expect(page.text).toContain("Take for 15 minutes");
    // The longest lease the service grants bounds the field.
    expect(page.text).toContain('type="number" min="1" max="120" value="15" required>');
    expect(page.text).toContain('<input type="checkbox" name="modem" value="demo/1" checked>');
    // The operator's batch offers their own modems only.
    expect(page.text).not.toContain('value="lab/1"');
    expect(page.headers.get("content-security-policy")).toContain("connect-src 'self'");

    const other = await http.get(USERS.operator.name, "/console/lab/1");
    expect(other.status).toBe(404);
    expect(other.text).toContain("There is no such modem, or it is not on a device of yours.");
    expect((await http.get(USERS.operator.name, "/console/demo/99")).status).toBe(404);
    expect((await http.get(USERS.admin.name, "/console/lab/1")).status).toBe(200);
    // Not signed in: to the sign-in page, as every page.
    const anonymous = await fetch(`${rig.base}/console/demo/1`, { redirect: "manual" });
    expect([anonymous.status, anonymous.headers.get("location")]).toEqual([303, "/login"]);
  });

  it("a viewer's page has nothing to type with: no lease form, no button editor, no batch", async () => {
    const page = await http.get(USERS.viewer.name, "/console/lab/1");
    expect(page.status).toBe(200);
    expect(page.text).toContain('data-may-work="false"');
    expect(page.text).toContain("You are watching: a viewer cannot type into a modem.");
    for (const absent of ["data-lease-take", "data-lease-release", "data-buttons-edit", "data-batch"]) expect(page.text).not.toContain(absent);
  });

  it("serves the terminal's script and style from the installed package, and nothing else under its path", async () => {
    const script = await fetch(`${rig.base}/panel/vendor/xterm.js`);
    expect([script.status, script.headers.get("content-type")]).toEqual([200, "text/javascript; charset=utf-8"]);
    expect(await script.text()).toContain("xterm");
    const style = await fetch(`${rig.base}/panel/vendor/xterm.css`);
    expect([style.status, style.headers.get("content-type")]).toEqual([200, "text/css; charset=utf-8"]);
    expect((await fetch(`${rig.base}/panel/vendor/addon-fit.js`)).status).toBe(200);
    expect((await fetch(`${rig.base}/panel/vendor/package.json`)).status).toBe(404);
    // A path out of the three is no file: not served (a stranger is sent to sign in, as anywhere).
    expect((await fetch(`${rig.base}/panel/vendor/..%2Fpackage.json`, { redirect: "manual" })).status).toBe(303);
    expect((await fetch(`${rig.base}/panel/assets/console.js`)).status).toBe(200);
  });

  it("every modem row of the dashboard and the device view links to its console", async () => {
    const dashboard = (await http.get(USERS.operator.name, "/")).text;
    expect(dashboard).toContain('<a href="/console/demo/1"');
    const device = (await http.get(USERS.operator.name, "/devices/demo")).text;
    for (let modem = 1; modem <= 8; modem++) expect(device).toContain(`<a href="/console/demo/${modem}"`);
  });

  it("on a dashboard of tiles (a big farm) each tile links to its modem's console too", () => {
    const modems = Array.from({ length: COMPACT_ABOVE + 1 }, (_, i) => ({
      device: "big box",
      modem: i + 1,
      host: "h",
      connected: true,
      simStatus: 1 as const,
      iccid: null,
      number: null,
      operator: null,
      registration: null,
      signalDbm: -70,
      errorsLastHour: 0,
      queued: 0,
    }));
    const page = dashboardLive(translator("en"), { devices: [{ id: 1, key: "big box", title: "Big", model: "pool", host: "h" }], modems, alerts: [], hours: [] }).text;
    expect(page.match(/<li class="tile ok"/g)).toHaveLength(COMPACT_ABOVE + 1);
    expect(page).toContain('title="#201: online, active, -70 dBm"><a href="/console/big%20box/201">201</a></li>');
  });
});

describe("the console page in a browser", () => {
  it("a line typed in the terminal goes through the modem's queue; the whole reply comes back with its time and the level in dBm under it", async () => {
    const page = await rig.signIn("operator");
    await openConsole(page, "demo", 1);
    expect(await page.locator("[data-console-state]").textContent()).toBe(`Connected as ${USERS.operator.name}.`);
    await typeLine(page, "AT+CSQ");
    await expect.poll(() => logged(page, "final").count(), { timeout: 15_000 }).toBe(1);
    expect(await logged(page, "reply").first().textContent()).toMatch(/^\+CSQ: \d+,\d+$/);
    expect(await logged(page, "reply note").first().textContent()).toMatch(/^↳ signal -\d+ dBm( or (less|more))? \(/);
    expect(await logged(page, "final ok").textContent()).toMatch(/^OK \(\d+ ms\)$/);
    // The terminal itself shows it: the reply, and the note under it.
    const screen = () => page.locator(".xterm-rows").innerText();
    expect(await screen()).toMatch(/\+CSQ: \d+,\d+\n\s+↳ .*dBm/);
    // Through the service: recorded as the operator's line.
    const recorded = await rig.service.db.selectFrom("console_lines").select(["user_name", "device", "modem", "command", "outcome"]).where("command", "=", "AT+CSQ").execute();
    expect(recorded).toEqual([{ user_name: USERS.operator.name, device: "demo", modem: 1, command: "AT+CSQ", outcome: "ok" }]);

    // The up arrow brings the line back; Enter sends it again.
    await page.keyboard.press("ArrowUp");
    await page.keyboard.press("Enter");
    await expect.poll(() => logged(page, "final ok").count(), { timeout: 15_000 }).toBe(2);
    // The history beside the terminal has it, and finds it.
    await page.getByLabel("Search your history").fill("csq");
    expect(await page.locator("[data-history] button").allTextContents()).toEqual(["AT+CSQ"]);
    await page.getByLabel("Search your history").fill("cops");
    expect(await page.locator("[data-history] li").allTextContents()).toEqual(["Nothing matches."]);
    await rig.screenshot(page, "console");
    await page.context().close();
  }, 90_000);

  it("an SMS arriving at the modem's SIM shows live as an unsolicited +CMTI, marked, with its note", async () => {
    const page = await rig.signIn("operator");
    await openConsole(page, "demo", 1);
    const iccid = (await page.locator(".console-facts .iccid").textContent())!;
    const number = network().sims.get(iccid)!.number;
    network().sendSms({ to: number, from: "+15550001111", text: "Is the console on?" });
    const urc = logged(page, "urc").filter({ hasText: "+CMTI:" });
    await expect.poll(() => urc.count(), { timeout: 20_000 }).toBeGreaterThan(0);
    expect(await urc.first().textContent()).toMatch(/^\[urc\] \+CMTI: "\w+",\d+$/);
    expect(await logged(page, "urc note").allTextContents()).toContainEqual(expect.stringMatching(/^↳ new message stored in \w+ at index \d+$/));
    expect(await page.locator(".xterm-rows").innerText()).toMatch(/\[urc\] \+CMTI: "\w+",\d+/);
    await rig.screenshot(page, "console-urc");
    await page.context().close();
  }, 90_000);

  it("a viewer watches: nothing to type with, and a line sent over the socket anyway is refused", async () => {
    const page = await rig.signIn("viewer");
    await openConsole(page, "lab", 1);
    expect(await page.locator("[data-console-state]").textContent()).toBe(`Connected as ${USERS.viewer.name}, watching only.`);
    expect(await page.locator("[data-console]").getAttribute("data-may-type")).toBe("false");
    expect(await page.locator("[data-buttons] button").count()).toBeGreaterThan(0);
    expect(await page.locator("[data-buttons] button:enabled").count()).toBe(0);
    expect(await page.locator("[data-lease-take], [data-batch], [data-buttons-edit]").count()).toBe(0);
    // Keys typed into the terminal go nowhere.
    await typeLine(page, "AT+CSQ");
    await page.waitForTimeout(500);
    expect(await logged(page, "sent").count()).toBe(0);

    const answer = await page.evaluate(
      (url) =>
        new Promise<string>((resolve, reject) => {
          const socket = new WebSocket(url);
          socket.onmessage = (event) => {
            const m = JSON.parse(String(event.data)) as { type: string; reason?: string };
            if (m.type === "hello") socket.send(JSON.stringify({ type: "line", id: "x1", text: "AT+CFUN=0", confirm: true }));
            if (m.type === "refused") resolve(m.reason!), socket.close();
            if (m.type === "reply") reject(new Error("a viewer's line ran"));
          };
          setTimeout(() => reject(new Error("no answer")), 10_000);
        }),
      `${rig.base.replace("http", "ws")}/console/ws?device=lab&modem=1`,
    );
    expect(answer).toMatch(/viewer/);
    const lines = await rig.service.db.selectFrom("console_lines").select(["command", "outcome"]).where("user_name", "=", USERS.viewer.name).execute();
    expect(lines).toEqual([{ command: "AT+CFUN=0", outcome: "refused" }]);
    await page.context().close();
  }, 90_000);

  it("a lease taken on the page shows to another user live and on the device view, and ends when released", async () => {
    const page = await rig.signIn("operator");
    await openConsole(page, "demo", 2);
    const admin = await rig.signIn("admin");
    await openConsole(admin, "demo", 2);
    expect(await page.locator("[data-lease-state]").textContent()).toBe("Nobody holds this modem.");

    await page.getByLabel("Minutes", { exact: true }).fill("30");
    await page.getByRole("button", { name: "Take for 30 minutes" }).click();
    await expect.poll(() => page.locator("[data-console]").getAttribute("data-lease-holder"), { timeout: 10_000 }).toBe(USERS.operator.name);
    expect(await page.locator("[data-lease-state]").textContent()).toMatch(/^You hold this modem until /);
    await expect.poll(() => admin.locator("[data-lease-state]").textContent(), { timeout: 10_000 }).toMatch(new RegExp(`^Held by ${USERS.operator.name} until `));
    const row = await rig.service.db.selectFrom("console_leases").select(["holder", "expires_at"]).where("device", "=", "demo").where("modem", "=", 2).executeTakeFirstOrThrow();
    expect(row.holder).toBe(USERS.operator.name);
    expect(new Date(row.expires_at).getTime() - Date.now()).toBeGreaterThan(29 * 60_000);

    const grid = await rig.signIn("operator");
    await grid.goto(`${rig.base}/devices/demo`);
    const cell = grid.locator('tr[data-modem="demo#2"] td.lease');
    expect(await cell.getAttribute("data-lease-holder")).toBe(USERS.operator.name);
    expect(await cell.textContent()).toMatch(new RegExp(`^${USERS.operator.name} until \\S`));
    expect(await grid.locator('tr[data-modem="demo#1"] td.lease').textContent()).toBe("–");
    // The card on the modem stays where it is while the lease stands: the bank says whose console
    // holds it, once the driving host's follower has taken the hold (its next round, within 5 s).
    await expect
      .poll(
        async () => {
          await grid.reload();
          return grid.locator("td.held .hold").allTextContents();
        },
        { timeout: 15_000, interval: 500 },
      )
      .toEqual([`held by console of ${USERS.operator.name} (online)`]);
    await rig.screenshot(grid, "console-lease-on-grid");

    await page.getByRole("button", { name: "Release" }).click();
    await expect.poll(() => page.locator("[data-console]").getAttribute("data-lease-holder"), { timeout: 10_000 }).toBe("");
    await expect.poll(() => admin.locator("[data-lease-state]").textContent(), { timeout: 10_000 }).toBe("Nobody holds this modem.");
    await grid.reload();
    expect(await grid.locator('tr[data-modem="demo#2"] td.lease').textContent()).toBe("–");

    // Taken again, and broken by the admin: both pages see it end.
    expect(await admin.getByRole("button", { name: "Break the lease" }).isVisible()).toBe(false);
    await page.getByRole("button", { name: "Take for 30 minutes" }).click();
    await expect.poll(() => admin.getByRole("button", { name: "Break the lease" }).isVisible(), { timeout: 10_000 }).toBe(true);
    await admin.getByRole("button", { name: "Break the lease" }).click();
    await expect.poll(() => page.locator("[data-console]").getAttribute("data-lease-holder"), { timeout: 10_000 }).toBe("");
    expect(await rig.service.db.selectFrom("console_leases").select("holder").where("device", "=", "demo").where(sql<boolean>`expires_at > now()`).execute()).toEqual([]);
    for (const p of [page, admin, grid]) await p.context().close();
  }, 90_000);

  it("a line that needs confirmation asks first: n leaves it, y runs it", async () => {
    const page = await rig.signIn("operator");
    await openConsole(page, "demo", 8);
    await typeLine(page, "AT+COPS=2");
    const asked = logged(page, "confirm");
    await expect.poll(() => asked.count(), { timeout: 10_000 }).toBe(1);
    expect(await asked.textContent()).toMatch(/^\? AT\+COPS=2: .*deregisters.* Press y to run it, n or Esc to leave it\.$/);
    await page.keyboard.press("n");
    await expect.poll(() => logged(page, "info").filter({ hasText: "Not run." }).count()).toBe(1);
    await page.waitForTimeout(300);
    expect(await logged(page, "final").count()).toBe(0);

    await typeLine(page, "AT+COPS=2");
    await expect.poll(() => asked.count(), { timeout: 10_000 }).toBe(2);
    await page.keyboard.press("y");
    await expect.poll(() => logged(page, "final").count(), { timeout: 15_000 }).toBe(1);
    // Registered again, as the service wants it.
    await typeLine(page, "AT+COPS=0");
    await expect.poll(() => logged(page, "final").count(), { timeout: 30_000 }).toBe(2);
    await page.context().close();
  }, 90_000);

  it("after AT+CMGW= the terminal takes the message's body at a > prompt: Esc drops it, Ctrl-Z sends it", async () => {
    const page = await rig.signIn("operator");
    await openConsole(page, "demo", 3);
    await typeLine(page, 'AT+CMGW="+15559001234"');
    await expect.poll(() => page.locator(".xterm-rows").innerText()).toMatch(/Ctrl-Z sends it, Esc or Ctrl-C drops it\.\n> *$/m);
    await page.keyboard.type("never sent");
    await page.keyboard.press("Escape");
    await expect.poll(() => logged(page, "info").filter({ hasText: "Dropped, nothing sent." }).count()).toBe(1);

    await typeLine(page, "AT+CMGW=23");
    await page.keyboard.type("0011000B915155091032F40000AA0AE8329BFD4697D9EC37");
    await page.keyboard.press("Control+z");
    // The body went with the line: the modem answered it (stored, or its error).
    await expect.poll(async () => (await logged(page, "final").count()) + (await logged(page, "failed").count()), { timeout: 15_000 }).toBe(1);
    const recorded = await rig.service.db.selectFrom("console_lines").select("command").where("device", "=", "demo").where("modem", "=", 3).execute();
    expect(recorded.map((r) => r.command)).toEqual(["AT+CMGW=23"]);
    await page.context().close();
  }, 90_000);

  it("the hot buttons run their line, are edited on the page and kept for the user; the transcript downloads as JSON", async () => {
    const page = await rig.signIn("operator");
    await openConsole(page, "demo", 4);
    expect(await page.locator("[data-buttons] button").allTextContents()).toEqual(["AT+CSQ", "AT+CREG?", "AT+COPS?", "AT+CPIN?", "ATI", "AT+CMGL=4"]);
    await page.locator(".buttons-edit summary").click();
    await page.getByLabel("One command a line").fill("AT+CGMI\n\nAT+CPIN?\n");
    await page.getByRole("button", { name: "Save the buttons" }).click();
    await expect.poll(() => page.locator("[data-buttons] button").allTextContents(), { timeout: 10_000 }).toEqual(["AT+CGMI", "AT+CPIN?"]);
    await page.reload();
    await page.waitForSelector("[data-console][data-state=open]");
    expect(await page.locator("[data-buttons] button").allTextContents()).toEqual(["AT+CGMI", "AT+CPIN?"]);

    await page.getByRole("button", { name: "AT+CPIN?" }).click();
    await expect.poll(() => logged(page, "final ok").count(), { timeout: 15_000 }).toBe(1);
    expect(await logged(page, "reply").allTextContents()).toContain("+CPIN: READY");

    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export transcript" }).click()]);
    expect(download.suggestedFilename()).toMatch(/^console-demo-4-.*\.json$/);
    const transcript = JSON.parse(await (await download.createReadStream()).toArray().then((chunks) => Buffer.concat(chunks).toString("utf8"))) as { entries: Array<{ command?: string; reply?: string }> };
    expect(transcript.entries.find((e) => e.command === "AT+CPIN?")?.reply).toContain("+CPIN: READY");
    await page.context().close();
  }, 90_000);

  it("one command to many modems at once: the chosen modems' replies come back as a table", async () => {
    const page = await rig.signIn("operator");
    await openConsole(page, "demo", 5);
    await page.getByLabel("demo #6").check();
    await page.getByLabel("Command", { exact: true }).fill("AT+CSQ");
    await page.getByRole("button", { name: "Send to the chosen modems" }).click();
    const rows = page.locator("[data-batch-results] tbody tr");
    await expect.poll(() => rows.count(), { timeout: 20_000 }).toBe(2);
    expect(await rows.evaluateAll((trs) => trs.map((tr) => [tr.getAttribute("data-modem"), tr.getAttribute("data-ok")]))).toEqual([
      ["demo/5", "true"],
      ["demo/6", "true"],
    ]);
    expect(await rows.first().locator("td").nth(1).textContent()).toBe("OK");
    expect(await rows.first().locator("td.reply-lines").textContent()).toMatch(/^\+CSQ: \d+,\d+$/);
    await rig.screenshot(page, "console-batch");
    // A command the service keeps out of batches comes back with its reason.
    await page.getByLabel("Command", { exact: true }).fill("AT+CMGS=20");
    await page.getByRole("button", { name: "Send to the chosen modems" }).click();
    await expect.poll(() => page.locator("[data-batch-state]").textContent(), { timeout: 10_000 }).toMatch(/^The batch was refused: .*open a console on each modem/);
    await page.context().close();
  }, 90_000);

  it("fits a phone: the side panels go under the terminal and nothing scrolls sideways", async () => {
    const page = await rig.signIn("operator");
    await page.setViewportSize({ width: 390, height: 844 });
    await openConsole(page, "demo", 7);
    expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
    const terminal = await page.locator("[data-terminal]").boundingBox();
    const lease = await page.locator(".console-lease").boundingBox();
    expect(lease!.y).toBeGreaterThan(terminal!.y + terminal!.height);
    // The terminal's rows fit its box (the fit addon measured it with the mirrored styles).
    expect((await page.locator(".xterm-screen").boundingBox())!.width).toBeLessThanOrEqual(terminal!.width);
    await typeLine(page, "ATI");
    await expect.poll(() => logged(page, "final ok").count(), { timeout: 15_000 }).toBe(1);
    await rig.screenshot(page, "console-phone");
    await page.context().close();
  }, 60_000);

  it("a paste of several lines sends each line, in order", async () => {
    const page = await rig.signIn("operator");
    await openConsole(page, "demo", 6);
    await page.locator(".xterm").click();
    // As the browser delivers a paste from the clipboard to the terminal's input.
    await page.evaluate(`{
      const data = new DataTransfer();
      data.setData("text/plain", "AT+CGMI\\nAT+CGMM\\n");
      document.querySelector(".xterm-helper-textarea").dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
    }`);
    await expect.poll(() => logged(page, "final ok").count(), { timeout: 15_000 }).toBe(2);
    expect(await logged(page, "sent").allTextContents()).toEqual(["❯ AT+CGMI", "❯ AT+CGMM"]);
    const recorded = await rig.service.db.selectFrom("console_lines").select("command").where("device", "=", "demo").where("modem", "=", 6).where("command", "like", "AT+CGM%").orderBy("id").execute();
    expect(recorded.map((r) => r.command)).toEqual(["AT+CGMI", "AT+CGMM"]);
    await page.context().close();
  }, 60_000);

  it("every button, link, field and the log of the console page has an accessible name, the terminal's input too", async () => {
    const page = await rig.signIn("operator");
    await openConsole(page, "demo", 7);
    const cdp = await page.context().newCDPSession(page);
    const { nodes } = (await cdp.send("Accessibility.getFullAXTree")) as { nodes: Array<{ ignored: boolean; role?: { value: string }; name?: { value: string } }> };
    await cdp.detach();
    const controls = nodes.filter((n) => !n.ignored && ["button", "link", "textbox", "checkbox", "searchbox", "spinbutton", "log"].includes(n.role?.value ?? ""));
    expect(controls.length).toBeGreaterThan(20);
    expect(controls.filter((n) => !(n.name?.value ?? "").trim()).map((n) => n.role?.value)).toEqual([]);
    expect(controls.filter((n) => n.role?.value === "textbox").map((n) => n.name?.value)).toContain("Terminal input");
    await page.context().close();
  }, 60_000);
});
