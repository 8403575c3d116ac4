import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { extractedCode } from "../../src/api/srnav/format";
import { runCardJobs } from "../../src/jobs/card-jobs";
import { recordCalls } from "../../src/jobs/calls-and-ussd";
import { runSmsSender } from "../../src/jobs/sms-sender";
import { cardSwitcher } from "../../src/scheduler/card-switcher";
import { startRig, USERS, type Rig, type Who } from "./panel-rig";

// The Online page in headless Chromium over the simulated farm, with the service's job
// workers running: cards brought online through the scheduler, a code arriving live and
// copied, an SMS sent and delivered, a USSD menu walked in place; and over HTTP, a viewer
// who sees the page and whose every change is refused.
let rig: Rig;
beforeAll(async () => {
  rig = await startRig("simgate_panel_online");
  const { db, registry, scheduler } = rig.service;
  const switcher = cardSwitcher(db, scheduler);
  await rig.service.extend(recordCalls(db, registry));
  await rig.service.extend(runSmsSender(db, registry, { pollMs: 50, retryBaseMs: 100, switcher }));
  await rig.service.extend(runCardJobs(db, registry, { pollMs: 50, retryBaseMs: 100, switcher }));
}, 120_000);
afterAll(async () => rig?.close(), 60_000);

const network = () => rig.service.registry.farm!.network;

/** The cards of a device, as the scan recorded them, in ICCID order. */
const cardsOf = (device: string) =>
  rig.service.db
    .selectFrom("sim_cards")
    .innerJoin("devices", "devices.id", "sim_cards.device_id")
    .select(["sim_cards.id", "sim_cards.iccid", "sim_cards.place"])
    .where("devices.key", "=", device)
    .orderBy("sim_cards.iccid")
    .execute();

const holdOf = (device: string, place: string) => rig.service.scheduler.place(device, place)?.hold ?? null;

/** Brings a card online from the page: find it, tick it, submit; waits until it is in a modem. */
const bringOnline = async (page: Page, card: { id: number; iccid: string; place: string | null }) => {
  await page.goto(`${rig.base}/online?show=mine`);
  await page.getByRole("searchbox", { name: "Find cards" }).fill(card.iccid);
  await Promise.all([page.waitForEvent("load"), page.keyboard.press("Enter")]);
  await page.locator(`input[name="c${card.id}"]`).check();
  await Promise.all([page.waitForEvent("load"), page.getByRole("button", { name: "Bring the chosen cards online" }).click()]);
  expect(await page.getByRole("status").filter({ hasText: "Cards brought online: 1." }).count()).toBe(1);
  await expect.poll(() => holdOf("demo", card.place!)?.state, { timeout: 30_000 }).toBe("online");
  // The page follows the switch live: the card's row says online.
  await expect.poll(() => page.locator(`#live tr[data-card="${card.id}"]`).getAttribute("data-hold"), { timeout: 15_000 }).toBe("online");
  await page.waitForSelector("body[data-stream=open]");
};

/** Opens the tools of a card. */
const toolsOf = async (page: Page, card: { id: number }) => {
  const details = page.locator(`#work-${card.id}`);
  // What the page showed instead, should the card's tools not be there.
  const missing = await details.waitFor({ timeout: 15_000 }).then(
    () => null,
    async () => `${page.url()}: ${(await page.locator("main").textContent())?.replace(/\s+/g, " ").slice(0, 800)}`,
  );
  expect(missing).toBeNull();
  if ((await details.getAttribute("open")) === null) await details.locator("summary").click();
  return details;
};

