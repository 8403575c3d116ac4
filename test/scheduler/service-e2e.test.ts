import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Effect, Exit, Scope } from "effect";
import type { Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Farm } from "../../hil/farm";
import { ServedFarm } from "../../hil/serve";
import { enqueueSms } from "../../src/jobs/sms-sender";
import { migrate, openStore } from "../../src/store/database";
import type { Database } from "../../src/store/schema";
import { throwawayDatabase } from "../support/postgres";

// The service end to end on the hardware path: a simulated SR-Train (16 modems and its
// controller on PTYs, 64 SIMs in 8 rows) configured as real hardware, PostgreSQL on the
// server. SMS arrive for every card; the scheduler rotates the rows through the modems; the
// service is killed with SIGKILL mid-stream and started again.
const ROOT = join(import.meta.dirname, "..", "..");

let served: ServedFarm;
let database: Awaited<ReturnType<typeof throwawayDatabase>>;
let scope: Scope.CloseableScope;
let db: Kysely<Database>;
let configFile: string;

beforeAll(async () => {
  const farm = new Farm({ banks: [{ id: "train", model: "sr-train", rows: 8 }], seed: 11 });
  served = await ServedFarm.start(farm);
  await farm.settled();
  database = await throwawayDatabase("simgate_e2e");
  scope = Effect.runSync(Scope.make());
  db = await Effect.runPromise(Scope.extend(openStore({ kind: "postgres", url: database.url }), scope));
  // The service migrates too; done here so the test can watch the tables from the start.
  await Effect.runPromise(migrate(db));
  const dir = mkdtempSync(join(tmpdir(), "simgate-e2e-"));
  configFile = join(dir, "simgate.config.json");
  const modems = Array.from({ length: 16 }, (_, i) => served.pathOf(`train-m${String(i + 1).padStart(2, "0")}`));
  writeFileSync(configFile, JSON.stringify({ devices: [{ id: "train", model: "sr-train", rows: 8, modems, bank: served.pathOf("train"), rotateEveryMs: 1000 }] }));
}, 60_000);
afterAll(async () => {
  if (scope) await Effect.runPromise(Scope.close(scope, Exit.void));
  await served?.stop();
  await database?.drop();
});

const startService = () => {
  const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "src/main.ts")], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: database.url, PORT: "0", SIMGATE_CONFIG: configFile },
  });
  let out = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr.on("data", (c: Buffer) => (out += c.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  log = () => out;
  return { child, exited, output: () => out };
};

let log = () => "";
const until = async (probe: () => Promise<boolean>, what: string, timeoutMs = 60_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}\n--- service output:\n${log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};
const count = async (table: "sim_cards" | "sms_in") => Number((await db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow()).n);

describe("the service on a simulated SR-Train over PTYs", () => {
  it("brings every card online in turn, stores every SMS exactly once across a SIGKILL, and resumes pending jobs", async () => {
    const farm = served.farm;
    const bank = farm.banks.get("train")!;
    const cards = bank.layout.positions.map((p) => bank.cardAt(p)!);
    const sent: { iccid: string; text: string }[] = [];
    const wave = (n: number) => {
      for (const [i, card] of cards.entries()) {
        // Every fourth a three-part message.
        const text = i % 4 === 0 ? `wave ${n} card ${i}: ${"a long message that needs three parts. ".repeat(9)}` : `wave ${n} card ${i}: code ${1000 + i}`;
        farm.network.sendSms({ to: card.number, from: "+15557000000", text });
        sent.push({ iccid: card.iccid, text });
      }
    };

    let service = startService();
    try {
      await until(async () => (await count("sim_cards")) === 64, "the scan never recorded all 64 cards");
      wave(1);
      await until(async () => (await count("sms_in")) >= 20, "nothing stored after wave 1");
      wave(2);
      service.child.kill("SIGKILL");
      await service.exited;
    } finally {
      service.child.kill("SIGKILL");
    }
    // While it is down: more messages, and jobs for cards of every row.
    wave(3);
    const jobs = [0, 9, 18, 27, 36, 45, 54, 63].map((i) => ({ card: cards[i]!, text: `job for card ${i}` }));
    for (const j of jobs) await Effect.runPromise(enqueueSms(db, { iccid: j.card.iccid, to: "+15559001000", text: j.text }));

    service = startService();
    try {
      await until(async () => (await count("sms_in")) >= sent.length, `only some SMS stored`, 120_000).catch(async (error: Error) => {
        // What was missing, and where the scheduler last saw each card: for the failure report.
        const stored = new Set((await db.selectFrom("sms_in").select(["iccid", "text"]).execute()).map((r) => `${r.iccid} ${r.text}`));
        const missing = sent.filter((s) => !stored.has(`${s.iccid} ${s.text}`));
        const seen = await db.selectFrom("sim_cards").select(["place", "iccid", "last_seen_at"]).orderBy("last_seen_at").execute();
        const onSims = cards.map((c) => `${c.iccid}:${c.storage.used}/${farm.network.pendingFor(c)}`).filter((x) => !x.endsWith(":0/0"));
        const byText = await db.selectFrom("sms_in").select(["iccid", "text"]).where("text", "in", missing.map((m) => m.text)).execute();
        const parts = await db.selectFrom("sms_parts").select(["iccid", "text", "seq", "concat_ref"]).where("message_id", "is", null).execute();
        const elsewhere = `${byText.map((r) => `${r.text.slice(0, 18)} under ${r.iccid}`).join("; ")} | unassembled parts: ${parts.map((p) => `${p.iccid} ref ${p.concat_ref} #${p.seq} ${p.text.slice(0, 16)}`).join("; ")}`;
        throw new Error(`${error.message}\nmissing ${missing.length}: ${missing.slice(0, 10).map((m) => `${m.iccid} ${m.text.slice(0, 20)}`).join("; ")}\nstored elsewhere: ${elsewhere}\nleft on SIMs (stored/at SMSC): ${onSims.join(" ")}\nlast seen: ${seen.map((r) => `${r.place}@${r.last_seen_at?.toISOString().slice(11, 19)}`).join(" ")}`);
      });
      await until(
        async () => (await db.selectFrom("sms_out").select("state").execute()).every((r) => r.state === "sent" || r.state === "delivered"),
        "pending jobs never all sent",
        60_000,
      );
      const stored = await db.selectFrom("sms_in").select(["iccid", "text", "missing"]).execute();
      expect(stored).toHaveLength(sent.length);
      expect(stored.map((s) => `${s.iccid} ${s.text}`).sort()).toEqual(sent.map((s) => `${s.iccid} ${s.text}`).sort());
      expect(stored.every((s) => s.missing.length === 0)).toBe(true);
      for (const j of jobs) expect(farm.network.submitted.filter((s) => s.text === j.text).map((s) => s.from)).toEqual([j.card.number]);
    } finally {
      service.child.kill("SIGTERM");
      await service.exited;
    }
  }, 300_000);
});
