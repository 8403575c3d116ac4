/**
 * A SIM bank (aggregator) as its row of the model table lays it out (protocol/bank/models.ts):
 * which positions exist, which modem can reach which position, and how a switch moves cards.
 * A switch takes the old card out of the modem and puts the new one in; the modem then shows
 * +CPIN: NOT READY, READY and re-registers, as hardware does.
 */
import { MODELS, type ModelRow } from "../../protocol/bank/models";
import { backRow, reachable, SR_MODELS, srLayout, type SrLayout, type SrModel } from "../../protocol/sr/topology";
import type { VirtualModem } from "../modem/modem";
import type { SimCard } from "../network/sim-card";

export type BankModel = SrModel;
export const BANK_MODELS = SR_MODELS;

export class BankError extends Error {}

export class SimBank {
  readonly layout: SrLayout;
  readonly rows: number;
  private readonly spec: ModelRow;
  private modems: VirtualModem[] = [];
  private cards = new Map<string, SimCard>();
  /** Models switched by whole rows (SR-Train): the selected row. */
  row = 1;
  /** Models switched per modem: the position each modem is on. */
  private readonly modemAt: string[];
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
    this.spec = MODELS[model];
    const { min, max } = this.spec.rows;
    this.rows = min === max ? min : (options.rows ?? this.spec.rows.default);
    if (!Number.isInteger(this.rows) || this.rows > max || this.rows < 1) throw new BankError(`${model}: rows must be 1..${max}`);
    const group = this.spec.switchGroup;
    const why = group.kind === "row" ? ` (modems ${this.spec.modems! / 2 + 1}-${this.spec.modems} serve row r+${group.backRowOffset})` : "";
    if (this.rows < min) throw new BankError(`${model}: needs at least ${min} rows${why}`);
    this.layout = srLayout(model, this.rows);
    this.modemAt = Array.from({ length: this.layout.modems }, (_, i) => this.reachable(i + 1)[0]!);
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
    if (this.spec.switchGroup.kind !== "row") return this.modemAt[n - 1]!;
    // The first half serves the selected row, the second half its back row.
    const half = this.layout.modems / 2;
    const row = n <= half ? this.row : backRow(this.layout, this.row);
    return `${row}-${((n - 1) % half) + 1}`;
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
    if (this.spec.switchGroup.kind !== "row") throw new BankError(`${this.model} has no train rows`);
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

  /** Models switched per modem: the selected modem takes its card c (the c-th position it reaches). */
  selectCard(c: number): void {
    if (this.spec.switchGroup.kind !== "modem") throw new BankError(`${this.model} has no card selection`);
    const cards = this.reachable(this.selected);
    if (!Number.isInteger(c) || c < 1 || c > cards.length) throw new BankError(`card must be 1..${cards.length}`);
    this.modemAt[this.selected - 1] = cards[c - 1]!;
    this.apply();
  }

  /** Connects a modem to a position directly (the API's cardSelect). */
  connectPosition(position: string): number {
    const n = this.modems.findIndex((_, i) => this.reachable(i + 1).includes(position)) + 1;
    if (n === 0) throw new BankError(`no position "${position}" in ${this.model}`);
    const group = this.spec.switchGroup;
    if (group.kind === "row") this.selectRow(Number(position.split("-")[0]));
    else if (group.kind === "modem") {
      this.selectModem(n);
      this.selectCard(this.reachable(n).indexOf(position) + 1);
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
      row: this.spec.switchGroup.kind === "row" ? this.row : null,
      modems: this.modems.map((m, i) => ({ modem: m.id, position: this.positionOf(i + 1), iccid: m.sim?.iccid ?? null, powered: m.powered })),
      positions: this.layout.positions.map((p) => ({ position: p, iccid: this.cards.get(p)?.iccid ?? null, number: this.cards.get(p)?.number ?? null })),
    };
  }
}
