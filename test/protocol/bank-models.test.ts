import { afterAll, describe, expect, it } from "vitest";
import { AGGREGATOR_MODELS, layoutOf, MODEL_IDS, MODELS, modelName, modelOfName, reachable, rowsOf, type ModelId } from "../../protocol/bank/models";
import { planSwitch, srLayout, type SrModel } from "../../protocol/sr/topology";
import { SrController } from "../../hil/bank/sr-controller";
import { Farm } from "../../hil/farm";
import { parseConfig } from "../../src/config/config";

// The model table: every row's layout holds together, the SR controller's plan for each
// position is what the simulated controller does, and the readers take a new row as it is.
const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
const rowCounts = (id: ModelId) => [...new Set([MODELS[id].rows.min, MODELS[id].rows.default, MODELS[id].rows.max])];

describe("the model table", () => {
  it("rows agree with themselves: a controller line exactly for the SR serial driver, names unique, default rows within limits", () => {
    for (const id of MODEL_IDS) {
      const row = MODELS[id];
      expect(row.needsBank, id).toBe(row.driver === "sr-serial");
      expect(row.rows.default >= row.rows.min && row.rows.default <= row.rows.max, id).toBe(true);
      // The SR controller needs a known modem count; loose modems have nothing to move.
      if (row.driver === "sr-serial") expect(row.modems, id).not.toBeNull();
      if (row.driver === "fixed") expect(row.switchGroup.kind, id).toBe("none");
      expect(modelOfName(modelName(id)), id).toBe(id);
    }
    expect(new Set(MODEL_IDS.map((id) => MODELS[id].name)).size).toBe(MODEL_IDS.length);
  });

  for (const id of MODEL_IDS)
    it(`${id}: positions = modems x cards (each reached by the modems its switch group says), every one reachable`, () => {
      const row = MODELS[id];
      for (const rows of rowCounts(id)) {
        const layout = layoutOf(id, rowsOf(id, rows), 3);
        const modems = row.modems ?? 3;
        expect(layout.modems).toBe(modems);
        expect(new Set(layout.positions).size).toBe(layout.positions.length);
        const cards = reachable(layout, 1).length;
        for (const m of range(modems)) expect(reachable(layout, m)).toHaveLength(cards);
        // A whole-row switch serves each place from both halves of the modems; otherwise one modem owns a card.
        const reachers = row.switchGroup.kind === "row" ? 2 : 1;
        expect(layout.positions.length * reachers).toBe(modems * cards);
        for (const p of layout.positions) {
          const by = range(modems).filter((m) => reachable(layout, m).includes(p));
          expect(by, `${id} ${p}`).toHaveLength(reachers);
          if (reachers === 2) expect(by[1]! - by[0]!).toBe(modems / 2);
        }
        expect(reachable(layout, 0)).toEqual([]);
        expect(reachable(layout, modems + 1)).toEqual([]);
      }
    });

  for (const id of AGGREGATOR_MODELS)
    it(`${id}: the SR controller's plan for every position moves just its switch group`, () => {
      const row = MODELS[id];
      for (const rows of rowCounts(id)) {
        const layout = srLayout(id, rows);
        for (const p of layout.positions) {
          const plan = planSwitch(layout, p)!;
          expect(reachable(layout, plan.modem)).toContain(p);
          const group = row.switchGroup.kind;
          expect(plan.affected).toEqual(group === "row" ? range(layout.modems) : group === "modem" ? [plan.modem] : []);
          for (const [m, at] of plan.after) expect(reachable(layout, m)).toContain(at);
          if (group !== "none") expect(plan.after).toContainEqual([plan.modem, p]);
        }
        expect(planSwitch(layout, "Z9")).toBeNull();
      }
    });

  it("SR-Organizer: 2 modems x 8 cards, `modem-card`, switched per modem as on the box banks", () => {
    const layout = srLayout("sr-organizer", 4);
    expect(layout.rows).toBe(8);
    expect(layout.positions).toEqual([1, 2].flatMap((m) => range(8).map((c) => `${m}-${c}`)));
    expect(planSwitch(layout, "2-5")).toEqual({ modem: 2, commands: ["modem>select:2", "modem>card:5"], affected: [2], after: [[2, "2-5"]] });
    expect(planSwitch(layout, "3-1")).toBeNull();
    expect(MODELS["sr-organizer"]).toMatchObject({ name: "SR-Organizer", driver: "sr-serial", takesCalls: true });
  });
});

describe("the simulator reads the table", () => {
  const farm = new Farm({ banks: AGGREGATOR_MODELS.map((model) => ({ id: model, model, rows: MODELS[model].rows.min })) });
  afterAll(() => farm.stop());

  for (const id of AGGREGATOR_MODELS)
    it(`${id}: the simulated controller puts every position where the plan says`, async () => {
      const bank = farm.banks.get(id)!;
      const controller = new SrController(bank);
      expect(bank.layout.positions).toEqual(srLayout(id as SrModel, MODELS[id].rows.min).positions);
      for (const p of bank.layout.positions) {
        const plan = planSwitch(bank.layout, p)!;
        for (const command of plan.commands) expect(await controller.execute(command), `${p}: ${command}`).toEqual(["1"]);
        expect(bank.positionOf(plan.modem)).toBe(p);
        for (const [m, at] of plan.after) expect(bank.positionOf(m)).toBe(at);
        expect(bank.modemList[plan.modem - 1]!.sim).toBe(bank.cardAt(p));
      }
    });
});

describe("the configuration reads the table", () => {
  const device = (d: Record<string, unknown>) => parseConfig({ devices: [{ id: "o", ...d }] }, {}, "cfg").devices[0]!;
  const refused = (d: Record<string, unknown>) => {
    try {
      device(d);
      return null;
    } catch (error) {
      return (error as Error).message;
    }
  };

  it("an SR-Organizer: simulated as it is; real with its 2 modems and the controller's line; rotating by default", () => {
    expect(device({ model: "sr-organizer", modems: "simulated" })).toMatchObject({ model: "sr-organizer", rotateEveryMs: 60_000 });
    expect(refused({ model: "sr-organizer", modems: ["/dev/a", "/dev/b", "/dev/c"], bank: "/dev/s" })).toMatch(/"sr-organizer" has 2 modems/);
    expect(refused({ model: "sr-organizer", modems: ["/dev/a", "/dev/b"] })).toBe(`cfg.devices[0].bank: "sr-organizer" needs the SR controller's serial line or tcp:// address`);
    expect(device({ model: "sr-organizer", modems: ["/dev/a", "/dev/b"], bank: "tcp://10.0.0.5:7000" }).bank).toEqual({ kind: "tcp", url: "tcp://10.0.0.5:7000" });
    expect(refused({ model: "dual-sim", modems: ["/dev/a"], bank: "/dev/s" })).toBe('cfg.devices[0].bank: "dual-sim" modems switch their own slots (AT+QDSIM); leave bank out');
    expect(device({ model: "sr-box-8", modems: "simulated" }).rotateEveryMs).toBe(0);
  });
});
