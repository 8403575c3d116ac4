/**
 * The simulator's sense of time: how long the network takes to do things, with seeded jitter
 * so a run can be replayed. Tests use the `instant` model (every delay 0, order preserved);
 * demos use `realistic`, which is close to what USB modems on a live network show.
 */

export interface TimingModel {
  /** +CMGS accepted by the SMSC. */
  readonly smsSubmitMs: number;
  /** From submit (or injection) to the recipient modem's +CMTI. */
  readonly smsDeliveryMs: number;
  /** From delivery to the status report. */
  readonly statusReportMs: number;
  /** From +CUSD request to the network's reply. */
  readonly ussdMs: number;
  /** An open USSD session the network closes when the user does not answer. */
  readonly ussdSessionTimeoutMs: number;
  /** From SIM ready (or radio on) to registered. */
  readonly registrationMs: number;
  /** From a SIM-bank switch to the new SIM being readable. */
  readonly simSwitchMs: number;
  /** From ATD to the far end ringing or answering. */
  readonly callSetupMs: number;
  /** Between RING lines of an incoming call. */
  readonly ringIntervalMs: number;
  /** From power-on or reset to the first boot line. */
  readonly bootMs: number;
  /** Each delay varies by up to this fraction, drawn from the seeded generator. */
  readonly jitter: number;
}

export const TIMING_INSTANT: TimingModel = {
  smsSubmitMs: 0,
  smsDeliveryMs: 0,
  statusReportMs: 0,
  ussdMs: 0,
  ussdSessionTimeoutMs: 30_000,
  registrationMs: 0,
  simSwitchMs: 0,
  callSetupMs: 0,
  ringIntervalMs: 1_000,
  bootMs: 0,
  jitter: 0,
};

export const TIMING_REALISTIC: TimingModel = {
  smsSubmitMs: 1_500,
  smsDeliveryMs: 3_000,
  statusReportMs: 4_000,
  ussdMs: 2_500,
  ussdSessionTimeoutMs: 60_000,
  registrationMs: 6_000,
  simSwitchMs: 2_000,
  callSetupMs: 3_000,
  ringIntervalMs: 3_000,
  bootMs: 4_000,
  jitter: 0.3,
};

export const TIMING_MODELS: Readonly<Record<string, TimingModel>> = {
  instant: TIMING_INSTANT,
  realistic: TIMING_REALISTIC,
};

/** mulberry32: small, fast, and good enough to make jitter reproducible from a seed. */
export const seededRandom = (seed: number): (() => number) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

type DelayKind = Exclude<keyof TimingModel, "jitter">;

/** Draws delays from a timing model with a seeded generator. */
export class Delays {
  private readonly random: () => number;
  constructor(
    readonly model: TimingModel,
    seed: number,
  ) {
    this.random = seededRandom(seed);
  }
  of(kind: DelayKind): number {
    const base = this.model[kind];
    if (base === 0 || this.model.jitter === 0) return base;
    return Math.max(0, Math.round(base * (1 + (this.random() * 2 - 1) * this.model.jitter)));
  }
}

/**
 * Timers the simulator schedules through, so a whole farm can be stopped at once and a test
 * can see nothing is left behind.
 */
export class TimerSet {
  private readonly live = new Set<NodeJS.Timeout>();
  after(ms: number, fn: () => void): () => void {
    const handle = setTimeout(() => {
      this.live.delete(handle);
      fn();
    }, ms);
    this.live.add(handle);
    return () => {
      clearTimeout(handle);
      this.live.delete(handle);
    };
  }
  get size(): number {
    return this.live.size;
  }
  clear(): void {
    for (const handle of this.live) clearTimeout(handle);
    this.live.clear();
  }
}
