/**
 * The schemas of simgate.config.json, one per section. Each leaf carries the words a person
 * reads when it is wrong (`message` with `override`, so a wrong type and a wrong value say the
 * same thing); rules that join several fields (a model's modem count, whether a bank belongs,
 * a port listed twice) are filters that point at the field to fix. Defaults that depend on
 * nothing else are filled here; the ones that depend on the model are filled when a device
 * is decoded.
 */
import { Schema } from "effect";
import { parseTcpTarget } from "../../drivers/transport/tcp";
import { MODEL_IDS, modelRow, type ModelId } from "../../protocol/bank/models";
import { DEFAULT_RETENTION, type Retention } from "./retention";

/** The leaf's own words, used whether the value had the wrong type or the wrong range. */
const says = (message: string) => ({ message: () => ({ message, override: true }) });
/** An object's words when it is not an object; what is wrong inside it keeps its own words. */
const objectSays = (message: string) => ({ message: () => message });

const isPlainObject = (u: unknown): u is { readonly [key: string]: unknown } => typeof u === "object" && u !== null && !Array.isArray(u);
/**
 * A struct whose defaults make it a transformation keeps its own annotations on the decoded
 * side; this guard in front gives it its words when the input is no object at all.
 */
const objectOf = <A, I extends { readonly [key: string]: unknown }>(message: string, struct: Schema.Schema<A, I>) =>
  Schema.compose(Schema.declare(isPlainObject, { message: () => message }), struct, { strict: false });

/** A key that must be there; when it is left out, these words (not "is missing") are said. */
const required = <A, I>(schema: Schema.Schema<A, I>, words: string) => Schema.propertySignature(schema).annotations({ missingMessage: () => words });

const wholeNumber = (min: number, max: number, message: string) => Schema.Number.pipe(Schema.int(), Schema.between(min, max)).annotations(says(message));

/** A port as a number, or as digits (the PORT variable, and files that quote it). */
export const Port = Schema.Union(
  Schema.Number,
  Schema.transform(Schema.String.pipe(Schema.pattern(/^\d+$/)), Schema.Number, { strict: true, decode: Number, encode: String }),
).pipe(Schema.int(), Schema.between(0, 65_535), Schema.annotations(says("must be a port number (0-65535)")));

export type ModemTarget = { readonly kind: "serial"; readonly path: string } | { readonly kind: "tcp"; readonly url: string };

const TargetText = Schema.String.annotations(says('must be a device path ("/dev/ttyUSB0") or "tcp://host:port"')).pipe(
  Schema.filter((text) => {
    if (text.length === 0) return 'must be a device path ("/dev/ttyUSB0") or "tcp://host:port"';
    if (text.startsWith("tcp://")) return parseTcpTarget(text) !== null || `"${text}" is not tcp://host:port`;
    return text.startsWith("/") || `"${text}" must be an absolute device path or tcp://host:port`;
  }),
);

/** A modem's or a bank's line: a serial device path or `tcp://host:port`. */
export const Target = Schema.transform(
  TargetText,
  Schema.Union(Schema.Struct({ kind: Schema.Literal("serial"), path: Schema.String }), Schema.Struct({ kind: Schema.Literal("tcp"), url: Schema.String })),
  {
    strict: true,
    decode: (text): ModemTarget => (text.startsWith("tcp://") ? { kind: "tcp", url: text } : { kind: "serial", path: text }),
    encode: (target) => (target.kind === "tcp" ? target.url : target.path),
  },
);

const targetKey = (target: ModemTarget) => (target.kind === "serial" ? target.path : target.url);

const ID_WORDS = "must be 1-64 letters, digits, '.', '_' or '-'";
const MODEL_WORDS = `must be one of ${MODEL_IDS.join(", ")}`;
const MODEMS_WORDS = 'must be "simulated" or a non-empty list of device paths / tcp:// addresses';

