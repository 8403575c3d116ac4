/**
 * SIM Roulette aggregators as the SR controller sees them: the controller commands that put
 * a position on a modem and the replies that say where a modem stands. Positions and reach
 * come from the model table (../bank/models.ts); the commands follow the row's switch group.
 * Pure, shared by the SIM-bank driver and the simulator.
 */
import { AGGREGATOR_MODELS, layoutOf, MODELS, reachable, rowsOf, type AggregatorModel, type Layout } from "../bank/models";

export { LETTERS, reachable } from "../bank/models";

/** The models whose bank an SR controller (real or simulated) drives. */
export type SrModel = AggregatorModel;
export const SR_MODELS: readonly SrModel[] = AGGREGATOR_MODELS;
export const isSrModel = (model: string): model is SrModel => (SR_MODELS as readonly string[]).includes(model);

export interface SrLayout extends Layout {
  readonly model: SrModel;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

export const srLayout = (model: SrModel, rows: number): SrLayout => ({ ...layoutOf(model, rowsOf(model, rows)), model });

/**
 * On a model switched by whole rows: the row the second half of the modems serves while the
 * first half serves `row` (the SR-Train's r+3, wrapping).
 */
export const backRow = (layout: SrLayout, row: number): number => {
  const group = MODELS[layout.model].switchGroup;
  return group.kind === "row" ? ((row - 1 + group.backRowOffset) % layout.rows) + 1 : row;
};

export interface SwitchPlan {
  /** The modem that will hold the position. */
  readonly modem: number;
  /** Controller commands, to be chained with `&&`. */
  readonly commands: readonly string[];
  /** Every modem whose card changes (a whole train row switches at once). */
  readonly affected: readonly number[];
  /** Where each affected modem stands once the switch is done, as [modem, position]. */
  readonly after: ReadonlyArray<readonly [number, string]>;
}

/** How to put `position` on a modem; null when the model has no such position. */
export const planSwitch = (layout: SrLayout, position: string): SwitchPlan | null => {
  if (!layout.positions.includes(position)) return null;
  const group = MODELS[layout.model].switchGroup;
  switch (group.kind) {
    case "row": {
      // Row r goes to the first half with row:r (the second half then takes its back row).
      const [row, place] = position.split("-").map(Number) as [number, number];
      const back = backRow(layout, row);
      const half = layout.modems / 2;
      const after = range(layout.modems).map((m) => [m, m <= half ? `${row}-${m}` : `${back}-${m - half}`] as const);
      return { modem: place, commands: [`row:${row}`], affected: range(layout.modems), after };
    }
    case "none":
      return { modem: modemOf(layout, position), commands: [], affected: [], after: [] };
    case "modem": {
      // The modem's C-th card, counted over the positions it reaches.
      const modem = modemOf(layout, position);
      const card = reachable(layout, modem).indexOf(position) + 1;
      return { modem, commands: [`modem>select:${modem}`, `modem>card:${card}`], affected: [modem], after: [[modem, position]] };
    }
  }
};

/** The first modem that reaches a position (0: none). */
const modemOf = (layout: SrLayout, position: string): number => range(layout.modems).find((n) => reachable(layout, n).includes(position)) ?? 0;

/** `modem>status` reply: `ON:<position>` / `OFF:<position>` (`-` when its contacts are open). */
export const parseModemStatus = (line: string): { powered: boolean; position: string | null } | null => {
  const match = /^(ON|OFF):(\S+)$/.exec(line.trim());
  if (!match) return null;
  return { powered: match[1] === "ON", position: match[2] === "-" ? null : match[2]! };
};
