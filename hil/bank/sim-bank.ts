/**
 * A SIM bank (aggregator) with the SR models' topologies (../shared/specs/sr-navigator-notes.md):
 * which positions exist, which modem can reach which position, and how a switch moves cards.
 * A switch takes the old card out of the modem and puts the new one in; the modem then shows
 * +CPIN: NOT READY, READY and re-registers, as hardware does.
 */
import { LETTERS, reachable, SR_MODELS, srLayout, trainBackRow, type SrLayout, type SrModel } from "../../protocol/sr/topology";
import type { VirtualModem } from "../modem/modem";
import type { SimCard } from "../network/sim-card";

export type BankModel = SrModel;
export const BANK_MODELS = SR_MODELS;

export class BankError extends Error {}

export class SimBank {
  readonly layout: SrLayout;
  readonly rows: number;
  private modems: VirtualModem[] = [];
  private cards = new Map<string, SimCard>();
  /** SR-Train: the selected row. */
  row = 1;
  /** Box models: each modem's selected row (and, on the 2-modem box, letter). */
  private readonly modemRow: number[];
  private readonly modemLetter: number[];
  /** Modems held on their card through row switches (`modem>fix:N`). */
  readonly fixed = new Set<number>();
  /** The modem `modem>...` commands act on (1-based). */
  selected = 1;
  /** Modems whose SIM contacts are open (`modem>disconnect`). */
  private readonly disconnected = new Set<number>();

  constructor(
    readonly id: string,
    readonly model: BankModel,
    options: { rows?: number } = {},
  ) {
    const maxRows = model === "sr-box-bank" || model === "sr-box-2-bank" ? 64 : 32;
    this.rows = model === "sr-box-8" ? 1 : (options.rows ?? 8);
    if (!Number.isInteger(this.rows) || this.rows < 1 || this.rows > maxRows) throw new BankError(`${model}: rows must be 1..${maxRows}`);
    if (model === "sr-train" && this.rows < 4) throw new BankError("sr-train: needs at least 4 rows (modems 9-16 serve row r+3)");
    this.layout = srLayout(model, this.rows);
    this.modemRow = Array.from({ length: this.layout.modems }, () => 1);
    this.modemLetter = Array.from({ length: this.layout.modems }, (_, i) => (model === "sr-box-2-bank" ? i * 4 : i));
  }

  install(modems: readonly VirtualModem[], cards: readonly SimCard[]): void {
    if (modems.length !== this.layout.modems) throw new BankError(`${this.model} has ${this.layout.modems} modems`);
    this.modems = [...modems];
    this.layout.positions.forEach((label, i) => {
      const card = cards[i];
      if (card) this.cards.set(label, card);
    });
    for (let n = 1; n <= this.modems.length; n++) this.modems[n - 1]!.setSim(this.cardFor(n));
  }

  get modemList(): readonly VirtualModem[] {
    return this.modems;
  }

  cardAt(position: string): SimCard | undefined {
    return this.cards.get(position);
  }

  /** The position modem n (1-based) is connected to now. */
  positionOf(n: number): string {
    const i = n - 1;
    switch (this.model) {
      case "sr-train": {
        const row = i < 8 ? this.row : trainBackRow(this.row, this.rows);
        return `${row}-${(i % 8) + 1}`;
      }
      case "sr-box-8":
        return LETTERS[i]!;
      default:
        return `${LETTERS[this.modemLetter[i]!]}${this.modemRow[i]}`;
    }
  }

  /** Positions a modem can reach (for the scheduler and the API's listings). */
  reachable(n: number): string[] {
    return reachable(this.layout, n);
  }

  private cardFor(n: number): SimCard | null {
    if (this.disconnected.has(n)) return null;
    return this.cards.get(this.positionOf(n)) ?? null;
  }

  /** Moves cards to match the selection; only modems whose card changes see a switch. */
  private apply(): void {
    this.modems.forEach((modem, i) => {
      const card = this.cardFor(i + 1);
      if (modem.sim !== card) modem.setSim(card);
    });
  }

  selectRow(row: number): void {
    if (this.model !== "sr-train") throw new BankError(`${this.model} has no train rows`);
    if (!Number.isInteger(row) || row < 1 || row > this.rows) throw new BankError(`row must be 1..${this.rows}`);
    this.row = row;
    // A fixed modem keeps the card it holds (it waits for a call); the others follow the row.
    this.modems.forEach((modem, i) => {
      if (this.fixed.has(i + 1)) return;
      const card = this.cardFor(i + 1);
      if (modem.sim !== card) modem.setSim(card);
    });
  }

  selectModem(n: number): void {
    if (!Number.isInteger(n) || n < 1 || n > this.modems.length) throw new BankError(`modem must be 1..${this.modems.length}`);
    this.selected = n;
  }

  /** Box models: the selected modem takes bank row r (on the 2-modem box, card r of its 4 letters x rows). */
  selectCard(r: number): void {
    const i = this.selected - 1;
    if (this.model === "sr-box-bank") {
      if (!Number.isInteger(r) || r < 1 || r > this.rows) throw new BankError(`card row must be 1..${this.rows}`);
      this.modemRow[i] = r;
    } else if (this.model === "sr-box-2-bank") {
      const count = this.rows * 4;
      if (!Number.isInteger(r) || r < 1 || r > count) throw new BankError(`card must be 1..${count}`);
      this.modemLetter[i] = i * 4 + ((r - 1) % 4);
      this.modemRow[i] = Math.floor((r - 1) / 4) + 1;
    } else throw new BankError(`${this.model} has no card selection`);
    this.apply();
  }

  /** Connects a modem to a position directly (the API's cardSelect). */
  connectPosition(position: string): number {
    const n = this.modems.findIndex((_, i) => this.reachable(i + 1).includes(position)) + 1;
    if (n === 0) throw new BankError(`no position "${position}" in ${this.model}`);
    if (this.model === "sr-train") this.selectRow(Number(position.split("-")[0]) - (n > 8 ? 3 : 0));
    else if (this.model === "sr-box-bank") {
      this.selectModem(n);
      this.selectCard(Number(position.slice(1)));
    } else if (this.model === "sr-box-2-bank") {
      this.selectModem(n);
      this.selectCard((Number(position.slice(1)) - 1) * 4 + (LETTERS.indexOf(position[0]!) % 4) + 1);
    }
    return n;
  }

  setContacts(n: number, connected: boolean): void {
    if (connected) this.disconnected.delete(n);
    else this.disconnected.add(n);
    this.apply();
  }

  isConnected(n: number): boolean {
    return !this.disconnected.has(n);
  }

  toJSON() {
    return {
      id: this.id,
      model: this.model,
      rows: this.rows,
      row: this.model === "sr-train" ? this.row : null,
      modems: this.modems.map((m, i) => ({ modem: m.id, position: this.positionOf(i + 1), iccid: m.sim?.iccid ?? null, powered: m.powered })),
      positions: this.layout.positions.map((p) => ({ position: p, iccid: this.cards.get(p)?.iccid ?? null, number: this.cards.get(p)?.number ?? null })),
    };
  }
}
