/**
 * SIM Roulette aggregator topologies (../shared/specs/sr-navigator-notes.md, model table):
 * which positions exist, which modem reaches which, and the controller commands that put a
 * position on a modem. Pure data, shared by the SIM-bank driver and the simulator.
 */
export type SrModel = "sr-train" | "sr-box-8" | "sr-box-bank" | "sr-box-2-bank";
export const SR_MODELS: readonly SrModel[] = ["sr-train", "sr-box-8", "sr-box-bank", "sr-box-2-bank"];

export const LETTERS = "ABCDEFGH";

export interface SrLayout {
  readonly model: SrModel;
  readonly rows: number;
  readonly modems: number;
  /** In the model's `place` format: `3-5` (train), `A` (box-8), `C12` (bank boxes). */
  readonly positions: readonly string[];
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

export const srLayout = (model: SrModel, rows: number): SrLayout => {
  switch (model) {
    case "sr-train":
      return { model, rows, modems: 16, positions: range(rows).flatMap((r) => range(8).map((p) => `${r}-${p}`)) };
    case "sr-box-8":
      return { model, rows: 1, modems: 8, positions: [...LETTERS] };
    case "sr-box-bank":
      return { model, rows, modems: 8, positions: range(rows).flatMap((r) => [...LETTERS].map((l) => `${l}${r}`)) };
    case "sr-box-2-bank":
      return { model, rows, modems: 2, positions: range(rows).flatMap((r) => [...LETTERS].map((l) => `${l}${r}`)) };
  }
};

/** The row a train's modem 9-16 serves while modems 1-8 serve `row` (r+3, wrapping). */
export const trainBackRow = (row: number, rows: number): number => ((row - 1 + 3) % rows) + 1;

/** Positions modem `n` (1-based) can be connected to. */
export const reachable = (layout: SrLayout, n: number): string[] => {
  const i = n - 1;
  switch (layout.model) {
    case "sr-train":
      return layout.positions.filter((p) => Number(p.split("-")[1]) === (i % 8) + 1);
    case "sr-box-8":
      return [LETTERS[i]!];
    case "sr-box-bank":
      return layout.positions.filter((p) => p[0] === LETTERS[i]);
    case "sr-box-2-bank":
      return layout.positions.filter((p) => Math.floor(LETTERS.indexOf(p[0]!) / 4) === i);
  }
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
  switch (layout.model) {
    case "sr-train": {
      // Row r goes to modems 1-8 with row:r (modems 9-16 then take row r+3).
      const [row, place] = position.split("-").map(Number) as [number, number];
      const back = trainBackRow(row, layout.rows);
      const after = range(16).map((m) => [m, m <= 8 ? `${row}-${m}` : `${back}-${m - 8}`] as const);
      return { modem: place, commands: [`row:${row}`], affected: range(16), after };
    }
    case "sr-box-8":
      return { modem: LETTERS.indexOf(position) + 1, commands: [], affected: [], after: [] };
    case "sr-box-bank": {
      const modem = LETTERS.indexOf(position[0]!) + 1;
      return { modem, commands: [`modem>select:${modem}`, `modem>card:${Number(position.slice(1))}`], affected: [modem], after: [[modem, position]] };
    }
    case "sr-box-2-bank": {
      const letter = LETTERS.indexOf(position[0]!);
      const modem = Math.floor(letter / 4) + 1;
      const card = (Number(position.slice(1)) - 1) * 4 + (letter % 4) + 1;
      return { modem, commands: [`modem>select:${modem}`, `modem>card:${card}`], affected: [modem], after: [[modem, position]] };
    }
  }
};

/** `modem>status` reply: `ON:<position>` / `OFF:<position>` (`-` when its contacts are open). */
export const parseModemStatus = (line: string): { powered: boolean; position: string | null } | null => {
  const match = /^(ON|OFF):(\S+)$/.exec(line.trim());
  if (!match) return null;
  return { powered: match[1] === "ON", position: match[2] === "-" ? null : match[2]! };
};
