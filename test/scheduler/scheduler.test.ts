import { describe, expect, it } from "@effect/vitest";
import { afterAll, beforeAll } from "vitest";
import { Effect, Option, SubscriptionRef } from "effect";
import type { Kysely } from "kysely";
import type { Registry } from "../../src/devices/registry";
import { type ServiceScheduler } from "../../src/scheduler/farm-scheduler";
import { cardSwitcher } from "../../src/scheduler/card-switcher";
import { enqueueSms, runSmsSender } from "../../src/jobs/sms-sender";
import type { Database } from "../../src/store/schema";
import { BankError } from "../../drivers/bank/sim-bank-driver";
import { eventuallyEffect } from "../support/eventually";
import { startTestService, type TestService } from "../support/service";

// The scheduler over simulated SR banks (their controllers speak the serial language), with
// the inventory in PostgreSQL.
let service: TestService;
let db: Kysely<Database>;
let registry: Registry;
let scheduler: ServiceScheduler;

beforeAll(async () => {
  service = await startTestService(
    "simgate_sched",
    [
      { id: "train", model: "sr-train", modems: "simulated", rows: 4, rotateEveryMs: 0 },
      { id: "box", model: "sr-box-bank", modems: "simulated", rows: 3, rotateEveryMs: 0 },
      { id: "duo", model: "dual-sim", modems: "simulated", count: 2, rotateEveryMs: 0 },
    ],
    { settleMs: 2_000 },
  );
  ({ db, registry, scheduler } = service);
}, 120_000);
afterAll(async () => service?.close());

const bank = (id: string) => registry.farm!.banks.get(id)!;
const iccidOnModem = (device: string, n: number) =>
  Effect.gen(function* () {
    const m = registry.devices.find((d) => d.config.id === device)!.modems[n - 1]!;
    const actor = yield* SubscriptionRef.get(m.supervised.actor);
    return Option.isSome(actor) ? ((yield* SubscriptionRef.get(actor.value.state)).sim?.iccid ?? null) : null;
  });

describe("the start-up scan", () => {
  it("records every card of every position, with its number and operator, as the banks hold them", async () => {
    const rows = await db
      .selectFrom("sim_cards")
      .innerJoin("devices", "devices.id", "sim_cards.device_id")
      .select(["devices.key", "sim_cards.place", "sim_cards.iccid", "sim_cards.number", "sim_cards.operator"])
      .execute();
    for (const device of ["train", "box"]) {
      const b = bank(device);
      const expected = b.layout.positions.map((p) => [p, b.cardAt(p)!.iccid, b.cardAt(p)!.number]);
      const found = rows.filter((r) => r.key === device).map((r) => [r.place, r.iccid, r.number]);
      expect(found.sort()).toEqual(expected.sort());
    }
    expect(rows.every((r) => r.operator)).toBe(true);
    const duo = rows.filter((r) => r.key === "duo").map((r) => [r.place, r.iccid]);
    const slots = (id: string) => registry.farm!.modem(id).slots;
    expect(duo.sort()).toEqual([
      ["1-1", slots("duo-m01")[0]!.iccid],
      ["1-2", slots("duo-m01")[1]!.iccid],
      ["2-1", slots("duo-m02")[0]!.iccid],
      ["2-2", slots("duo-m02")[1]!.iccid],
    ]);
    const devices = await db.selectFrom("devices").select(["key", "model", "channels"]).orderBy("key").execute();
    expect(devices).toEqual([
      { key: "box", model: "sr-box-bank", channels: 8 },
      { key: "duo", model: "dual-sim", channels: 2 },
      { key: "train", model: "sr-train", channels: 16 },
    ]);
  });
});

