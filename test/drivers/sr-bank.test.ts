import { describe, expect, it } from "@effect/vitest";
import { afterAll, beforeAll } from "vitest";
import { Effect } from "effect";
import { planSwitch, reachable, srLayout } from "../../protocol/sr/topology";
import { makeSrSerialBank } from "../../drivers/bank/sr-serial";
import { openSerial } from "../../drivers/transport/serial";
import { Farm } from "../../hil/farm";
import { ServedFarm } from "../../hil/serve";

// The SR SIM-bank driver against the simulator's SR controllers on their own PTYs.
let served: ServedFarm;

beforeAll(async () => {
  const farm = new Farm({ banks: [{ id: "train", model: "sr-train", rows: 8 }, { id: "box", model: "sr-box-bank", rows: 4 }, { id: "two", model: "sr-box-2-bank", rows: 2 }] });
  served = await ServedFarm.start(farm);
  await farm.settled();
});
afterAll(async () => served?.stop());

const bank = (id: string) => served.farm.banks.get(id)!;

describe("SR topology", () => {
  it("knows each model's positions, reach and switch commands", () => {
    const train = srLayout("sr-train", 8);
    expect(train.positions).toHaveLength(64);
    expect(reachable(train, 3)).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((r) => `${r}-3`));
    const trainSwitch = planSwitch(train, "5-2")!;
    expect(trainSwitch).toMatchObject({ modem: 2, commands: ["row:5"], affected: [...Array(16).keys()].map((i) => i + 1) });
    // Modems 1-8 take row 5, modems 9-16 row 5+3 = 8.
    expect(trainSwitch.after.slice(0, 2)).toEqual([[1, "5-1"], [2, "5-2"]]);
    expect(trainSwitch.after.slice(8, 10)).toEqual([[9, "8-1"], [10, "8-2"]]);
    expect(planSwitch(train, "7-1")!.after[8]).toEqual([9, "2-1"]);
    expect(planSwitch(srLayout("sr-box-bank", 64), "C12")).toEqual({ modem: 3, commands: ["modem>select:3", "modem>card:12"], affected: [3], after: [[3, "C12"]] });
    expect(planSwitch(srLayout("sr-box-2-bank", 4), "F2")).toEqual({ modem: 2, commands: ["modem>select:2", "modem>card:6"], affected: [2], after: [[2, "F2"]] });
    expect(planSwitch(srLayout("sr-box-8", 1), "D")).toEqual({ modem: 4, commands: [], affected: [], after: [] });
    expect(planSwitch(train, "9-1")).toBeNull();
  });
});

describe("sr-serial SIM-bank driver", () => {
  for (const [id, model, rows, position, modemId] of [
    ["train", "sr-train", 8, "6-4", "train-m04"],
    ["box", "sr-box-bank", 4, "C3", "box-m03"],
    ["two", "sr-box-2-bank", 2, "G2", "two-m02"],
  ] as const) {
    it.scopedLive(`${model}: puts ${position} on its modem, checked with modem>status; the modem sees the new card`, () =>
      Effect.gen(function* () {
        const driver = yield* makeSrSerialBank(yield* openSerial(served.pathOf(id)!), { model, rows });
        const result = yield* driver.select(position);
        expect(result.position).toBe(position);
        expect(served.farm.modem(modemId).sim).toBe(bank(id).cardAt(position));
        expect(bank(id).positionOf(result.modem)).toBe(position);
        // The driver's account of where every affected modem now stands is the bank's.
        for (const [modem, at] of result.after) expect(bank(id).positionOf(modem)).toBe(at);
        yield* Effect.promise(() => served.farm.settled());
        expect(served.farm.modem(modemId).registered).toBe(true);
      }),
    );
  }

  it.scopedLive("refuses a position the model does not have, without touching the bank", () =>
    Effect.gen(function* () {
      const driver = yield* makeSrSerialBank(yield* openSerial(served.pathOf("box")!), { model: "sr-box-bank", rows: 4 });
      const error = yield* driver.select("C9").pipe(Effect.flip);
      expect(error).toMatchObject({ _tag: "BankError", reason: "no-such-position" });
    }),
  );

  it.scopedLive("a controller that answers nothing fails the switch after the timeout", () =>
    Effect.gen(function* () {
      const controller = served.controllers.get("box")!;
      controller.hanging = true;
      const driver = yield* makeSrSerialBank(yield* openSerial(served.pathOf("box")!), { model: "sr-box-bank", rows: 4, timeoutMs: 200 });
      const error = yield* driver.select("A2").pipe(Effect.flip, Effect.ensuring(Effect.sync(() => (controller.hanging = false))));
      expect(error).toMatchObject({ _tag: "BankError", reason: "no-answer" });
    }),
  );

  it.scopedLive("a controller that refuses (NULL) is reported with the command", () =>
    Effect.gen(function* () {
      // A driver configured with more rows than the board has: the board refuses row 5.
      const driver = yield* makeSrSerialBank(yield* openSerial(served.pathOf("box")!), { model: "sr-box-bank", rows: 8 });
      const error = yield* driver.select("B5").pipe(Effect.flip);
      expect(error).toMatchObject({ _tag: "BankError", reason: "refused" });
      expect(error.detail).toBe("modem>card:5 answered NULL");
    }),
  );
});