describe("the Online page", () => {
  it("a code sent to a simulated SIM appears on the Online page without a reload and its OTP copy button copies it", async () => {
    const page = await rig.signIn("operator");
    await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: rig.base });
    const [, card] = await cardsOf("demo");
    await bringOnline(page, card!);
    expect(await rig.service.db.selectFrom("holds").select(["holder", "position"]).where("device", "=", "demo").execute()).toContainEqual({ holder: `user:${await userId("operator")}`, position: card!.place });
    await rig.screenshot(page, "online");

    // A mark on the window: it survives only if the page is not loaded again.
    await page.evaluate(`window.stillTheSamePage = true`);
    const number = network().sims.get(card!.iccid)!.number;
    network().sendSms({ to: number, from: "MyBank", text: "MyBank: your login code is 482913. Do not share it." });
    const item = page.locator(`#live li[data-kind="sms-in"][data-iccid="${card!.iccid}"]`);
    await expect.poll(() => item.count(), { timeout: 20_000 }).toBe(1);
    expect(await item.locator("mark.otp").textContent()).toBe("482913");
    expect(await item.locator(".text mark").textContent()).toBe("482913");
    expect(await item.locator(".text").textContent()).toBe("MyBank: your login code is 482913. Do not share it.");
    expect(await page.evaluate(`window.stillTheSamePage === true`)).toBe(true);
    // The new message counted as an alert on this page (sound and notification are opt-in).
    await expect.poll(() => page.locator("body").getAttribute("data-alerts"), { timeout: 20_000 }).toBe("1");

    await item.getByRole("button", { name: "Copy the code 482913" }).click();
    await expect.poll(() => item.locator("button.copy").textContent(), { timeout: 5_000 }).toBe("Copied");
    expect(await page.evaluate(`navigator.clipboard.readText()`)).toBe("482913");
    await rig.screenshot(page, "online-code");
    await page.context().close();
  }, 120_000);

  it("an SMS sent from the page is delivered: the simulated network receives it and the outbox shows delivered", async () => {
    const page = await rig.signIn("operator");
    const [, card] = await cardsOf("demo");
    await page.goto(`${rig.base}/online?show=mine`);
    await page.waitForSelector("body[data-stream=open]");
    const tools = await toolsOf(page, card!);
    const text = `Meet at the gate at ${Date.now() % 10_000}`;
    await tools.getByLabel("To (phone number)").fill("+15559007788");
    await tools.getByLabel("Text").fill(text);
    expect(await tools.getByLabel("Ask for a delivery report").isChecked()).toBe(true);
    await Promise.all([page.waitForEvent("load"), tools.getByRole("button", { name: "Send SMS" }).click()]);
    expect(await page.getByRole("status").filter({ hasText: "The SMS is queued" }).count()).toBe(1);

    const submitted = () => network().submitted.find((s) => s.text === text);
    await expect.poll(submitted, { timeout: 30_000 }).toBeDefined();
    expect(submitted()).toMatchObject({ fromIccid: card!.iccid, to: "+15559007788", statusReport: true });
    const out = page.locator(`#live li[data-kind="sms-out"][data-iccid="${card!.iccid}"]`).filter({ hasText: text });
    await expect.poll(() => out.getAttribute("data-state"), { timeout: 30_000 }).toBe("delivered");
    expect(await out.locator(".out-state").textContent()).toBe("delivered");
    const row = await rig.service.db.selectFrom("sms_out").select(["state", "addressee"]).where("text", "=", text).executeTakeFirstOrThrow();
    expect(row).toEqual({ state: "delivered", addressee: "+15559007788" });
    const audit = await rig.service.db.selectFrom("audit_log").select(["user_name", "iccid"]).where("action", "=", "online.sms").execute();
    expect(audit).toEqual([{ user_name: USERS.operator.name, iccid: card!.iccid }]);
    await page.context().close();
  }, 120_000);

  it("a two-step USSD menu completed in place", async () => {
    const page = await rig.signIn("operator");
    const [, card] = await cardsOf("demo");
    await page.goto(`${rig.base}/online?show=mine`);
    await page.evaluate(`window.stillTheSamePage = true`);
    const tools = await toolsOf(page, card!);
    const box = tools.locator("form[data-ussd]");
    const log = box.locator("[data-ussd-log] li.got");

    await box.getByLabel("USSD code").fill("*123#");
    await box.getByRole("button", { name: "Run" }).click();
    await expect.poll(() => log.count(), { timeout: 30_000 }).toBe(1);
    expect(await log.nth(0).textContent()).toBe("Main menu\n1. Balance\n2. Tariffs\n0. Exit");
    expect(await box.getAttribute("data-session")).toBe("open");
    // The same box now takes the answer to the network's prompt.
    await box.getByLabel("Your answer to the network").fill("2");
    await box.getByRole("button", { name: "Send answer" }).click();
    await expect.poll(() => log.count(), { timeout: 30_000 }).toBe(2);
    expect(await log.nth(1).textContent()).toBe("Tariffs\n1. Basic\n2. Unlimited\n0. Back");
    expect(await box.getAttribute("data-session")).toBe("open");
    await box.getByLabel("Your answer to the network").fill("1");
    await box.getByRole("button", { name: "Send answer" }).click();
    await expect.poll(() => log.count(), { timeout: 30_000 }).toBe(3);
    expect(await log.nth(2).textContent()).toBe("Basic: 1.00 per SMS");
    // The menu ended: the box asks for a code again, and it all happened on one page.
    expect(await box.getAttribute("data-session")).toBe("closed");
    expect(await box.getByLabel("USSD code").isVisible()).toBe(true);
    expect(await page.evaluate(`window.stillTheSamePage === true`)).toBe(true);
    expect(await box.locator("[data-ussd-log] li.sent").allTextContents()).toEqual(["*123#", "2", "1"]);
    await rig.screenshot(page, "online-ussd");

    const rows = await rig.service.db.selectFrom("ussd").select(["request", "status"]).where("iccid", "=", card!.iccid).orderBy("id").execute();
    expect(rows).toEqual([
      { request: "*123#", status: "more" },
      { request: "2", status: "more" },
      { request: "1", status: "done" },
    ]);
    await page.context().close();
  }, 120_000);

  it("an incoming call rings on the page with a sound and a desktop notification once opted in; it is answered and hung up from the page, and a call dialled", async () => {
    const page = await rig.signIn("operator");
    await page.context().grantPermissions(["notifications"], { origin: rig.base });
    // What the page asks of the browser is counted: each notification it shows, each tone it makes.
    await page.addInitScript(`
      window.shown = [];
      window.tones = 0;
      const Real = window.Notification;
      window.Notification = class { constructor(title, options) { window.shown.push({ title, body: options && options.body }); } static get permission() { return Real.permission; } static requestPermission() { return Real.requestPermission(); } };
      const make = AudioContext.prototype.createOscillator;
      AudioContext.prototype.createOscillator = function () { window.tones++; return make.call(this); };
    `);
    const [, card] = await cardsOf("demo");
    await page.goto(`${rig.base}/online?show=mine`);
    await page.waitForSelector("body[data-stream=open]");
    expect(await page.locator("#online-notify").textContent()).toBe("Desktop notifications are on");
    await page.getByLabel("Sound on a new SMS or call").check();

    const number = network().sims.get(card!.iccid)!.number;
    const ringing = network().callSim({ to: number, from: "+15553332222", ringForMs: 30_000 });
    const call = page.locator(`#live li[data-kind="call"][data-iccid="${card!.iccid}"]`).filter({ hasText: "+15553332222" });
    await expect.poll(() => call.getAttribute("data-state"), { timeout: 20_000 }).toBe("ringing");
    await expect.poll(() => page.evaluate(`window.shown`), { timeout: 20_000 }).toEqual([{ title: `Incoming call · ${number}`, body: "+15553332222" }]);
    expect(await page.evaluate(`window.tones`)).toBe(2);

    let tools = await toolsOf(page, card!);
    await Promise.all([page.waitForEvent("load"), tools.getByRole("button", { name: "Answer" }).click()]);
    expect(await page.getByRole("status").filter({ hasText: "The call is answered." }).count()).toBe(1);
    expect(ringing.state).toBe("active");
    tools = await toolsOf(page, card!);
    await Promise.all([page.waitForEvent("load"), tools.getByRole("button", { name: "Hang up" }).click()]);
    expect(ringing.state).toBe("ended");
    await expect.poll(() => call.getAttribute("data-state"), { timeout: 20_000 }).toBe("ended");

    tools = await toolsOf(page, card!);
    await tools.getByLabel("Number to call").fill("+15554440001");
    await Promise.all([page.waitForEvent("load"), tools.getByRole("button", { name: "Dial" }).click()]);
    expect(await page.getByRole("status").filter({ hasText: "The call is being dialled." }).count()).toBe(1);
    const dialled = () => network().calls.find((c) => c.to === "+15554440001");
    await expect.poll(() => dialled()?.from, { timeout: 20_000 }).toBe(number);
    await expect.poll(() => page.locator(`#live li[data-kind="call"][data-iccid="${card!.iccid}"]`).filter({ hasText: "+15554440001" }).count(), { timeout: 20_000 }).toBe(1);
    tools = await toolsOf(page, card!);
    await Promise.all([page.waitForEvent("load"), tools.getByRole("button", { name: "Hang up" }).click()]);
    await expect.poll(() => dialled()?.state, { timeout: 10_000 }).toBe("ended");
    expect((await rig.service.db.selectFrom("audit_log").select("action").where("action", "in", ["online.answer", "online.hangup", "online.dial"]).orderBy("id").execute()).map((a) => a.action)).toEqual([
      "online.answer",
      "online.hangup",
      "online.dial",
      "online.hangup",
    ]);
    await page.context().close();
  }, 120_000);

  it("every control has an accessible name, and the page fits a phone without sideways scrolling", async () => {
    const page = await rig.signIn("operator");
    const [, card] = await cardsOf("demo");
    await page.goto(`${rig.base}/online?show=mine&q=${card!.iccid.slice(0, 12)}&card=${card!.id}`);
    await page.waitForSelector("body[data-stream=open]");
    expect(await page.locator(`#work-${card!.id}`).getAttribute("open")).not.toBeNull();
    expect(await page.locator(".pick-list li").count()).toBeGreaterThan(0);
    const cdp = await page.context().newCDPSession(page);
    const { nodes } = (await cdp.send("Accessibility.getFullAXTree")) as { nodes: Array<{ ignored: boolean; role?: { value: string }; name?: { value: string } }> };
    await cdp.detach();
    const controls = nodes.filter((n) => !n.ignored && ["button", "link", "textbox", "combobox", "checkbox", "searchbox", "listbox"].includes(n.role?.value ?? ""));
    expect(controls.length).toBeGreaterThan(15);
    expect(controls.filter((n) => !(n.name?.value ?? "").trim()).map((n) => n.role?.value)).toEqual([]);
    for (const width of [390, 1280]) {
      await page.setViewportSize({ width, height: 900 });
      const widths = (await page.evaluate(`[document.documentElement.scrollWidth, document.documentElement.clientWidth]`)) as [number, number];
      expect([width, widths[0] <= widths[1]]).toEqual([width, true]);
    }
    await rig.screenshot(page, "online-phone");
    await page.context().close();
  }, 120_000);
});

