import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Effect, Option, SubscriptionRef } from "effect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { srNavigatorRoutes } from "../../src/api/srnav/handler";
import { routesServer } from "../support/routes";
import { createPool } from "../../src/pools/pools";
import { startTestService, type TestService } from "../support/service";

// The SR-Organizer, added as one row of the model table: 2 modems x 8 cards on the SR
// controller, simulated whole, scanned, held and listed by SR-Navigator.
let service: TestService;
let server: Server;
let base: string;
const KEY = "organizer-pool-key-01";

beforeAll(async () => {
  service = await startTestService("simgate_organizer", [{ id: "org", model: "sr-organizer", modems: "simulated", rotateEveryMs: 0 }], { settleMs: 1_000 });
  await createPool(service.db, "organizer", { devices: ["org"] }, KEY);
  server = routesServer(srNavigatorRoutes({ db: service.db, registry: service.registry, scheduler: service.scheduler, sendWaitMs: 10_000 }));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/handler.php`;
}, 60_000);
afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await service?.close();
});

const bank = () => service.registry.farm!.banks.get("org")!;
const device = () => service.registry.devices.find((d) => d.config.id === "org")!;
const PLACES = [1, 2].flatMap((m) => [1, 2, 3, 4, 5, 6, 7, 8].map((c) => `${m}-${c}`));
const iccidOnModem = async (n: number) => {
  const actor = await Effect.runPromise(SubscriptionRef.get(device().modems[n - 1]!.supervised.actor));
  return Option.isSome(actor) ? ((await Effect.runPromise(SubscriptionRef.get(actor.value.state))).sim?.iccid ?? null) : null;
};
const api = async <T>(action: string): Promise<T> => JSON.parse(await (await fetch(`${base}?${new URLSearchParams({ pool_key: KEY, action })}`)).text()) as T;

describe("SR-Organizer", () => {
  it("has 2 modems and 16 positions, `modem-card`, each modem reaching its own 8", () => {
    expect(device().modems).toHaveLength(2);
    expect(device().driver.positions).toEqual(PLACES);
    expect(device().driver.reachable(1)).toEqual(PLACES.slice(0, 8));
    expect(device().driver.reachable(2)).toEqual(PLACES.slice(8));
    expect(bank().layout.positions).toEqual(PLACES);
  });

  it("the start-up scan reads all 16 cards, each at its place", async () => {
    const rows = await service.db
      .selectFrom("sim_cards")
      .innerJoin("devices", "devices.id", "sim_cards.device_id")
      .select(["sim_cards.place", "sim_cards.iccid", "sim_cards.number"])
      .where("devices.key", "=", "org")
      .execute();
    const expected = PLACES.map((p) => [p, bank().cardAt(p)!.iccid, bank().cardAt(p)!.number]);
    expect(rows.map((r) => [r.place, r.iccid, r.number]).sort()).toEqual(expected.sort());
    expect(new Set(rows.map((r) => r.iccid)).size).toBe(16);
    const row = await service.db.selectFrom("devices").select(["model", "channels"]).where("key", "=", "org").executeTakeFirstOrThrow();
    expect(row).toEqual({ model: "sr-organizer", channels: 2 });
  });

  it("a hold on a card of modem 2 switches it in and leaves modem 1 alone; an SMS to it is received", async () => {
    const here = bank().positionOf(2);
    const target = PLACES.slice(8).find((p) => p !== here)!;
    const card = bank().cardAt(target)!;
    const modem1 = { position: bank().positionOf(1), sim: service.registry.farm!.modem("org-m01").sim };
    expect(await Effect.runPromise(service.scheduler.hold("org", target, "client"))).toBe(2);
    expect(bank().positionOf(2)).toBe(target);
    expect(service.registry.farm!.modem("org-m02").sim).toBe(card);
    expect(service.scheduler.place("org", target)).toMatchObject({ modem: 2, hold: { holder: "client", state: "online" } });
    expect(bank().positionOf(1)).toBe(modem1.position);
    expect(service.registry.farm!.modem("org-m01").sim).toBe(modem1.sim);
    expect(await iccidOnModem(2)).toBe(card.iccid);

    service.registry.farm!.network.sendSms({ to: card.number, from: "+15557000000", text: "organizer code 2468" });
    const deadline = Date.now() + 15_000;
    let stored: { iccid: string | null; text: string }[] = [];
    while (stored.length === 0 && Date.now() < deadline) {
      stored = await service.db.selectFrom("sms_in").select(["iccid", "text"]).where("text", "=", "organizer code 2468").execute();
      if (stored.length === 0) await new Promise((r) => setTimeout(r, 50));
    }
    expect(stored).toEqual([{ iccid: card.iccid, text: "organizer code 2468" }]);
    await Effect.runPromise(service.scheduler.release("org", target, "client"));
  }, 30_000);

  it("SR-Navigator lists it as SR-Organizer: 2 channels, 16 numbers at their `modem-card` places", async () => {
    const devices = await api<{ model: string; numbers: number; channels: number }[]>("getAgregators");
    expect(devices.map((d) => [d.model, d.numbers, d.channels])).toEqual([["SR-Organizer", 16, 2]]);
    const numbers = await api<{ number: string; place: string; model: string }[]>("getNumbers");
    expect(numbers.map((n) => n.place).sort()).toEqual([...PLACES].sort());
    expect(new Set(numbers.map((n) => n.model))).toEqual(new Set(["SR-Organizer"]));
    for (const n of numbers) expect(n.number).toBe(bank().cardAt(n.place)!.number.replace(/\D/g, ""));
  });
});
