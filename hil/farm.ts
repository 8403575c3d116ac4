/**
 * A farm: the virtual network, its SIM cards, the modems and the SIM banks, built from one
 * spec. Identities are derived from the seed, so the same spec gives the same IMEIs, ICCIDs
 * and numbers every run.
 */
import { makeIccid, makeImei, makeImsi } from "./identity";
import { VirtualModem } from "./modem/modem";
import { VirtualNetwork } from "./network/network";
import { defaultOperators, type OperatorSpec } from "./network/operator";
import type { SimCard, SimCardSpec } from "./network/sim-card";
import { personalityNamed } from "./personalities";
import { Delays, TIMING_MODELS, TimerSet, type TimingModel } from "./timing";
import { SimBank, type BankModel } from "./bank/sim-bank";

export interface ModemSpec {
  readonly id?: string;
  readonly personality?: string;
  /** ICCID of the SIM in the (first) slot; null leaves it empty. Omitted: the next free SIM. */
  readonly sim?: string | null;
  /** Second slot of a dual-SIM personality (omitted: the next free SIM; null: empty). */
  readonly sim2?: string | null;
  readonly imei?: string;
}

export interface BankSpec {
  readonly id?: string;
  readonly model: BankModel;
  readonly personality?: string;
  /** Bank rows for models that have them (default: the model's); SIMs fill every position. */
  readonly rows?: number;
}

export interface FarmSpec {
  readonly seed?: number;
  readonly timing?: "instant" | "realistic" | Partial<TimingModel>;
  readonly operators?: readonly OperatorSpec[];
  /** Explicit SIM cards; generated ones are added when modems or banks need more. */
  readonly sims?: readonly SimCardSpec[];
  readonly modems?: readonly ModemSpec[];
  readonly banks?: readonly BankSpec[];
  /** Messages kept per modem log (0 turns logging off, as the benchmark does). */
  readonly logLimit?: number;
}

export class FarmError extends Error {}

export const resolveTiming = (timing: FarmSpec["timing"]): TimingModel => {
  if (timing === undefined) return TIMING_MODELS.instant!;
  if (typeof timing === "string") {
    const model = TIMING_MODELS[timing];
    if (!model) throw new FarmError(`unknown timing "${timing}" (known: ${Object.keys(TIMING_MODELS).join(", ")})`);
    return model;
  }
  return { ...TIMING_MODELS.instant!, ...timing };
};

export class Farm {
  readonly network: VirtualNetwork;
  readonly modems = new Map<string, VirtualModem>();
  readonly banks = new Map<string, SimBank>();
  readonly timers = new TimerSet();
  readonly seed: number;
  private readonly delays: Delays;
  private generated = 0;

  constructor(readonly spec: FarmSpec) {
    this.seed = spec.seed ?? 1;
    this.delays = new Delays(resolveTiming(spec.timing), this.seed);
    const operators = spec.operators ?? defaultOperators();
    if (operators.length === 0) throw new FarmError("the network needs at least one operator");
    this.network = new VirtualNetwork({ operators, sims: spec.sims ?? [], delays: this.delays, timers: this.timers });
    const explicit = new Set<string>();
    for (const m of spec.modems ?? []) for (const iccid of [m.sim, m.sim2]) if (iccid) explicit.add(iccid);
    const free = [...this.network.sims.values()].filter((s) => !explicit.has(s.iccid));
    const takeSim = (): SimCard => free.shift() ?? this.generateSim();
    const lookup = (iccid: string): SimCard => {
      const sim = this.network.sims.get(iccid);
      if (!sim) throw new FarmError(`modem SIM ${iccid} is not among the farm's SIM cards`);
      return sim;
    };
    (spec.modems ?? []).forEach((m, i) => {
      const first = m.sim === null ? null : m.sim ? lookup(m.sim) : takeSim();
      // A dual-SIM modem gets a card in its second slot too, unless told otherwise.
      const dual = personalityNamed(m.personality ?? "generic").dualSim === true;
      const second = m.sim2 ? lookup(m.sim2) : dual && m.sim2 !== null ? takeSim() : null;
      this.addModem({ id: m.id ?? `modem-${String(i + 1).padStart(2, "0")}`, personality: m.personality ?? "generic", sims: [first, second], ...(m.imei ? { imei: m.imei } : {}) });
    });
    (spec.banks ?? []).forEach((b, i) => {
      const id = b.id ?? `bank-${i + 1}`;
      const bank = new SimBank(id, b.model, b.rows !== undefined ? { rows: b.rows } : {});
      const modems = Array.from({ length: bank.layout.modems }, (_, n) =>
        this.addModem({ id: `${id}-m${String(n + 1).padStart(2, "0")}`, personality: b.personality ?? "generic", sims: [null, null] }),
      );
      const cards = bank.layout.positions.map(() => takeSim());
      bank.install(modems, cards);
      this.banks.set(id, bank);
    });
  }

  private addModem(opts: { id: string; personality: string; sims: (SimCard | null)[]; imei?: string }): VirtualModem {
    if (this.modems.has(opts.id)) throw new FarmError(`modem id "${opts.id}" is used twice`);
    const personality = personalityNamed(opts.personality);
    const n = this.modems.size + 1;
    const modem = new VirtualModem({
      id: opts.id,
      imei: opts.imei ?? makeImei(personality.tac, this.seed * 10_000 + n),
      personality,
      network: this.network,
      delays: this.delays,
      timers: this.timers,
      cellSeed: n,
      sims: personality.dualSim ? opts.sims : opts.sims.slice(0, 1),
      ...(this.spec.logLimit !== undefined ? { logLimit: this.spec.logLimit } : {}),
    });
    this.modems.set(opts.id, modem);
    return modem;
  }

  /** A SIM with identities derived from the seed, spread over the operators. */
  private generateSim(): SimCard {
    const n = ++this.generated;
    const operators = [...this.network.operators.values()];
    const op = operators[(n - 1) % operators.length]!;
    const serial = this.seed * 100_000 + n;
    return this.network.addSim({
      iccid: makeIccid(operators.indexOf(op) + 1, serial),
      imsi: makeImsi(op.mccmnc, serial),
      number: `+1555${String(this.seed % 100).padStart(2, "0")}${String(n).padStart(5, "0")}`,
      operator: op.id,
      balance: 10 + ((n * 37) % 900) / 10,
    });
  }

  modem(id: string): VirtualModem {
    const m = this.modems.get(id);
    if (!m) throw new FarmError(`no modem "${id}"`);
    return m;
  }

  /** Powers every modem on as if it booted before anyone opened its port (no banner). */
  start(): void {
    for (const modem of this.modems.values()) modem.powerOn({ quiet: true });
  }

  /**
   * Resolves once every powered modem holding a SIM has read it and, unless it waits for a
   * PIN or has its radio off, finished registering (home, roaming or denied), so a test
   * starts from a settled farm. Rejects after timeoutMs.
   */
  async settled(timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const unsettled = () =>
      [...this.modems.values()].filter(
        (m) => m.powered && m.sim && (m.simState === "not-ready" || (m.simState === "ready" && m.cfun === 1 && (m.regStat === 0 || m.regStat === 2))),
      );
    while (unsettled().length > 0) {
      if (Date.now() > deadline) throw new FarmError(`not registered after ${timeoutMs} ms: ${unsettled().map((m) => m.id).join(", ")}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  stop(): void {
    for (const modem of this.modems.values()) modem.powerOff();
    this.timers.clear();
  }
}