// ---- over HTTP ----------------------------------------------------------------------------

const userId = async (who: Who) => (await rig.service.db.selectFrom("api_users").select("id").where("name", "=", USERS[who].name).executeTakeFirstOrThrow()).id;

const sessions = new Map<Who, { cookie: string; csrf: string }>();
const session = async (who: Who) => {
  if (sessions.has(who)) return sessions.get(who)!;
  const form = await fetch(`${rig.base}/login`);
  const loginCookie = form.headers.get("set-cookie")!.split(";")[0]!;
  const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())![1]!;
  const answer = await fetch(`${rig.base}/login`, {
    method: "POST",
    redirect: "manual",
    headers: { cookie: loginCookie, origin: rig.base, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ user: USERS[who].name, password: USERS[who].password, csrf }).toString(),
  });
  const cookie = answer.headers.getSetCookie().find((c) => c.startsWith("simgate_session="))!.split(";")[0]!;
  const page = await (await fetch(`${rig.base}/settings`, { headers: { cookie } })).text();
  const s = { cookie, csrf: /name="csrf" value="([^"]+)"/.exec(page)![1]! };
  sessions.set(who, s);
  return s;
};
const get = async (who: Who, path: string, headers: Record<string, string> = {}) => {
  const res = await fetch(`${rig.base}${path}`, { headers: { cookie: (await session(who)).cookie, ...headers } });
  return { status: res.status, text: await res.text() };
};
const post = async (who: Who, path: string, fields: Record<string, string>, opts: { csrf?: boolean; json?: boolean } = {}) => {
  const s = await session(who);
  const res = await fetch(`${rig.base}${path}`, {
    method: "POST",
    redirect: "manual",
    headers: { cookie: s.cookie, origin: rig.base, "content-type": "application/x-www-form-urlencoded", ...(opts.json ? { accept: "application/json" } : {}) },
    body: new URLSearchParams({ ...fields, ...(opts.csrf === false ? {} : { csrf: s.csrf }) }).toString(),
  });
  return { status: res.status, location: res.headers.get("location"), text: await res.text() };
};