describe("holds", () => {
  it.scopedLive("a held train position is switched in; another row is BUSY for another client until released", () =>
    Effect.gen(function* () {
      const modem = yield* scheduler.hold("train", "3-5", "client-a");
      expect(modem).toBe(5);
      expect(yield* iccidOnModem("train", 5)).toBe(bank("train").cardAt("3-5")!.iccid);
      expect(scheduler.place("train", "3-5")).toMatchObject({ modem: 5, hold: { holder: "client-a", state: "online" } });
      // The same row on another modem: no switch, no conflict.
      expect(yield* scheduler.hold("train", "3-2", "client-b")).toBe(2);
      // Row 1 would move client-a's and client-b's cards.
      const busy = yield* scheduler.claim("train", "1-7", "client-c").pipe(Effect.flip);
      expect(busy._tag).toBe("Busy");
      expect(busy.message).toMatch(/3-5 \(client-a\)/);
      expect(scheduler.wouldBeBusy("train", "1-7", "client-c")).toBe(true);
      yield* scheduler.release("train", "3-5", "client-a");
      yield* scheduler.release("train", "3-2", "client-b");
      expect(yield* scheduler.hold("train", "1-7", "client-c")).toBe(7);
      expect(yield* iccidOnModem("train", 7)).toBe(bank("train").cardAt("1-7")!.iccid);
      yield* scheduler.release("train", "1-7", "client-c");
    }),
  );

  it.scopedLive("a card already online is BUSY for another holder while a pending switch is about to move it", () =>
    Effect.gen(function* () {
      const online = scheduler.positions("train");
      const onModem1 = online.get(1)!;
      const frontRow = Number(onModem1.split("-")[0]);
      // A row that is neither front nor back now: its claim switches all 16 modems.
      const far = [1, 2, 3, 4].find((r) => r !== frontRow && `${r}-1` !== online.get(9))!;
      yield* scheduler.claim("train", `${far}-3`, "mover");
      const busy = yield* scheduler.claim("train", onModem1, "sitter").pipe(Effect.flip);
      expect(busy.message).toMatch(new RegExp(`${far}-3 \\(mover\\)`));
      expect(yield* scheduler.hold("train", `${far}-3`, "mover")).toBe(3);
      yield* scheduler.release("train", `${far}-3`, "mover");
    }),
  );

  it.scopedLive("a shared claim joins another's hold; the card stays until the last holder lets go", () =>
    Effect.gen(function* () {
      const here = scheduler.positions("box").get(2)!;
      yield* scheduler.hold("box", here, "client");
      expect((yield* scheduler.claim("box", here, "job").pipe(Effect.flip))._tag).toBe("Busy");
      yield* scheduler.claim("box", here, "job", { share: true });
      yield* scheduler.release("box", here, "client");
      expect(scheduler.place("box", here)!.hold).toMatchObject({ holder: "job", state: "online" });
      // Still pinned: another card for modem 2 is refused.
      const other = registry.devices.find((d) => d.config.id === "box")!.driver.reachable(2).find((p) => p !== here)!;
      expect((yield* scheduler.claim("box", other, "someone").pipe(Effect.flip))._tag).toBe("Busy");
      yield* scheduler.release("box", here, "job");
      expect(scheduler.place("box", here)!.hold).toBeNull();
    }),
  );

  it.scopedLive("box modems switch independently; two cards for one modem cannot both be held", () =>
    Effect.gen(function* () {
      const [a, c] = yield* Effect.all([scheduler.hold("box", "A3", "x"), scheduler.hold("box", "C2", "y")], { concurrency: "unbounded" });
      expect([a, c]).toEqual([1, 3]);
      expect(yield* iccidOnModem("box", 1)).toBe(bank("box").cardAt("A3")!.iccid);
      expect(yield* iccidOnModem("box", 3)).toBe(bank("box").cardAt("C2")!.iccid);
      expect((yield* scheduler.claim("box", "A1", "z").pipe(Effect.flip))._tag).toBe("Busy");
      expect((yield* scheduler.claim("box", "Q1", "z").pipe(Effect.flip))._tag).toBe("NoSuchPosition");
      yield* scheduler.release("box", "A3", "x");
      yield* scheduler.release("box", "C2", "y");
    }),
  );

  it.scopedLive("a dual-SIM modem switches its own slot (AT+QDSIM) for a hold", () =>
    Effect.gen(function* () {
      const modem = registry.farm!.modem("duo-m02");
      const other = modem.activeSlot === 0 ? "2-2" : "2-1";
      expect(yield* scheduler.hold("duo", other, "caller")).toBe(2);
      expect(modem.activeSlot).toBe(other === "2-2" ? 1 : 0);
      expect(yield* iccidOnModem("duo", 2)).toBe(modem.slots[modem.activeSlot]!.iccid);
      // The other modem's card stays; the other slot of this modem is BUSY for someone else.
      expect((yield* scheduler.claim("duo", other === "2-2" ? "2-1" : "2-2", "someone").pipe(Effect.flip))._tag).toBe("Busy");
      yield* scheduler.release("duo", other, "caller");
    }),
  );

  it.scopedLive("a job's card in no modem is switched in, sent from, and let go", () =>
    Effect.gen(function* () {
      yield* scheduler.hold("train", "2-4", "holder");
      yield* scheduler.release("train", "2-4", "holder");
      // Row 2 is in (modems 1-8), so row 4's cards are on no modem... (back row is 2+3 = 1 of 4).
      const card = bank("train").cardAt("4-6")!;
      expect(scheduler.place("train", "4-6")!.modem).toBeNull();
      yield* runSmsSender(db, registry, { pollMs: 20, retryBaseMs: 50, switcher: cardSwitcher(db, scheduler) });
      const id = yield* enqueueSms(db, { iccid: card.iccid, to: "+15559000077", text: "sent from row 4" });
      for (;;) {
        const row = yield* Effect.promise(() => db.selectFrom("sms_out").select(["state", "error"]).where("id", "=", id).executeTakeFirstOrThrow());
        if (row.state === "sent") break;
        expect(row.state).not.toBe("failed");
        yield* Effect.sleep(20);
      }
      expect(registry.farm!.network.submitted.at(-1)).toMatchObject({ from: card.number, to: "+15559000077", text: "sent from row 4" });
      // The hold is let go right after "sent" commits.
      while (scheduler.place("train", "4-6")?.hold !== null) yield* Effect.sleep(10);
      expect(scheduler.place("train", "4-6")).toMatchObject({ modem: 6, hold: null });
    }),
  );
});

