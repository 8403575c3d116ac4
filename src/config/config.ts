/**
 * simgate.config.json: where to listen, which database, which devices. Checked field by
 * field at start; a mistake is reported with its place (`devices[1].modems[0]: ...`) and
 * nothing starts. Environment variables override the file (PORT, HOST, DATABASE_URL,
 * SIMGATE_DATA_DIR).
 */
import { parseTcpTarget } from "../../drivers/transport/tcp";
import { isModel, MODEL_IDS, modelRow, type ModelId } from "../../protocol/bank/models";
import { DEFAULT_RETENTION, type Retention } from "./retention";

/** A row of the model table (protocol/bank/models.ts). */
export type DeviceModel = ModelId;

/** A modem's transport: a serial device path or `tcp://host:port`. */
export type ModemTarget = { readonly kind: "serial"; readonly path: string } | { readonly kind: "tcp"; readonly url: string };

export interface DeviceConfig {
  readonly id: string;
  readonly title: string;
  readonly model: DeviceModel;
  /** Real transports, one per modem; or "simulated" for a device on the virtual network. */
  readonly modems: readonly ModemTarget[] | "simulated";
  /** Bank rows of a simulated SR model. */
  readonly rows?: number;
  /** Modems of a simulated pool (default 4). */
  readonly count?: number;
  /** A simulated device's modem personality. */
  readonly personality?: string;
  /** Real SR hardware: the controller's serial line or tcp:// address. */
  readonly bank?: ModemTarget;
  /** Idle rotation: how long each set of cards stays on the modems (0: never rotate). */
  readonly rotateEveryMs: number;
  /** The API user who owns the device (SimFolder API); absent: only the admin user sees it. */
  readonly owner?: string;
}

export interface Config {
  readonly http: { readonly host: string; readonly port: number };
  readonly database: { readonly kind: "postgres"; readonly url: string } | { readonly kind: "embedded"; readonly dataDir: string };
  readonly devices: readonly DeviceConfig[];
  /** USSD codes that return the SIM's own number, by MCC+MNC. */
  readonly ownNumberCodes: Readonly<Record<string, string>>;
  /** Demo traffic on simulated devices: a code SMS this often (0: none). */
  readonly demoSmsEveryMs: number;
  readonly simulatedTiming: "instant" | "realistic";
  /** Identities of simulated modems and SIMs derive from it (hosts sharing a database need different ones). */
  readonly simulatedSeed: number;
  /** Days each kind of record is kept (0: forever). */
  readonly retention: Retention;
  /**
   * An outgoing SMS whose send was cut off (crash, silent modem) is marked unknown and sent
   * again after this long without a delivery report; null (the default): never again.
   */
  readonly resendUnknownAfterMs: number | null;
}

export class ConfigError extends Error {}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const check: (ok: boolean, where: string, what: string) => asserts ok = (ok, where, what) => {
  if (!ok) throw new ConfigError(`${where}: ${what}`);
};
const onlyKeys = (o: Obj, keys: readonly string[], where: string) => {
  for (const key of Object.keys(o)) check(keys.includes(key), `${where}.${key}`, `unknown setting (known: ${keys.join(", ")})`);
};

const port = (value: unknown, where: string): number => {
  const n = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value;
  check(Number.isInteger(n) && (n as number) >= 0 && (n as number) <= 65535, where, "must be a port number (0-65535)");
  return n as number;
};

const modemTarget = (value: unknown, where: string): ModemTarget => {
  check(typeof value === "string" && value.length > 0, where, 'must be a device path ("/dev/ttyUSB0") or "tcp://host:port"');
  if (value.startsWith("tcp://")) {
    check(parseTcpTarget(value) !== null, where, `"${value}" is not tcp://host:port`);
    return { kind: "tcp", url: value };
  }
  check(value.startsWith("/"), where, `"${value}" must be an absolute device path or tcp://host:port`);
  return { kind: "serial", path: value };
};

