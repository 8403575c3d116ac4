/**
 * The device models, one row each (../shared/specs/sr-navigator-notes.md, model table). The
 * configuration, the registry, the SR-Navigator facade, the SR driver and the simulator all
 * read this table; a new model is one row here, plus a driver when its command language is
 * new. Pure data and the layouts that follow from it.
 */

/** How a position is written (its `place`). */
export type PlaceFormat =
  /** `2`: modem 2's only SIM (a plain pool). */
  | "number"
  /** `A`..`H`: the modem's only SIM, by letter (SR-Box-8). */
  | "letter"
  /** `3-5`: bank row 3, place 5 (SR-Train). */
  | "row-place"
  /** `C12`: letter, bank row; a modem owns 8 / modems letters (SR-Box-Bank, SR-Box-2-Bank). */
  | "letter-row"
  /** `1-5`: modem 1, its card 5 (SR-Organizer; a dual-SIM modem's slot). */
  | "modem-card";

/** Which modems move together when a card is switched in. */
export type SwitchGroup =
  /** One SIM per modem: nothing moves. */
  | { readonly kind: "none" }
  /** Each modem is switched on its own. */
  | { readonly kind: "modem" }
  /**
   * One command moves every modem to a bank row: the first half of the modems serve row r,
   * the second half row r + backRowOffset (wrapping), so each place is reached by two modems.
   */
  | { readonly kind: "row"; readonly backRowOffset: number };

/** The driver that speaks the model's command language. */
export type DriverKind = "sr-serial" | "fixed" | "quectel-dsim";

export interface ModelRow {
  /** As SR-Navigator prints it (getAgregators, getNumbers). */
  readonly name: string;
  /** Modems (channels); null: as many as the configuration lists. */
  readonly modems: number | null;
  /** Bank rows: the default and the limits (min = max: fixed, a configured value is ignored). */
  readonly rows: { readonly default: number; readonly min: number; readonly max: number };
  readonly place: PlaceFormat;
  readonly switchGroup: SwitchGroup;
  readonly driver: DriverKind;
  /** Real hardware needs the controller's own line (`bank` in the configuration). */
  readonly needsBank: boolean;
  /** Its cards can also take calls (SR-Navigator's WAIT_SMS_CALL). */
  readonly takesCalls: boolean;
  /** Idle rotation when the configuration does not say (0: never rotate). */
  readonly rotateEveryMs: number;
}

const each = { kind: "modem" } as const;
const none = { kind: "none" } as const;
const fixedRows = (n: number) => ({ default: n, min: n, max: n });

export const MODELS = {
  pool: { name: "Modem-Pool", modems: null, rows: fixedRows(1), place: "number", switchGroup: none, driver: "fixed", needsBank: false, takesCalls: true, rotateEveryMs: 0 },
  // Rows are the two slots, switched by the modem itself (AT+QDSIM).
  "dual-sim": { name: "Dual-SIM", modems: null, rows: fixedRows(2), place: "modem-card", switchGroup: each, driver: "quectel-dsim", needsBank: false, takesCalls: true, rotateEveryMs: 60_000 },
  "sr-train": {
    name: "SR-Train",
    modems: 16,
    rows: { default: 8, min: 4, max: 32 },
    place: "row-place",
    switchGroup: { kind: "row", backRowOffset: 3 },
    driver: "sr-serial",
    needsBank: true,
    takesCalls: false,
    rotateEveryMs: 60_000,
  },
  "sr-box-8": { name: "SR-Box-8", modems: 8, rows: fixedRows(1), place: "letter", switchGroup: none, driver: "fixed", needsBank: false, takesCalls: true, rotateEveryMs: 0 },
  "sr-box-bank": { name: "SR-Box-Bank", modems: 8, rows: { default: 8, min: 1, max: 64 }, place: "letter-row", switchGroup: each, driver: "sr-serial", needsBank: true, takesCalls: true, rotateEveryMs: 60_000 },
  "sr-box-2-bank": { name: "SR-Box-2-Bank", modems: 2, rows: { default: 8, min: 1, max: 64 }, place: "letter-row", switchGroup: each, driver: "sr-serial", needsBank: true, takesCalls: true, rotateEveryMs: 60_000 },
  // 2 modems x 8 cards. Its place is `modem-card` (`1-5`), as SR-Navigator prints it, rather
  // than the box banks' letters; it switches like the SR-Box-2-Bank (`modem>select:M`,
  // `modem>card:C`, C counting the modem's own cards), so it runs on the same driver.
  "sr-organizer": { name: "SR-Organizer", modems: 2, rows: fixedRows(8), place: "modem-card", switchGroup: each, driver: "sr-serial", needsBank: true, takesCalls: true, rotateEveryMs: 60_000 },
} as const satisfies Record<string, ModelRow>;

