/**
 * The simulator's configuration file: a farm spec plus where to serve it, decoded by the
 * schemas below so a mistake is reported with its place (`modems[2].personality: ...`), never
 * as a crash halfway through start-up. The helpers at the end turn a schema's refusal into
 * that one line; the control endpoint (control/http.ts) words its 400 answers with them too.
 */
import { Either, ParseResult, Schema, type SchemaAST } from "effect";
import type { FarmSpec } from "./farm";
import { BANK_MODELS } from "./bank/sim-bank";
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

/** The leaf's own words, whether the value had the wrong type or the wrong range. */
export const says = (message: string) => ({ message: () => ({ message, override: true }) });
const objectSays = (message: string) => ({ message: () => message });

const text = (words = "must be a string") => Schema.String.annotations(says(words));
const personality = (words: string, typeWords = words) => Schema.String.annotations(says(typeWords)).pipe(Schema.filter((name) => name in PERSONALITIES || words));

const Modem = Schema.Struct({
  id: Schema.optional(text()),
  personality: Schema.optional(personality(`unknown (known: ${Object.keys(PERSONALITIES).join(", ")})`, "must be a string")),
  sim: Schema.optional(Schema.NullOr(Schema.String).annotations(says("must be an ICCID string or null"))),
  sim2: Schema.optional(Schema.NullOr(Schema.String).annotations(says("must be an ICCID string or null"))),
  imei: Schema.optional(Schema.String.pipe(Schema.pattern(/^\d{15}$/)).annotations(says("must be 15 digits"))),
}).annotations(objectSays("must be an object"));

const Bank = Schema.Struct({
  id: Schema.optional(text()),
  model: Schema.propertySignature(Schema.Literal(...BANK_MODELS).annotations(says(`must be one of ${BANK_MODELS.join(", ")}`))).annotations({
    missingMessage: () => `must be one of ${BANK_MODELS.join(", ")}`,
  }),
  personality: Schema.optional(personality("unknown personality")),
  rows: Schema.optional(Schema.Number.pipe(Schema.int(), Schema.between(1, 64)).annotations(says("must be an integer 1-64"))),
}).annotations(objectSays("must be an object"));

const requiredText = (pattern: RegExp, words: string) =>
  Schema.propertySignature(Schema.String.pipe(Schema.pattern(pattern)).annotations(says(words))).annotations({ missingMessage: () => words });

/** The optional fields are read by the SIM card as they come (src of truth: network/sim-card.ts). */
const Sim = Schema.Struct({
  iccid: requiredText(/^\d{18,20}F?$/, "must be 18-20 digits"),
  imsi: requiredText(/^\d{6,15}$/, "must be 6-15 digits"),
  number: requiredText(/^\+?\d{3,15}$/, "must be a phone number such as +15550100001"),
  operator: requiredText(/^/, "must name an operator id"),
  numberOnSim: Schema.optional(Schema.Unknown),
  pin: Schema.optional(Schema.Unknown),
  balance: Schema.optional(Schema.Unknown),
  roaming: Schema.optional(Schema.Unknown),
  denied: Schema.optional(Schema.Unknown),
  smsCapacity: Schema.optional(Schema.Unknown),
}).annotations(objectSays("must be an object"));

const NON_EMPTY = "must be a non-empty string";
/** An operator may carry more than these (its currency, say); only these are checked. */
const Operator = Schema.Struct(
  {
    id: requiredText(/./, NON_EMPTY),
    name: requiredText(/./, NON_EMPTY),
    shortName: requiredText(/./, NON_EMPTY),
    mccmnc: Schema.propertySignature(
      Schema.String.annotations(says(NON_EMPTY)).pipe(Schema.filter((code) => (code === "" ? NON_EMPTY : /^\d{5,6}$/.test(code) || "must be 5 or 6 digits"))),
    ).annotations({ missingMessage: () => NON_EMPTY }),
    smsc: requiredText(/./, NON_EMPTY),
    ussd: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown }).annotations(says("must map service codes to services"))),
  },
  Schema.Record({ key: Schema.String, value: Schema.Unknown }),
).annotations(objectSays("must be an object"));

const TIMING_NAMES = Object.keys(TIMING_MODELS);
const Delays = Schema.Struct(
  Object.fromEntries(Object.keys(TIMING_INSTANT).map((key) => [key, Schema.optional(Schema.Number.pipe(Schema.nonNegative()).annotations(says("must be a number >= 0")))])),
).annotations(objectSays("must be a name or an object of delays in ms"));
const TIMING_WORDS = `must be one of ${TIMING_NAMES.join(", ")} or an object`;
/** A name that is not one is told the names; anything else that is not an object, what timing is. */
const TimingName = Schema.Literal(...TIMING_NAMES).annotations({
  message: (issue) => ({ message: typeof issue.actual === "string" ? TIMING_WORDS : "must be a name or an object of delays in ms", override: true }),
});
const Timing = Schema.Union(TimingName, Delays);