const device = (value: unknown, where: string): DeviceConfig => {
  check(isObj(value), where, "must be an object");
  onlyKeys(value, ["id", "title", "model", "modems", "rows", "count", "personality", "bank", "rotateEveryMs", "owner"], where);
  check(value.owner === undefined || (typeof value.owner === "string" && /^[\w.-]{1,64}$/.test(value.owner)), `${where}.owner`, "must be an API user's name (letters, digits, '.', '_', '-')");
  check(typeof value.id === "string" && /^[A-Za-z0-9_.-]{1,64}$/.test(value.id), `${where}.id`, "must be 1-64 letters, digits, '.', '_' or '-'");
  check(value.title === undefined || typeof value.title === "string", `${where}.title`, "must be a string");
  check(isModel(value.model), `${where}.model`, `must be one of ${MODEL_IDS.join(", ")}`);
  const model = value.model;
  const row = modelRow(model);
  check(value.rows === undefined || (Number.isInteger(value.rows) && (value.rows as number) >= 1 && (value.rows as number) <= 64), `${where}.rows`, "must be 1-64");
  check(value.personality === undefined || typeof value.personality === "string", `${where}.personality`, "must be a personality name");
  check(value.count === undefined || (Number.isInteger(value.count) && (value.count as number) >= 1 && (value.count as number) <= 256), `${where}.count`, "must be 1-256");
  check(
    value.rotateEveryMs === undefined || (Number.isInteger(value.rotateEveryMs) && (value.rotateEveryMs === 0 || (value.rotateEveryMs as number) >= 1_000)),
    `${where}.rotateEveryMs`,
    "must be 0 (no rotation) or at least 1000 ms",
  );
  let modems: DeviceConfig["modems"];
  let bank: ModemTarget | undefined;
  if (value.modems === "simulated") {
    modems = "simulated";
    check(value.bank === undefined, `${where}.bank`, "a simulated device has a simulated bank; leave bank out");
  } else {
    check(Array.isArray(value.modems) && value.modems.length > 0, `${where}.modems`, 'must be "simulated" or a non-empty list of device paths / tcp:// addresses');
    modems = (value.modems as unknown[]).map((m, i) => modemTarget(m, `${where}.modems[${i}]`));
    const wanted = row.modems;
    check(wanted === null || modems.length === wanted, `${where}.modems`, `"${model}" has ${wanted} modems; list all ${wanted}, in the controller's order`);
    if (!row.needsBank)
      check(
        value.bank === undefined,
        `${where}.bank`,
        row.driver === "quectel-dsim" ? `"${model}" modems switch their own slots (AT+QDSIM); leave bank out` : `"${model}" has one SIM per modem and no bank to switch`,
      );
    else {
      check(value.bank !== undefined, `${where}.bank`, `"${model}" needs the SR controller's serial line or tcp:// address`);
      bank = modemTarget(value.bank, `${where}.bank`);
    }
  }
  return {
    id: value.id,
    title: typeof value.title === "string" ? value.title : value.id,
    model,
    modems,
    ...(value.rows !== undefined ? { rows: value.rows as number } : {}),
    ...(value.count !== undefined ? { count: value.count as number } : {}),
    ...(value.personality !== undefined ? { personality: value.personality as string } : {}),
    ...(bank ? { bank } : {}),
    ...(typeof value.owner === "string" ? { owner: value.owner } : {}),
    rotateEveryMs: (value.rotateEveryMs as number | undefined) ?? row.rotateEveryMs,
  };
};