/** A device as written in the file. */
const DeviceFields = Schema.Struct({
  id: required(Schema.String.pipe(Schema.pattern(/^[A-Za-z0-9_.-]{1,64}$/)).annotations(says(ID_WORDS)), ID_WORDS),
  title: Schema.optional(Schema.String.annotations(says("must be a string"))),
  model: required(Schema.Literal(...MODEL_IDS).annotations(says(MODEL_WORDS)), MODEL_WORDS),
  // Either member's refusal says the same words, unless a listed line is itself wrong.
  modems: required(
    Schema.Union(
      Schema.Literal("simulated").annotations(says(MODEMS_WORDS)),
      Schema.Array(Target).annotations(objectSays(MODEMS_WORDS)).pipe(Schema.minItems(1, { message: () => MODEMS_WORDS })),
    ),
    MODEMS_WORDS,
  ),
  rows: Schema.optional(wholeNumber(1, 64, "must be 1-64")),
  count: Schema.optional(wholeNumber(1, 256, "must be 1-256")),
  personality: Schema.optional(Schema.String.annotations(says("must be a personality name"))),
  bank: Schema.optional(Target),
  rotateEveryMs: Schema.optional(
    Schema.Number.pipe(
      Schema.int(),
      Schema.filter((ms) => ms === 0 || ms >= 1_000),
    ).annotations(says("must be 0 (no rotation) or at least 1000 ms")),
  ),
  owner: Schema.optional(Schema.String.pipe(Schema.pattern(/^[\w.-]{1,64}$/)).annotations(says("must be an API user's name (letters, digits, '.', '_', '-')"))),
}).annotations(objectSays("must be an object"));

/** The model table decides how many modems a real device lists and whether it has a bank. */
const DeviceChecked = DeviceFields.pipe(
  Schema.filter((device) => {
    const row = modelRow(device.model);
    if (device.modems === "simulated")
      return device.bank === undefined || { path: ["bank"], message: "a simulated device has a simulated bank; leave bank out" };
    if (row.modems !== null && device.modems.length !== row.modems)
      return { path: ["modems"], message: `"${device.model}" has ${row.modems} modems; list all ${row.modems}, in the controller's order` };
    if (!row.needsBank && device.bank !== undefined)
      return {
        path: ["bank"],
        message:
          row.driver === "quectel-dsim" ? `"${device.model}" modems switch their own slots (AT+QDSIM); leave bank out` : `"${device.model}" has one SIM per modem and no bank to switch`,
      };
    if (row.needsBank && device.bank === undefined) return { path: ["bank"], message: `"${device.model}" needs the SR controller's serial line or tcp:// address` };
    return true;
  }),
);

/** A device as the service uses it: its title and rotation filled in from its id and model. */
export const DeviceOut = Schema.Struct({
  id: Schema.String,
  title: Schema.String,
  model: Schema.Literal(...MODEL_IDS),
  modems: Schema.Union(Schema.Literal("simulated"), Schema.Array(Schema.typeSchema(Target))),
  rows: Schema.optional(Schema.Number),
  count: Schema.optional(Schema.Number),
  personality: Schema.optional(Schema.String),
  bank: Schema.optional(Schema.typeSchema(Target)),
  owner: Schema.optional(Schema.String),
  rotateEveryMs: Schema.Number,
});

export const Device = Schema.transform(DeviceChecked, DeviceOut, {
  strict: true,
  decode: (d) => ({
    id: d.id,
    title: d.title ?? d.id,
    model: d.model,
    modems: d.modems,
    ...(d.rows !== undefined ? { rows: d.rows } : {}),
    ...(d.count !== undefined ? { count: d.count } : {}),
    ...(d.personality !== undefined ? { personality: d.personality } : {}),
    ...(d.bank ? { bank: d.bank } : {}),
    ...(d.owner !== undefined ? { owner: d.owner } : {}),
    rotateEveryMs: d.rotateEveryMs ?? modelRow(d.model as ModelId).rotateEveryMs,
  }),
  encode: (d) => d,
});

const Http = Schema.Struct({
  host: Schema.optional(Schema.String.annotations(says("must be a host name or address"))),
  port: Schema.optional(Port),
}).annotations(objectSays("must be an object"));

