import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
  await page.waitForSelector("[data-console][data-state=open]", { timeout: 15_000 });
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
});