export const parseConfig = (value: unknown, env: NodeJS.ProcessEnv, where = "config"): Config => {
  check(isObj(value), where, "must be a JSON object");
  onlyKeys(value, ["http", "database", "devices", "ownNumberCodes", "demo", "retention", "sending"], where);
  const http = value.http ?? {};
  check(isObj(http), `${where}.http`, "must be an object");
  onlyKeys(http, ["host", "port"], `${where}.http`);
  check(http.host === undefined || typeof http.host === "string", `${where}.http.host`, "must be a host name or address");
  const database = value.database ?? {};
  check(isObj(database), `${where}.database`, 'must be {"url": "postgres://..."} or {"dataDir": "./data"}');
  onlyKeys(database, ["url", "dataDir"], `${where}.database`);
  check(!(database.url && database.dataDir), `${where}.database`, "give either url or dataDir, not both");
  check(database.url === undefined || (typeof database.url === "string" && /^postgres(ql)?:\/\//.test(database.url)), `${where}.database.url`, "must be a postgres:// URL");
  check(database.dataDir === undefined || typeof database.dataDir === "string", `${where}.database.dataDir`, "must be a directory path");
  check(Array.isArray(value.devices) && value.devices.length > 0, `${where}.devices`, "must list at least one device");
  const devices = (value.devices as unknown[]).map((d, i) => device(d, `${where}.devices[${i}]`));
  const ids = new Set<string>();
  devices.forEach((d, i) => {
    check(!ids.has(d.id), `${where}.devices[${i}].id`, `"${d.id}" is used twice`);
    ids.add(d.id);
  });
  const paths = new Set<string>();
  devices.forEach((d, i) => {
    if (d.modems === "simulated") return;
    d.modems.forEach((m, j) => {
      const key = m.kind === "serial" ? m.path : m.url;
      check(!paths.has(key), `${where}.devices[${i}].modems[${j}]`, `${key} is listed twice (two actors on one port would fight over it)`);
      paths.add(key);
    });
    if (d.bank) {
      const key = d.bank.kind === "serial" ? d.bank.path : d.bank.url;
      check(!paths.has(key), `${where}.devices[${i}].bank`, `${key} is also listed as a modem`);
      paths.add(key);
    }
  });
  const codes = value.ownNumberCodes ?? {};
  check(isObj(codes) && Object.entries(codes).every(([k, v]) => /^\d{5,6}$/.test(k) && typeof v === "string"), `${where}.ownNumberCodes`, 'must map MCC+MNC ("25001") to a USSD code ("*111*0887#")');
  const demo = value.demo ?? {};
  check(isObj(demo), `${where}.demo`, "must be an object");
  onlyKeys(demo, ["smsEveryMs", "timing", "seed"], `${where}.demo`);
  check(demo.seed === undefined || (Number.isInteger(demo.seed) && (demo.seed as number) >= 1 && (demo.seed as number) <= 9_999), `${where}.demo.seed`, "must be a whole number from 1 to 9999");
  check(demo.smsEveryMs === undefined || (Number.isInteger(demo.smsEveryMs) && (demo.smsEveryMs as number) >= 0), `${where}.demo.smsEveryMs`, "must be a whole number of ms");
  check(demo.timing === undefined || demo.timing === "instant" || demo.timing === "realistic", `${where}.demo.timing`, 'must be "instant" or "realistic"');

  const retention = value.retention ?? {};
  check(isObj(retention), `${where}.retention`, "must be an object");
  onlyKeys(retention, Object.keys(DEFAULT_RETENTION), `${where}.retention`);
  for (const [k, v] of Object.entries(retention))
    check(Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 36_500, `${where}.retention.${k}`, "must be a whole number of days (0 keeps forever)");

  const sending = value.sending ?? {};
  check(isObj(sending), `${where}.sending`, "must be an object");
  onlyKeys(sending, ["resendUnknownAfterMinutes"], `${where}.sending`);
  const resend = sending.resendUnknownAfterMinutes;
  check(resend === undefined || resend === null || (Number.isInteger(resend) && (resend as number) >= 1 && (resend as number) <= 10_080), `${where}.sending.resendUnknownAfterMinutes`, "must be null (never) or whole minutes from 1 to 10080");

  const envUrl = env.DATABASE_URL || undefined;
  return {
    http: {
      host: env.HOST || (typeof http.host === "string" ? http.host : "127.0.0.1"),
      port: env.PORT !== undefined && env.PORT !== "" ? port(env.PORT, "PORT") : http.port === undefined ? 8080 : port(http.port, `${where}.http.port`),
    },
    database: envUrl
      ? { kind: "postgres", url: envUrl }
      : typeof database.url === "string"
        ? { kind: "postgres", url: database.url }
        : { kind: "embedded", dataDir: env.SIMGATE_DATA_DIR || (typeof database.dataDir === "string" ? database.dataDir : "./data") },
    devices,
    ownNumberCodes: codes as Record<string, string>,
    demoSmsEveryMs: (demo.smsEveryMs as number | undefined) ?? 30_000,
    simulatedTiming: (demo.timing as "instant" | "realistic" | undefined) ?? "realistic",
    simulatedSeed: (demo.seed as number | undefined) ?? 1,
    retention: { ...DEFAULT_RETENTION, ...(retention as Partial<Retention>) },
    resendUnknownAfterMs: typeof resend === "number" ? resend * 60_000 : null,
  };
};

/** What runs when there is no configuration file: one simulated SR-Train, 64 SIMs. */
export const DEMO_CONFIG = {
  devices: [{ id: "train", title: "Demo SR-Train", model: "sr-train", rows: 4, modems: "simulated", personality: "simcom-sim800", rotateEveryMs: 30_000 }],
};
