import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "@effect/vitest";
import { afterAll, beforeAll } from "vitest";
import { Effect, Queue, type Scope } from "effect";
import type { Kysely } from "kysely";
import { throwawayDatabase } from "../support/postgres";
import { eventuallyEffect } from "../support/eventually";
import { decodeSmsPdu } from "../../protocol/sms/decode";
import { makeAtPort } from "../../drivers/at/at-port";
import { makeModemActor, type ModemEvent } from "../../drivers/modem/modem-actor";
import type { SmsSink } from "../../drivers/modem/sms-inbox";
import { openSerial } from "../../drivers/transport/serial";
import { migrate, openStore } from "../../src/store/database";
import type { Database } from "../../src/store/schema";
import { makeStoreSink, releaseIncomplete } from "../../src/store/sms-sink";
import { Farm } from "../../hil/farm";
import { buildDeliver } from "../../hil/network/pdu-builder";
import type { VirtualModem } from "../../hil/modem/modem";
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
  const farm = new Farm({ modems: [{ id: "m" }, { id: "order" }, { id: "gap" }, { id: "before" }, { id: "after", sim: null }] });
  served = await ServedFarm.start(farm);
  await farm.settled();
});
afterAll(async () => {
  await served?.stop();
  await database?.drop();
});

/** The store, migrated, for as long as the test's scope lives. */
const migratedStore = Effect.gen(function* () {
  const db = yield* openStore({ kind: "postgres", url: URL });
  yield* migrate(db);
  return db;
});

/** A modem actor on a simulated modem, storing through `sink`; its events from now on. */
const actorOn = (id: string, sink: SmsSink): Effect.Effect<Queue.Dequeue<ModemEvent>, unknown, Scope.Scope> =>
  Effect.gen(function* () {
    const port = yield* makeAtPort(yield* openSerial(served.pathOf(id)!));
    const actor = yield* makeModemActor(port, { sink });
    return yield* actor.events;
  });

/** Resolves once the actor has handed `count` parts from `sender` to the sink (each is stored by then). */
const handedOver = (events: Queue.Dequeue<ModemEvent>, sender: string, count: number) =>
  Effect.gen(function* () {
    for (let seen = 0; seen < count; ) {
      const event = yield* Queue.take(events);
      if (event.type === "sms-part" && event.part.pdu.number === sender) seen++;
    }
  }).pipe(Effect.timeoutFail({ duration: 10_000, onTimeout: () => new Error(`${count} parts from ${sender} were not handed over`) }));

/** A long message's parts as its SMSC delivers them, with a reference chosen here. */
const partsOf = (from: string, ref: number, texts: readonly string[]) =>
  texts.map((text, i) => ({
    ...buildDeliver({ smsc: "+10010000001", from, text, alphabet: "gsm7", at: new Date(), offsetMinutes: 0, concat: { ref, seq: i + 1, total: texts.length } }),
    flash: false,
  }));

/** Lands one part on the modem's SIM (announced with +CMTI), as the network would. */
const deliver = (modem: VirtualModem, part: ReturnType<typeof partsOf>[number]) =>
  Effect.sync(() => {
    if (!modem.deliverSms(part)) throw new Error(`${modem.id} did not take the part`);
  });

const messagesFrom = (db: Kysely<Database>, sender: string) =>
  Effect.promise(() => db.selectFrom("sms_in").select(["iccid", "text", "parts", "missing"]).where("sender", "=", sender).orderBy("id").execute());

const partsFrom = (db: Kysely<Database>, sender: string) =>
  Effect.promise(() => db.selectFrom("sms_parts").select(["seq", "message_id"]).where("sender", "=", sender).orderBy("seq").execute());

