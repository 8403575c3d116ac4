/**
 * The simulator's configuration file: a farm spec plus where to serve it. Checked field by
 * field so a mistake is reported with its place (`modems[2].personality: ...`), never as a
 * crash halfway through start-up.
 */
import type { BankSpec, FarmSpec, ModemSpec } from "./farm";
import { BANK_MODELS, type BankModel } from "./bank/sim-bank";
import type { OperatorSpec } from "./network/operator";
import type { SimCardSpec } from "./network/sim-card";
import { PERSONALITIES } from "./personalities";
import { TIMING_MODELS, TIMING_INSTANT } from "./timing";

export interface SimConfig extends FarmSpec {
  readonly manifest?: string;
  /** host:port of the control endpoint. */
  readonly control?: string;
  readonly linkDir?: string;
  readonly tcpBasePort?: number;
}

export class ConfigError extends Error {}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

const check = (ok: boolean, where: string, what: string) => {
  if (!ok) throw new ConfigError(`${where}: ${what}`);
};

const optString = (o: Obj, key: string, where: string) => {
  check(o[key] === undefined || typeof o[key] === "string", `${where}.${key}`, "must be a string");
};

const onlyKeys = (o: Obj, keys: readonly string[], where: string) => {
  for (const key of Object.keys(o)) check(keys.includes(key), `${where}.${key}`, `unknown setting (known: ${keys.join(", ")})`);
};

const modemSpec = (v: unknown, where: string): ModemSpec => {
  check(isObj(v), where, "must be an object");
  const o = v as Obj;
  onlyKeys(o, ["id", "personality", "sim", "sim2", "imei"], where);
  for (const key of ["id", "personality", "imei"]) optString(o, key, where);
  for (const key of ["sim", "sim2"]) check(o[key] === undefined || o[key] === null || typeof o[key] === "string", `${where}.${key}`, "must be an ICCID string or null");
  if (o.personality !== undefined) check(String(o.personality) in PERSONALITIES, `${where}.personality`, `unknown (known: ${Object.keys(PERSONALITIES).join(", ")})`);
  if (o.imei !== undefined) check(/^\d{15}$/.test(String(o.imei)), `${where}.imei`, "must be 15 digits");
  return o as ModemSpec;
};

const bankSpec = (v: unknown, where: string): BankSpec => {
  check(isObj(v), where, "must be an object");
  const o = v as Obj;
  onlyKeys(o, ["id", "model", "personality", "rows"], where);
  check(BANK_MODELS.includes(o.model as BankModel), `${where}.model`, `must be one of ${BANK_MODELS.join(", ")}`);
  optString(o, "id", where);
  if (o.personality !== undefined) check(String(o.personality) in PERSONALITIES, `${where}.personality`, "unknown personality");
  check(o.rows === undefined || (Number.isInteger(o.rows) && (o.rows as number) >= 1 && (o.rows as number) <= 64), `${where}.rows`, "must be an integer 1-64");
  return o as unknown as BankSpec;
};

const simSpec = (v: unknown, where: string): SimCardSpec => {
  check(isObj(v), where, "must be an object");
  const o = v as Obj;
  onlyKeys(o, ["iccid", "imsi", "number", "operator", "numberOnSim", "pin", "balance", "roaming", "denied", "smsCapacity"], where);
  check(typeof o.iccid === "string" && /^\d{18,20}F?$/.test(o.iccid), `${where}.iccid`, "must be 18-20 digits");
  check(typeof o.imsi === "string" && /^\d{6,15}$/.test(o.imsi), `${where}.imsi`, "must be 6-15 digits");
  check(typeof o.number === "string" && /^\+?\d{3,15}$/.test(o.number), `${where}.number`, "must be a phone number such as +15550100001");
  check(typeof o.operator === "string", `${where}.operator`, "must name an operator id");
  return o as unknown as SimCardSpec;
};

const operatorSpec = (v: unknown, where: string): OperatorSpec => {
  check(isObj(v), where, "must be an object");
  const o = v as Obj;
  for (const key of ["id", "name", "shortName", "mccmnc", "smsc"]) check(typeof o[key] === "string" && o[key] !== "", `${where}.${key}`, "must be a non-empty string");
  check(/^\d{5,6}$/.test(String(o.mccmnc)), `${where}.mccmnc`, "must be 5 or 6 digits");
  check(o.ussd === undefined || isObj(o.ussd), `${where}.ussd`, "must map service codes to services");
  return { ussd: {}, ...o } as unknown as OperatorSpec;
};

export const parseSimConfig = (value: unknown, where = "config"): SimConfig => {
  check(isObj(value), where, "must be a JSON object");
  const o = value as Obj;
  onlyKeys(o, ["seed", "timing", "operators", "sims", "modems", "banks", "logLimit", "manifest", "control", "linkDir", "tcpBasePort"], where);
  check(o.seed === undefined || Number.isInteger(o.seed), `${where}.seed`, "must be an integer");
  if (typeof o.timing === "string") check(o.timing in TIMING_MODELS, `${where}.timing`, `must be one of ${Object.keys(TIMING_MODELS).join(", ")} or an object`);
  else if (o.timing !== undefined) {
    check(isObj(o.timing), `${where}.timing`, "must be a name or an object of delays in ms");
    for (const [key, ms] of Object.entries(o.timing as Obj)) {
      check(key in TIMING_INSTANT, `${where}.timing.${key}`, `unknown delay (known: ${Object.keys(TIMING_INSTANT).join(", ")})`);
      check(typeof ms === "number" && ms >= 0, `${where}.timing.${key}`, "must be a number >= 0");
    }
  }
  for (const key of ["operators", "sims", "modems", "banks"]) check(o[key] === undefined || Array.isArray(o[key]), `${where}.${key}`, "must be an array");
  for (const key of ["manifest", "control", "linkDir"]) optString(o, key, where);
  check(o.tcpBasePort === undefined || (Number.isInteger(o.tcpBasePort) && (o.tcpBasePort as number) >= 0 && (o.tcpBasePort as number) < 65535), `${where}.tcpBasePort`, "must be a port number");
  const modems = ((o.modems as unknown[]) ?? []).map((m, i) => modemSpec(m, `${where}.modems[${i}]`));
  const banks = ((o.banks as unknown[]) ?? []).map((b, i) => bankSpec(b, `${where}.banks[${i}]`));
  check(modems.length + banks.length > 0, where, "needs at least one modem or bank");
  return {
    ...(o as SimConfig),
    modems,
    banks,
    ...(o.sims ? { sims: (o.sims as unknown[]).map((s, i) => simSpec(s, `${where}.sims[${i}]`)) } : {}),
    ...(o.operators ? { operators: (o.operators as unknown[]).map((s, i) => operatorSpec(s, `${where}.operators[${i}]`)) } : {}),
  };
};