const Database = Schema.Struct({
  url: Schema.optional(Schema.String.pipe(Schema.pattern(/^postgres(ql)?:\/\//)).annotations(says("must be a postgres:// URL"))),
  dataDir: Schema.optional(Schema.String.annotations(says("must be a directory path"))),
})
  .annotations(objectSays('must be {"url": "postgres://..."} or {"dataDir": "./data"}'))
  .pipe(Schema.filter((db) => !(db.url && db.dataDir) || "give either url or dataDir, not both"));

const CODES_WORDS = 'must map MCC+MNC ("25001") to a USSD code ("*111*0887#")';
/** Keys are checked by a filter rather than the record's key schema, so a bad key gets these words, not "unknown setting". */
const OwnNumberCodes = Schema.Record({ key: Schema.String, value: Schema.String.annotations(says(CODES_WORDS)) })
  .annotations(objectSays(CODES_WORDS))
  .pipe(Schema.filter((codes) => Object.keys(codes).every((k) => /^\d{5,6}$/.test(k)) || CODES_WORDS));

const Demo = objectOf(
  "must be an object",
  Schema.Struct({
  smsEveryMs: Schema.optionalWith(Schema.Number.pipe(Schema.int(), Schema.nonNegative()).annotations(says("must be a whole number of ms")), { default: () => 30_000 }),
  timing: Schema.optionalWith(Schema.Literal("instant", "realistic").annotations(says('must be "instant" or "realistic"')), { default: () => "realistic" as const }),
    seed: Schema.optionalWith(wholeNumber(1, 9_999, "must be a whole number from 1 to 9999"), { default: () => 1 }),
  }),
);

const days = (key: keyof Retention) =>
  Schema.optionalWith(wholeNumber(0, 36_500, "must be a whole number of days (0 keeps forever)"), { default: () => DEFAULT_RETENTION[key] });
const RetentionSection = objectOf(
  "must be an object",
  Schema.Struct({
  smsDays: days("smsDays"),
  ussdDays: days("ussdDays"),
  callsDays: days("callsDays"),
  atLogDays: days("atLogDays"),
    eventsDays: days("eventsDays"),
  }),
);

const Sending = objectOf(
  "must be an object",
  Schema.Struct({
  resendUnknownAfterMinutes: Schema.optionalWith(
    Schema.NullOr(Schema.Number.pipe(Schema.int(), Schema.between(1, 10_080))).annotations(says("must be null (never) or whole minutes from 1 to 10080")),
    { default: () => null },
  ),
  }),
);

/** A section left out (or null) is the section with all its defaults. */
const section = <A, I>(schema: Schema.Schema<A, I>, empty: I) => Schema.optionalWith(schema, { nullable: true, default: () => Schema.decodeUnknownSync(schema)(empty) });

/** The whole file; devices whose ids or lines repeat are refused at the second one. */
const ConfigFields = Schema.Struct({
  http: section(Http, {}),
  database: section(Database, {}),
  devices: required(
    Schema.Array(Device)
      .annotations(objectSays("must list at least one device"))
      .pipe(Schema.minItems(1, { message: () => "must list at least one device" })),
    "must list at least one device",
  ),
  ownNumberCodes: section(OwnNumberCodes, {}),
  demo: section(Demo, {}),
  retention: section(RetentionSection, {}),
  sending: section(Sending, {}),
});

export const ConfigFile = objectOf("must be a JSON object", ConfigFields).pipe(
    Schema.filter((file) => {
      const ids = new Set<string>();
      for (const [i, d] of file.devices.entries()) {
        if (ids.has(d.id)) return { path: ["devices", i, "id"], message: `"${d.id}" is used twice` };
        ids.add(d.id);
      }
      const lines = new Set<string>();
      for (const [i, d] of file.devices.entries()) {
        if (d.modems === "simulated") continue;
        for (const [j, m] of d.modems.entries()) {
          const key = targetKey(m);
          if (lines.has(key)) return { path: ["devices", i, "modems", j], message: `${key} is listed twice (two actors on one port would fight over it)` };
          lines.add(key);
        }
        if (d.bank) {
          const key = targetKey(d.bank);
          if (lines.has(key)) return { path: ["devices", i, "bank"], message: `${key} is also listed as a modem` };
          lines.add(key);
        }
      }
      return true;
    }),
  );
export type ConfigFile = typeof ConfigFile.Type;

/** The variables that override the file; an empty one counts as unset. */
export const ConfigEnv = Schema.Struct({
  PORT: Schema.optional(Port),
  HOST: Schema.optional(Schema.String),
  DATABASE_URL: Schema.optional(Schema.String),
  SIMGATE_DATA_DIR: Schema.optional(Schema.String),
});