const list = <A, I>(item: Schema.Schema<A, I>) => Schema.Array(item).annotations(objectSays("must be an array"));

export const SimConfigSchema = Schema.Struct({
  seed: Schema.optional(Schema.Number.pipe(Schema.int()).annotations(says("must be an integer"))),
  timing: Schema.optional(Timing),
  operators: Schema.optional(list(Operator)),
  sims: Schema.optional(list(Sim)),
  modems: Schema.optionalWith(list(Modem), { default: () => [] }),
  banks: Schema.optionalWith(list(Bank), { default: () => [] }),
  logLimit: Schema.optional(Schema.Number.pipe(Schema.int(), Schema.nonNegative()).annotations(says("must be a whole number of messages (0: no log)"))),
  manifest: Schema.optional(text()),
  control: Schema.optional(text()),
  linkDir: Schema.optional(text()),
  tcpBasePort: Schema.optional(Schema.Number.pipe(Schema.int(), Schema.between(0, 65_534)).annotations(says("must be a port number"))),
});

export const parseSimConfig = (value: unknown, where = "config"): SimConfig => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new ConfigError(`${where}: must be a JSON object`);
  const decoded = Schema.decodeUnknownEither(SimConfigSchema, { onExcessProperty: "error" })(value);
  if (Either.isLeft(decoded)) throw new ConfigError(describeConfigError(decoded.left, where, SimConfigSchema));
  const config = decoded.right;
  if (config.modems.length + config.banks.length === 0) throw new ConfigError(`${where}: needs at least one modem or bank`);
  return {
    ...config,
    ...(config.operators ? { operators: config.operators.map((o) => ({ ussd: {}, ...o })) } : {}),
  } as SimConfig;
};

// --- a schema's refusal as one line --------------------------------------------------------

type Path = ReadonlyArray<PropertyKey>;

/** Only a union reports several issues (one per member): the deepest is the member that nearly fitted. */
export const firstIssue = (error: ParseResult.ParseError): ParseResult.ArrayFormatterIssue | undefined =>
  ParseResult.ArrayFormatter.formatErrorSync(error).reduce<ParseResult.ArrayFormatterIssue | undefined>(
    (best, next) => (best === undefined || next.path.length > best.path.length ? next : best),
    undefined,
  );

/** `modems[2].personality`: dots before names, brackets around indexes. */
export const placeOf = (path: Path): string =>
  path.reduce<string>((at, key) => (typeof key === "number" ? `${at}[${key}]` : at === "" ? String(key) : `${at}.${String(key)}`), "");

/** The keys an object may have at `path` of a schema's input side. */
const knownKeysAt = (ast: SchemaAST.AST, path: Path): readonly string[] | null => {
  switch (ast._tag) {
    case "Transformation":
      return knownKeysAt(ast.from, path) ?? knownKeysAt(ast.to, path);
    case "Refinement":
      return knownKeysAt(ast.from, path);
    case "Union":
      for (const member of ast.types) {
        const keys = knownKeysAt(member, path);
        if (keys) return keys;
      }
      return null;
    case "TypeLiteral": {
      if (path.length === 0) return ast.propertySignatures.map((p) => String(p.name));
      const property = ast.propertySignatures.find((p) => p.name === path[0]);
      return property ? knownKeysAt(property.type, path.slice(1)) : null;
    }
    case "TupleType": {
      const element = typeof path[0] === "number" ? (ast.elements[path[0]]?.type ?? ast.rest[0]?.type) : undefined;
      return element ? knownKeysAt(element, path.slice(1)) : null;
    }
    default:
      return null;
  }
};

const describeConfigError = (error: ParseResult.ParseError, where: string, schema: { readonly ast: SchemaAST.AST }): string => {
  const issue = firstIssue(error);
  if (!issue) return `${where}: is not valid`;
  const place = issue.path.length ? `${where}${typeof issue.path[0] === "number" ? "" : "."}${placeOf(issue.path)}` : where;
  if (issue._tag !== "Unexpected") return `${place}: ${issue.message}`;
  const known = knownKeysAt(schema.ast, issue.path.slice(0, -1));
  const what = issue.path.at(-2) === "timing" ? "unknown delay" : "unknown setting";
  return `${place}: ${what}${known ? ` (known: ${known.join(", ")})` : ""}`;
};
