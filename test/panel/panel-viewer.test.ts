import { createHash } from "node:crypto";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createPool } from "../../src/pools/pools";
import { NAV } from "../../src/panel/layout";
import { startRig, type Rig } from "./panel-rig";

// A viewer walks every page of the panel in a real browser: each one opens, offers no form
// that changes anything, and every change posted anyway (with the viewer's own valid token,
// from the panel's own origin) is refused by the server, leaving the database as it was.
vi.setConfig({ testTimeout: 180_000, hookTimeout: 120_000 });

let rig: Rig;
beforeAll(async () => {
  rig = await startRig("simgate_panel_viewer");
  await createPool(rig.service.db, "Checkout", {});
});
afterAll(() => rig?.close());

/** What must not change: the rows a panel action could write, hashed table by table. */
const snapshot = async () => {
  const tables = ["sim_cards", "pools", "pool_cards", "holds", "jobs", "sms_in", "sms_out", "ussd", "calls", "api_users", "settings", "operators", "outbox"];
  const out: Record<string, string> = {};
  for (const table of tables) {
    const rows = await sql<{ row: string }>`select t::text as row from ${sql.table(table)} t order by 1`.execute(rig.service.db);
    out[table] = createHash("sha256").update(rows.rows.map((r) => r.row).join("\n")).digest("hex");
  }
  return out;
};

/** Forms a viewer may post: signing out and their own language. */
const ALLOWED = new Set(["/logout", "/logout-all", "/settings/language"]);

describe("a viewer in the panel", () => {
  it("sees every page and changes nothing", async () => {
    const db = rig.service.db;
    const card = await db.selectFrom("sim_cards").innerJoin("devices", "devices.id", "sim_cards.device_id").select(["sim_cards.id", "sim_cards.iccid"]).where("devices.key", "=", "lab").executeTakeFirstOrThrow();
    const pool = await db.selectFrom("pools").select("id").where("title", "=", "Checkout").executeTakeFirstOrThrow();
    const page = await rig.signIn("viewer");
    const pages = [...NAV.map((n) => n.path), "/devices/lab", `/cards/${card.id}`, `/pools/${pool.id}`, "/messages?tab=out", "/messages?tab=ussd", "/messages?tab=calls", "/messages?tab=unattributed"];
    for (const path of pages) {
      const answer = await page.goto(`${rig.base}${path}`);
      expect([path, answer?.status()]).toEqual([path, 200]);
      expect(await page.locator("main h1").count(), path).toBeGreaterThan(0);
      const posting = await page.locator("form").evaluateAll((forms) =>
        (forms as unknown as Array<{ method: string; action: string }>).filter((f) => f.method.toLowerCase() === "post").map((f) => new URL(f.action).pathname),
      );
      expect(posting.filter((action) => !ALLOWED.has(action)), path).toEqual([]);
    }

    const before = await snapshot();
    await page.goto(`${rig.base}/settings`);
    const csrf = await page.locator("input[name=csrf]").first().getAttribute("value");
    const changes: Array<[string, Record<string, string>]> = [
      ["/devices/lab/switch", { position: "B2" }],
      ["/devices/lab/rescan", {}],
      ["/devices/lab/modems/1/reset", {}],
      [`/cards/${card.id}/edit`, { name: "renamed", comment: "", number: "" }],
      ["/cards/bulk", { action: "forget", ids: String(card.id) }],
      ["/cards/import", { csv: `iccid,name\n${card.iccid},imported` }],
      ["/online/bring", { cards: String(card.id) }],
      ["/online/sms", { card: String(card.id), to: "+15550001234", text: "hello" }],
      ["/online/ussd", { card: String(card.id), code: "*100#" }],
      ["/online/dial", { card: String(card.id), number: "+15550001234" }],
      ["/online/clear", { card: String(card.id) }],
      ["/messages/delete", { kind: "in", ids: "1" }],
      ["/pools/create", { title: "mine", filter: "all" }],
      [`/pools/${pool.id}/rename`, { title: "renamed" }],
      [`/pools/${pool.id}/key`, {}],
      [`/pools/${pool.id}/restart`, {}],
      ["/settings/key", {}],
      ["/settings/notify", { url: "http://127.0.0.1:9/", format: "json" }],
      ["/settings/notify/test", {}],
      ["/settings/telegram", { token: "1:x", chat: "1" }],
      ["/settings/retention", { smsDays: "1" }],
      ["/settings/users/add", { name: "mallory", role: "admin" }],
      ["/settings/users/role", { name: "vera", role: "admin" }],
    ];
    for (const [path, fields] of changes) {
      const body = new URLSearchParams({ ...fields, csrf: csrf! }).toString();
      const status = (await page.evaluate(
        ([p, b]) => fetch(p, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: b, redirect: "manual" }).then((r) => r.status),
        [path, body] as const,
      )) as number;
      expect([path, status]).toEqual([path, 403]);
    }
    expect(await snapshot()).toEqual(before);
    await rig.screenshot(page, "viewer-settings");
    await page.context().close();
  });
});
