/**
 * Campaign profiles: fixed sizes, so two runs with the same seed and profile inject the same
 * faults in the same order. `short` runs inside `npm test`, `default` is `npm run
 * test:faults`, `long` is the overnight run with the simulator's realistic timing.
 */

import type { DatabaseKind } from "./store";

export type ProfileName = "short" | "default" | "long";

export interface Profile {
  readonly name: ProfileName;
  /**
   * The service's database: a PostgreSQL server (with its connections killed), or the
   * embedded PGlite directory the zero-setup default uses (no connections to kill; reopened
   * after every SIGKILL).
   */
  readonly database: DatabaseKind;
  /** The simulator's timing model (the service's command timeouts are its own). */
  readonly timing: "instant" | "realistic";
  /** Modem faults (everything but service kills and database connection kills). */
  readonly faults: number;
  readonly serviceKills: number;
  readonly dbKills: number;
  /** How long faults are injected; traffic runs through the same window. */
  readonly faultPhaseMs: number;
  /** Upper bound on the settle phase; it ends early once nothing is left to do. */
  readonly settleMs: number;
  /** Fault durations are drawn for instant timing and multiplied by this. */
  readonly durationScale: number;
  /** Baseline traffic outside any fault: one message every this many ms. */
  readonly backgroundEveryMs: number;
  /** Plain modems of the `pool` device, one per entry. */
  readonly poolPersonalities: readonly string[];
  /** Rows of the SR-Box-Bank (8 modems, 8 cards per row). */
  readonly bankRows: number;
  readonly bankPersonality: string;
  /** The service's idle rotation of the bank. */
  readonly rotateEveryMs: number;
  /** How long a service stays down after SIGKILL before it is started again. */
  readonly downMs: readonly [number, number];
}

const POOL = ["generic", "huawei-e173", "quectel-ec25", "simcom-sim800"] as const;
/** The other vendors the simulator models, for the longer profiles. */
const MORE = ["zte-mf190", "sierra-mc7710", "telit-he910", "ublox-sara-u201"] as const;

export const PROFILES: Readonly<Record<ProfileName, Profile>> = {
  // About three minutes on two cores: every modem fault once on each plain personality and
  // once on the bank, five hangs and five unplugs of the bank's controller (shorter faults to
  // fit), one service kill, three database kills.
  short: {
    name: "short",
    database: "server",
    timing: "instant",
    faults: 85,
    serviceKills: 1,
    dbKills: 3,
    faultPhaseMs: 90_000,
    settleMs: 45_000,
    durationScale: 0.5,
    backgroundEveryMs: 2_500,
    poolPersonalities: POOL,
    bankRows: 2,
    bankPersonality: "simcom-sim800",
    rotateEveryMs: 3_000,
    downMs: [1_000, 3_000],
  },
  // The floor: at least 500 faults, 5 service kills, 20 database connection kills,
  // within 15 minutes. Every plain personality the simulator has, one modem each.
  default: {
    name: "default",
    database: "server",
    timing: "instant",
    faults: 527,
    serviceKills: 5,
    dbKills: 20,
    faultPhaseMs: 540_000,
    settleMs: 150_000,
    durationScale: 1,
    backgroundEveryMs: 1_500,
    poolPersonalities: [...POOL, ...MORE],
    bankRows: 3,
    bankPersonality: "simcom-sim800",
    rotateEveryMs: 3_000,
    downMs: [1_000, 5_000],
  },
  // Realistic timing (registration 6 s, SIM switch 2 s, delivery 3 s, each ±30 %): slower
  // faults, longer outages, a rotation period like a live farm's, on the embedded database
  // that `npm start` uses when nothing is configured. About an hour. Its database kills
  // apply only with SIMGATE_FAULTS_DB=server.
  long: {
    name: "long",
    database: "embedded",
    timing: "realistic",
    faults: 1_020,
    serviceKills: 10,
    dbKills: 40,
    faultPhaseMs: 2_700_000,
    settleMs: 600_000,
    durationScale: 3,
    backgroundEveryMs: 3_000,
    poolPersonalities: [...POOL, ...MORE],
    bankRows: 4,
    bankPersonality: "simcom-sim800",
    rotateEveryMs: 30_000,
    downMs: [3_000, 30_000],
  },
};

export const DEFAULT_SEED = 20_240_601;

/** The profile and seed from SIMGATE_FAULTS_PROFILE, SIMGATE_FAULTS_DB and SIMGATE_FAULTS_SEED. */
export const profileFromEnv = (env: NodeJS.ProcessEnv = process.env): { profile: Profile; seed: number } => {
  const name = (env.SIMGATE_FAULTS_PROFILE || "short") as ProfileName;
  const chosen = PROFILES[name];
  if (!chosen) throw new Error(`SIMGATE_FAULTS_PROFILE must be one of ${Object.keys(PROFILES).join(", ")} (got "${name}")`);
  const database = env.SIMGATE_FAULTS_DB || chosen.database;
  if (database !== "server" && database !== "embedded") throw new Error(`SIMGATE_FAULTS_DB must be server or embedded (got "${database}")`);
  const profile: Profile = { ...chosen, database };
  const raw = env.SIMGATE_FAULTS_SEED;
  if (raw !== undefined && raw !== "" && !/^\d{1,10}$/.test(raw)) throw new Error(`SIMGATE_FAULTS_SEED must be a whole number (got "${raw}")`);
  return { profile, seed: raw ? Number(raw) : DEFAULT_SEED };
};