export type ModelId = keyof typeof MODELS;
export const MODEL_IDS = Object.keys(MODELS) as ModelId[];

/** Models whose modem count is fixed: aggregators the simulator builds whole, bank and modems. */
export type AggregatorModel = { [K in ModelId]: (typeof MODELS)[K]["modems"] extends number ? K : never }[ModelId];
export const AGGREGATOR_MODELS = MODEL_IDS.filter((id): id is AggregatorModel => MODELS[id].modems !== null);

export const isModel = (value: unknown): value is ModelId => typeof value === "string" && Object.hasOwn(MODELS, value);

export const modelRow = (id: ModelId): ModelRow => MODELS[id];

/** The name SR-Navigator prints for a model id (an unknown id as it is). */
export const modelName = (id: string): string => (isModel(id) ? MODELS[id].name : id);

/** The model id behind a printed name, if any. */
export const modelOfName = (name: string): ModelId | null => MODEL_IDS.find((id) => MODELS[id].name === name) ?? null;

/** The rows a device of the model has: fixed ones whatever was asked, else the asked or the default. */
export const rowsOf = (id: ModelId, asked?: number): number => {
  const { rows } = MODELS[id];
  return rows.min === rows.max ? rows.min : (asked ?? rows.default);
};

export const LETTERS = "ABCDEFGH";

export interface Layout {
  readonly model: ModelId;
  readonly rows: number;
  readonly modems: number;
  /** Every position, in the model's place format, in the bank's own order. */
  readonly positions: readonly string[];
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

/** A device's positions; `modems` is needed only where the row leaves the count to the configuration. */
export const layoutOf = (model: ModelId, rows: number, modems?: number): Layout => {
  const row: ModelRow = MODELS[model];
  const count = row.modems ?? modems ?? 0;
  const positions = ((): string[] => {
    switch (row.place) {
      case "number":
        return range(count).map(String);
      case "letter":
        return range(count).map((n) => LETTERS[n - 1]!);
      case "row-place":
        return range(rows).flatMap((r) => range(count / 2).map((p) => `${r}-${p}`));
      case "letter-row":
        return range(rows).flatMap((r) => [...LETTERS].map((l) => `${l}${r}`));
      case "modem-card":
        return range(count).flatMap((m) => range(rows).map((c) => `${m}-${c}`));
    }
  })();
  return { model, rows, modems: count, positions };
};

/**
 * Positions modem `n` (1-based) can be connected to, in the order of its cards: on models
 * switched per modem, `modem>card:C` puts the C-th of them in.
 */
export const reachable = (layout: Layout, n: number): string[] => {
  if (n < 1 || n > layout.modems) return [];
  const i = n - 1;
  switch (MODELS[layout.model].place) {
    case "number":
    case "letter":
      return [layout.positions[i]!];
    case "row-place":
      return layout.positions.filter((p) => Number(p.split("-")[1]) === (i % (layout.modems / 2)) + 1);
    case "letter-row": {
      const perModem = LETTERS.length / layout.modems;
      return layout.positions.filter((p) => Math.floor(LETTERS.indexOf(p[0]!) / perModem) === i);
    }
    case "modem-card":
      return layout.positions.filter((p) => p.split("-")[0] === String(n));
  }
};