const announcedFrom = (db: Kysely<Database>, sender: string) =>
  Effect.promise(async () => {
    const rows = await db.selectFrom("events").select("payload").where("type", "=", "smsReceived").execute();
    return rows.map((r) => r.payload as { sender: string; msg: string; missing?: number[] }).filter((p) => p.sender === sender);
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
      yield* sink.storePart({ iccid: sim.iccid, storage: "SM", index: single.index, pdu: decoded.value, raw: single.pdu });
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

  // Long messages are joined in the store alone: the actor hands each part over and forgets it.
  it.scopedLive("parts that arrive out of order (3, 1, 2) make one message in the right order", () =>
    Effect.gen(function* () {
      const db = yield* migratedStore;
      const events = yield* actorOn("order", makeStoreSink(db, { device: "test", modem: 2 }));
      const sim = served.farm.modem("order").sim!;
      const text = `${"first part ".repeat(14)}|${"second part ".repeat(13)}|third`;
      served.farm.network.sendSms({ to: sim.number, from: "+15550004445", text, onlyParts: [3, 1, 2] });
      yield* handedOver(events, "+15550004445", 3);
      expect(yield* messagesFrom(db, "+15550004445")).toEqual([{ iccid: sim.iccid, text, parts: 3, missing: [] }]);
    }),
  );

  it.scopedLive("a part that never comes: the store releases the message once with the gap marked, and the late part fills it", () =>
    Effect.gen(function* () {
      const db = yield* migratedStore;
      const m = served.farm.modem("gap");
      const events = yield* actorOn("gap", makeStoreSink(db, { device: "test", modem: 3 }));
      const sender = "+15550004444";
      const texts = ["0123456789".repeat(15), "abcdefghij".repeat(15), "ABCDEFGHIJ".repeat(15)];
      const parts = partsOf(sender, 77, texts);
      yield* deliver(m, parts[0]!);
      yield* deliver(m, parts[2]!);
      yield* handedOver(events, sender, 2);
      expect(yield* messagesFrom(db, sender)).toEqual([]);
      // Not yet due by the database's clock; then due, released once.
      expect(yield* releaseIncomplete(db, 600_000)).toBe(0);
      expect(yield* releaseIncomplete(db, 0)).toBe(1);
      expect(yield* releaseIncomplete(db, 0)).toBe(0);
      const gap = `${texts[0]}[part 2 of 3 missing]${texts[2]}`;
      expect(yield* messagesFrom(db, sender)).toEqual([{ iccid: m.sim!.iccid, text: gap, parts: 3, missing: [2] }]);
      yield* deliver(m, parts[1]!);
      yield* handedOver(events, sender, 1);
      expect(yield* messagesFrom(db, sender)).toEqual([{ iccid: m.sim!.iccid, text: texts.join(""), parts: 3, missing: [] }]);
      // Announced once, when released; the late part fills the gap quietly.
      expect((yield* announcedFrom(db, sender)).map((e) => [e.msg, e.missing])).toEqual([[gap, [2]]]);
    }),
  );

  it.scopedLive("a long message whose parts come through two modems' actors (the card moved, the first actor gone) is one message", () =>
    Effect.gen(function* () {
      const db = yield* migratedStore;
      const before = served.farm.modem("before");
      const after = served.farm.modem("after");
      const card = before.sim!;
      const sender = "+15550008888";
      const texts = ["Part one of a message whose card moves. ".repeat(3), "Part two, read by another modem. ".repeat(4), "And the end."];
      const parts = partsOf(sender, 99, texts);
      // The first modem's actor takes part 1, then stops (its host stopped, or the modem was unplugged).
      yield* Effect.scoped(
        Effect.gen(function* () {
          const events = yield* actorOn("before", makeStoreSink(db, { device: "test", modem: 4 }));
          yield* deliver(before, parts[0]!);
          yield* handedOver(events, sender, 1);
        }),
      );
      expect(yield* messagesFrom(db, sender)).toEqual([]);
      // The card moves to another modem (a bank switch), where the rest arrives.
      before.setSim(null);
      after.setSim(card);
      yield* eventuallyEffect(() => after.simState === "ready", "the card ready in the other modem");
      const events = yield* actorOn("after", makeStoreSink(db, { device: "test", modem: 5 }));
      yield* deliver(after, parts[2]!);
      yield* deliver(after, parts[1]!);
      yield* handedOver(events, sender, 2);
      expect(yield* messagesFrom(db, sender)).toEqual([{ iccid: card.iccid, text: texts.join(""), parts: 3, missing: [] }]);
      const stored = yield* partsFrom(db, sender);
      expect(stored.map((p) => p.seq)).toEqual([1, 2, 3]);
      expect(new Set(stored.map((p) => p.message_id)).size).toBe(1);
      expect(yield* announcedFrom(db, sender)).toHaveLength(1);
    }),
  );
});
