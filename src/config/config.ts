/**
 * simgate.config.json: where to listen, which database, which devices. Decoded at start by
 * the schemas in config-schema.ts; a mistake, an unknown key included, is reported with its
 * place (`devices[1].modems[0]: ...`) and nothing starts. Environment variables override the file (PORT, HOST, DATABASE_URL,
 * SIMGATE_DATA_DIR).
 */
import { Either, type ParseResult, Schema, type SchemaAST } from "effect";
import type { ModelId } from "../../protocol/bank/models";
import { ConfigEnv, ConfigFile, type ModemTarget } from "./config-schema";
import type { Retention } from "./retention";
import { describeParseError } from "./schema-errors";

/** A row of the model table (protocol/bank/models.ts). */
export type DeviceModel = ModelId;

/** A modem's transport: a serial device path or `tcp://host:port`. */
export type { ModemTarget };

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

const refusal = (error: ParseResult.ParseError, source: string, schema: { readonly ast: SchemaAST.AST }) => new ConfigError(describeParseError(error, source, schema));

/** The file (or DEMO_CONFIG) through its schema, an unknown key refused; then the environment over it. */
export const parseConfig = (value: unknown, env: NodeJS.ProcessEnv, where = "config"): Config => {
  const file = Schema.decodeUnknownEither(ConfigFile, { onExcessProperty: "error" })(value);
  if (Either.isLeft(file)) throw refusal(file.left, where, ConfigFile);
  const set = Object.fromEntries(Object.keys(ConfigEnv.fields).flatMap((name) => (env[name] ? [[name, env[name]]] : [])));
  const overrides = Schema.decodeUnknownEither(ConfigEnv)(set);
  if (Either.isLeft(overrides)) throw refusal(overrides.left, "", ConfigEnv);
  return withOverrides(file.right, overrides.right);
};

const withOverrides = (file: ConfigFile, env: typeof ConfigEnv.Type): Config => ({
  http: { host: env.HOST ?? file.http.host ?? "127.0.0.1", port: env.PORT ?? file.http.port ?? 8080 },
  database: env.DATABASE_URL
    ? { kind: "postgres", url: env.DATABASE_URL }
    : file.database.url !== undefined
      ? { kind: "postgres", url: file.database.url }
      : { kind: "embedded", dataDir: env.SIMGATE_DATA_DIR ?? file.database.dataDir ?? "./data" },
  devices: file.devices,
  ownNumberCodes: file.ownNumberCodes,
  demoSmsEveryMs: file.demo.smsEveryMs,
  simulatedTiming: file.demo.timing,
  simulatedSeed: file.demo.seed,
  retention: file.retention,
  resendUnknownAfterMs: file.sending.resendUnknownAfterMinutes === null ? null : file.sending.resendUnknownAfterMinutes * 60_000,
});

/** What runs when there is no configuration file: one simulated SR-Train, 64 SIMs. */
export const DEMO_CONFIG = {
  devices: [{ id: "train", title: "Demo SR-Train", model: "sr-train", rows: 4, modems: "simulated", personality: "simcom-sim800", rotateEveryMs: 30_000 }],
};
