import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "@effect/vitest";
import { afterAll, beforeAll } from "vitest";
import { Effect } from "effect";
import { throwawayDatabase } from "../support/postgres";
import { decodeSmsPdu } from "../../protocol/sms/decode";
import { makeAtPort } from "../../drivers/at/at-port";
import { makeModemActor } from "../../drivers/modem/modem-actor";
import { openSerial } from "../../drivers/transport/serial";
import { migrate, openStore } from "../../src/store/database";
import { makeStoreSink } from "../../src/store/sms-sink";
import { Farm } from "../../hil/farm";
import { ServedFarm } from "../../hil/serve";
import { MIGRATIONS } from "../../src/store/migrations";

/** Every migration this code knows, in the order they are applied. */
const ALL_MIGRATIONS = Object.keys(MIGRATIONS).sort().join(", ");

// A modem actor writing into PostgreSQL: what is deleted from the SIM is in the database,
// and a part an earlier run stored without deleting is not stored twice.
let database: Awaited<ReturnType<typeof throwawayDatabase>>;
let URL: string;
const ROOT = join(import.meta.dirname, "..", "..");
let served: ServedFarm;

beforeAll(async () => {
  database = await throwawayDatabase("simgate_e2e");
  URL = database.url;
  const farm = new Farm({ modems: [{ id: "m" }] });
  served = await ServedFarm.start(farm);
  await farm.settled();
});
afterAll(async () => {
  await served?.stop();
  await database?.drop();
});

describe("SMS from a simulated modem into PostgreSQL", () => {
  it("simgate migrate applies the migrations to DATABASE_URL, then finds nothing to do", () => {
    const run = () => spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "src/cli/main.ts"), "migrate"], { cwd: ROOT, encoding: "utf8", env: { ...process.env, DATABASE_URL: URL }, timeout: 60_000 });
    const first = run();
    expect([first.status, first.stdout.trim()]).toEqual([0, `${URL}: applied ${ALL_MIGRATIONS}`]);
    expect(run().stdout.trim()).toBe(`${URL}: up to date`);
    const embedded = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "src/cli/main.ts"), "migrate"], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, DATABASE_URL: "", SIMGATE_DATA_DIR: mkdtempSync(join(tmpdir(), "simgate-data-")) },
      // Creating an embedded database and its extensions takes a while on a loaded machine.
      timeout: 180_000,
    });
    expect(embedded.stdout).toMatch(/embedded database in /);
    expect(embedded.stdout).toContain(`: applied ${ALL_MIGRATIONS}`);
    const bad = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "src/cli/main.ts"), "migrate"], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, DATABASE_URL: "postgres://nobody:secret@127.0.0.1:1/none" },
      timeout: 60_000,
    });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("postgres://nobody:***@127.0.0.1:1/none");
    expect(bad.stderr).not.toContain("secret");
  }, 300_000);

  it.scopedLive("a crash between storing and deleting loses nothing and duplicates nothing", () =>
    Effect.gen(function* () {
      const db = yield* openStore({ kind: "postgres", url: URL });
      yield* migrate(db);
      const sink = makeStoreSink(db, { device: "test", modem: 1 });
      const m = served.farm.modem("m");
      const sim = m.sim!;
      const long = `${"Three parts, joined in the database. ".repeat(11)}END`;
      served.farm.network.sendSms({ to: sim.number, from: "+15550006666", text: "single one" });
      served.farm.network.sendSms({ to: sim.number, from: "+15550007777", text: long });
      while (sim.storage.used < 4) yield* Effect.sleep(5);
      // An earlier run read and stored the single message, then died before AT+CMGD.
      const single = sim.storage.list().find((stored) => {
        const d = decodeSmsPdu(stored.pdu, { hasSmsc: true });
        return d.ok && d.value.text === "single one";
      })!;
      const decoded = decodeSmsPdu(single.pdu, { hasSmsc: true });
      if (!decoded.ok) throw decoded.error;
      yield* sink.storePart({ iccid: sim.iccid, storage: "SM", index: single.index, pdu: decoded.value, raw: single.pdu, receivedAt: new Date() });
      expect(sim.storage.used).toBe(4);

      const port = yield* makeAtPort(yield* openSerial(served.pathOf("m")!));
      yield* makeModemActor(port, { sink });
      expect(sim.storage.used).toBe(0);
      const messages = yield* Effect.promise(() => db.selectFrom("sms_in").select(["iccid", "sender", "text", "parts"]).orderBy("sender").execute());
      expect(messages).toEqual([
        { iccid: sim.iccid, sender: "+15550006666", text: "single one", parts: 1 },
        { iccid: sim.iccid, sender: "+15550007777", text: long, parts: 3 },
      ]);
      expect(yield* Effect.promise(() => db.selectFrom("sms_parts").select("id").execute())).toHaveLength(4);
    }),
  );
});