/** Everything a change on this page could write. */
const footprint = async () => {
  const db = rig.service.db;
  const count = async (table: "holds" | "sms_out" | "ussd" | "jobs" | "audit_log") => Number((await db.selectFrom(table).select(db.fn.countAll().as("n")).executeTakeFirstOrThrow()).n);
  return { holds: await count("holds"), sms: await count("sms_out"), ussd: await count("ussd"), jobs: await count("jobs"), audit: await count("audit_log") };
};

describe("the Online page over HTTP", () => {
  it("a viewer sees the page, with the cards in modems of their devices and no form, and every change is refused", async () => {
    const page = await get("viewer", "/online");
    expect(page.status).toBe(200);
    expect(page.text).toContain("<h1>Online</h1>");
    const lab = await cardsOf("lab");
    const inModems = lab.filter((c) => [...rig.service.scheduler.positions("lab").values()].includes(c.place!));
    expect(inModems.length).toBeGreaterThan(0);
    for (const c of inModems) expect(page.text).toContain(`data-iccid="${c.iccid}"`);
    expect(page.text).not.toMatch(/<form method="post" action="\/online/);
    expect(page.text).not.toContain("Bring cards online");

    const [card] = lab;
    const before = await footprint();
    const attempts: Array<[string, Record<string, string>]> = [
      ["/online/bring", { [`c${card!.id}`]: "1" }],
      ["/online/release", { card: String(card!.id) }],
      ["/online/sms", { card: String(card!.id), to: "+15559001111", text: "hello" }],
      ["/online/ussd", { card: String(card!.id), code: "*100#" }],
      ["/online/dial", { card: String(card!.id), number: "+15559001111" }],
      ["/online/answer", { card: String(card!.id) }],
      ["/online/hangup", { card: String(card!.id) }],
      ["/online/clear", { card: String(card!.id) }],
    ];
    for (const [path, fields] of attempts) {
      const answer = await post("viewer", path, fields);
      expect([path, answer.status]).toEqual([path, 403]);
      expect(answer.text).toContain("Your role (viewer) may not do this.");
    }
    expect((await post("viewer", "/online/ussd", { card: String(card!.id), code: "*100#" }, { json: true })).status).toBe(403);
    expect(await footprint()).toEqual(before);
  }, 60_000);

  it("bad input is refused with its reason and changes nothing; another's card is not found; a stale form is refused", async () => {
    const [, card] = await cardsOf("demo");
    const [labCard] = await cardsOf("lab");
    await post("operator", "/online/bring", { [`c${card!.id}`]: "1" });
    const before = await footprint();
    const badNumber = await post("operator", "/online/sms", { card: String(card!.id), to: "call me", text: "x" });
    expect(badNumber.status).toBe(400);
    expect(badNumber.text).toContain("Refused: addressee: must be a phone number");
    // The form comes back open, with what was typed.
    expect(badNumber.text).toContain(`<details class="card-work" id="work-${card!.id}" data-card="${card!.id}" open>`);
    expect(badNumber.text).toContain(`name="to" required maxlength="32" inputmode="tel" autocomplete="off" value="call me">`);
    const noText = await post("operator", "/online/sms", { card: String(card!.id), to: "+15559001111", text: "" });
    expect([noText.status, noText.text.includes("Refused: msg: is required")]).toEqual([400, true]);
    const badCode = await post("operator", "/online/ussd", { card: String(card!.id), code: "*100#; AT+CFUN=0" }, { json: true });
    expect([badCode.status, JSON.parse(badCode.text)]).toEqual([400, { error: "Refused: code: must be a USSD code or a session answer (digits, *, #, +)" }]);
    const badDial = await post("operator", "/online/dial", { card: String(card!.id), number: "12" });
    expect(badDial.status).toBe(400);
    const nothing = await post("operator", "/online/bring", {});
    expect([nothing.status, nothing.text.includes("Refused: choose at least one card")]).toEqual([400, true]);
    expect((await post("operator", "/online/sms", { card: String(labCard!.id), to: "+15559001111", text: "x" })).status).toBe(404);
    expect((await post("operator", "/online/sms", { card: "x1", to: "+15559001111", text: "x" })).status).toBe(404);
    expect((await post("operator", "/online/nowhere", { card: String(card!.id) })).status).toBe(404);
    expect((await post("operator", "/online/sms", { card: String(card!.id), to: "+15559001111", text: "x" }, { csrf: false })).status).toBe(403);
    // Only the refusals of cards the operator has were audited; nothing else was written.
    const after = await footprint();
    expect({ ...after, audit: 0 }).toEqual({ ...before, audit: 0 });
    expect((await get("operator", `/online/ussd/999999`)).status).toBe(404);
  }, 60_000);

  it("the search for cards to bring online shows 25 and says how many more match", async () => {
    const all = await rig.service.db.selectFrom("sim_cards").select("iccid").where("iccid", "like", "89%").execute();
    expect(all.length).toBeGreaterThan(25);
    const page = (await get("admin", "/online?show=mine&q=89")).text;
    expect([...page.matchAll(/<input type="checkbox" name="c\d+" value="1">/g)]).toHaveLength(25);
    expect(page).toContain(`${all.length - 25} more match; narrow the search to see them.`);
    const none = (await get("admin", "/online?show=mine&q=no-such-card")).text;
    expect(none).toContain("No other card of yours matches.");
  }, 60_000);

  it("finds the code in an SMS as the SR-Navigator extraction does, without cutting a longer number down", () => {
    expect(extractedCode("Your code is 482913. Valid 10 min")).toBe("482913");
    expect(extractedCode("PIN 1234 for card ending 98765")).toBe("1234");
    expect(extractedCode("Call +15551234567 for help")).toBeNull();
    expect(extractedCode("G-55021 is your Google verification code")).toBe("55021");
    expect(extractedCode("no digits here")).toBeNull();
  });

  it("without the script: a USSD code posted comes back to its card's box with the network's answer; answering when nothing rings is refused with the modem's reason", async () => {
    const [, card] = await cardsOf("demo");
    // Brought online (again: a card the operator holds already stays theirs).
    expect((await post("operator", "/online/bring", { [`c${card!.id}`]: "1" })).location).toBe("/online?brought=1");
    const asked = await post("operator", "/online/ussd", { card: String(card!.id), code: "*100#", back: "show=mine" });
    expect(asked.status).toBe(303);
    const back = new URL(asked.location!, rig.base);
    expect(back.hash).toBe(`#work-${card!.id}`);
    const id = Number(back.searchParams.get("ussd"));
    const row = () => rig.service.db.selectFrom("ussd").select(["state", "reply"]).where("id", "=", id).executeTakeFirstOrThrow();
    await expect.poll(async () => (await row()).state, { timeout: 30_000 }).toBe("done");
    const page = (await get("operator", `${back.pathname}${back.search}`)).text;
    expect(page).toContain(`<details class="card-work" id="work-${card!.id}" data-card="${card!.id}" open>`);
    expect(page).toContain(`<li class="sent">*100#</li><li class="got" data-status="done">${(await row()).reply}</li>`);
    expect((await row()).reply).toMatch(/^Balance: /);
    const answered = await post("operator", "/online/answer", { card: String(card!.id) });
    expect(answered.status).toBe(502);
    expect(answered.text).toContain("Refused: ");
  }, 60_000);

  it("clearing a SIM's storage sweeps the card's modem; a card in no modem is refused", async () => {
    const [, card] = await cardsOf("demo");
    const cleared = await post("operator", "/online/clear", { card: String(card!.id), back: "show=mine" });
    expect([cleared.status, cleared.location]).toEqual([303, `/online?show=mine&card=${card!.id}&done=clear#work-${card!.id}`]);
    expect((await get("operator", cleared.location!.replace(/#.*$/, ""))).text).toContain("The SIM&#39;s storage is cleared");
    const away = (await cardsOf("demo")).find((c) => rig.service.scheduler.place("demo", c.place!)?.modem === null)!;
    const refused = await post("operator", "/online/clear", { card: String(away.id) });
    expect([refused.status, refused.text.includes("Refused: the card is in no working modem now")]).toEqual([409, true]);
    const audit = await rig.service.db.selectFrom("audit_log").select(["iccid", "detail"]).where("action", "=", "online.clear").orderBy("id").execute();
    expect(audit.map((a) => a.iccid)).toEqual([card!.iccid]);
  }, 60_000);

  it("bringing more cards online than the bank has modems for is refused per card, within the channel limit", async () => {
    const admin = await userId("admin");
    const demo = await cardsOf("demo");
    const modems = rig.service.registry.devices.find((d) => d.config.id === "demo")!.modems.length;
    // More cards than the bank has modems: some must share a modem, and a modem takes one card at a time.
    const wanted = demo.slice(2, 2 + modems + 2);
    const answer = await post("admin", "/online/bring", Object.fromEntries(wanted.map((c) => [`c${c.id}`, "1"])));
    expect(answer.status).toBe(303);
    const back = new URL(answer.location!, rig.base).searchParams;
    const brought = Number(back.get("brought"));
    expect(brought + back.getAll("refused").length).toBe(wanted.length);
    expect(back.getAll("refused").length).toBeGreaterThan(0);
    const held = await rig.service.db.selectFrom("holds").select("position").where("holder", "=", `user:${admin}`).execute();
    expect(held).toHaveLength(brought);
    const page = await get("admin", `/online?${back}`);
    expect(page.text).toContain(`Cards brought online: ${brought}.`);
    expect(page.text).toMatch(/Refused: \d+: card \d+ cannot be online with the cards already selected/);
    // Let them all go again.
    for (const c of wanted) await post("admin", "/online/release", { card: String(c.id) });
    expect(await rig.service.db.selectFrom("holds").select("position").where("holder", "=", `user:${admin}`).execute()).toEqual([]);
  }, 60_000);
});