describe("a switch whose answer is lost", () => {
  it.scopedLive("the controller switched but never said so: the modem's position is not assumed, and the next hold switches for real", () =>
    Effect.gen(function* () {
      const device = registry.devices.find((d) => d.config.id === "box")!;
      const driver = device.driver as { select: typeof device.driver.select };
      const select = driver.select;
      const cardOf = (p: string) => bank("box").cardAt(p)!.iccid;
      // Modem 6 on card 1 first, answered as usual.
      yield* scheduler.hold("box", "F1", "client-a");

      yield* scheduler.release("box", "F1", "client-a");
      expect(yield* iccidOnModem("box", 6)).toBe(cardOf("F1"));
      // Then a switch the controller carries out and never answers (a hung board that still
      // reads its line): the scheduler hears a failure while card 2 is in.
      driver.select = (position, at) => Effect.zipRight(select(position, at), Effect.fail(new BankError({ reason: "no-answer", detail: `${position}: nothing in 3000 ms` })));
      const lost = yield* scheduler.hold("box", "F2", "client-b").pipe(Effect.flip);
      driver.select = select;
      expect(lost.message).toMatch(/no-answer|nothing in/);
      yield* scheduler.release("box", "F2", "client-b");
      yield* eventuallyEffect(() => Effect.runSync(iccidOnModem("box", 6)) === cardOf("F2"), "the modem reads the card the switch put in");
      // Card 1 is not where the scheduler last knew it: a hold on it switches it in.
      yield* scheduler.hold("box", "F1", "client-c");
      expect(yield* iccidOnModem("box", 6)).toBe(cardOf("F1"));
      yield* scheduler.release("box", "F1", "client-c");
      // And the inventory never put card 2 at card 1's place.
      const places = yield* Effect.promise(() => db.selectFrom("sim_cards").select(["iccid", "place"]).where("iccid", "in", [cardOf("F1"), cardOf("F2")]).execute());
      expect(Object.fromEntries(places.map((r) => [r.iccid, r.place]))).toEqual({ [cardOf("F1")]: "F1", [cardOf("F2")]: "F2" });
    }),
    30_000,
  );
});
