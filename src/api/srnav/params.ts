/**
 * The SR-Navigator actions' parameters as Schemas (../shared/specs/sr-navigator-notes.md).
 * A refusal's message is the API's own word for it (NO_NUMBER, BAD_RECIPIENT, ...), which
 * the action answers as it always has; parameters the reference panel reads leniently
 * (period, code) never refuse. Each action's Struct lists its fields in the order the API
 * checks them, so the first refusal is the word a client has always been given.
 */
import { type Either, ParseResult, Schema } from "effect";
import { unstorable } from "../../store/storable-text";
import { ApiWord } from "./errors";
import { isDigits, listParam, numberParam } from "./format";

export type Params = ReadonlyMap<string, string>;

type Check<A> = (raw: string) => { readonly ok: A } | { readonly word: string };

/** A field from a check that gives the decoded value or the word that refuses it. */
const field = <A>(to: Schema.Schema<A>, check: Check<NoInfer<A>>, description?: string) =>
  Schema.transformOrFail(Schema.String, to, {
    strict: true,
    decode: (raw, _, ast) => {
      const out = check(raw);
      return "ok" in out ? ParseResult.succeed(out.ok) : ParseResult.fail(new ParseResult.Type(ast, raw, out.word));
    },
    // Parameters are only ever read, never written back into a request.
    encode: (value, _, ast) => ParseResult.fail(new ParseResult.Forbidden(ast, value, "parameters are only decoded")),
  }).annotations(description === undefined ? {} : { jsonSchema: { type: "string", description } });

/** A parameter that may be left out (exact: a form gives a value or nothing, never undefined). */
const optional = <S extends Schema.Schema.All>(schema: S) => Schema.optionalWith(schema, { exact: true });

/** A parameter that must be given: left out, it is refused with `word`, as when it is blank. */
const required = <S extends Schema.Schema.Any>(schema: S, word: string) => Schema.propertySignature(schema).annotations({ missingMessage: () => word });

const NumberList = Schema.NullOr(Schema.Array(Schema.String));

/** `number`: a comma list of phone numbers, '+' and spaces removed; blank is none. */
const Numbers = field(NumberList, (raw) => ({ ok: listParam(raw)?.map(numberParam) ?? null }), "numbers, comma-separated");

/** `number` that an action cannot do without: blank or left out, it answers `word`. */
const NumbersNeeded = (word: string, each?: { word: string; ok: (n: string) => boolean }) =>
  required(
    field(
      Schema.Array(Schema.String),
      (raw) => {
        const numbers = listParam(raw)?.map(numberParam);
        if (!numbers) return { word };
        if (each && !numbers.every(each.ok)) return { word: each.word };
        return { ok: numbers };
      },
      "numbers, comma-separated",
    ),
    word,
  );

/** device_id, operator, phone_exception: which of the pool's cards an action looks at. */
export const FILTERS = {
  device_id: optional(field(NumberList, (raw) => ({ ok: listParam(raw) }), "device ids, comma-separated (also as deviceId)")),
  operator: optional(field(NumberList, (raw) => ({ ok: listParam(raw)?.map((o) => o.toLowerCase()) ?? null }), "operator names, comma-separated")),
  phone_exception: optional(
    field(
      NumberList,
      (raw) => {
        const prefixes = listParam(raw)?.map(numberParam) ?? null;
        return prefixes?.some((p) => !isDigits(p, 1, 20)) ? { word: "WRONG_EXCEPTION_PHONE" } : { ok: prefixes };
      },
      "number prefixes to leave out, comma-separated (also as phoneException)",
    ),
  ),
};

/** The names clients also send in camel case: the snake-case one wins when both come. */
const ALIASES: ReadonlyArray<readonly [name: string, alias: string]> = [
  ["device_id", "deviceId"],
  ["phone_exception", "phoneException"],
];

/** Text as given (absent: ""), checked as sendSms checks it. */
const SmsText = field(
  Schema.String,
  // Over 1530 characters, or a text the store cannot keep (NUL): BAD_TEXT, our word for a text that cannot go out.
  (raw) => (raw.length === 0 ? { word: "EMPTY_TEXT" } : raw.length > 1530 || unstorable(raw) ? { word: "BAD_TEXT" } : { ok: raw }),
  "the message, up to 1530 characters",
);

const Recipient = field(
  Schema.String,
  (raw) => {
    const recipient = numberParam(raw);
    return isDigits(recipient, 3, 20) ? { ok: recipient } : { word: "BAD_RECIPIENT" };
  },
  "the number to send to",
);

/** A record's id (deleteSms, deleteCall): up to 15 digits. */
const RecordId = field(
  Schema.Number,
  (raw) => {
    const id = raw.trim();
    return /^\d{1,15}$/.test(id) ? { ok: Number(id) } : { word: "BAD_ID" };
  },
  "the record's id",
);

// Garbage or absurd values fall back to the default rather than failing the poll.
const Period = field(Schema.NullOr(Schema.Number), (raw) => ({ ok: /^\d{1,9}$/.test(raw.trim()) ? Number(raw.trim()) : null }), "seconds back");

const CodeLength = field(
  Schema.NullOr(Schema.Number),
  (raw) => {
    const t = raw.trim();
    return { ok: /^\d{1,2}$/.test(t) && Number(t) > 0 ? Number(t) : null };
  },
  "the length of the code to take out of the text",
);

/** A switch that is on for exactly this value. */
const Is = (on: string, description: string, normalise: (raw: string) => string = (raw) => raw) => field(Schema.Boolean, (raw) => ({ ok: normalise(raw) === on }), description);

const Channels = field(
  Schema.Number,
  (raw) => {
    const t = raw.trim();
    if (t === "" || t === "max") return { ok: 1 };
    return /^\d{1,4}$/.test(t) ? { ok: Math.max(1, Number(t)) } : { word: "NO_CHANNELS" };
  },
  "how many numbers at least, or max",
);

/** sender (part of it, any case), period (seconds back) and new=1 (unread only). */
export const SMS_NARROWING = {
  sender: optional(field(Schema.String, (raw) => ({ ok: raw.trim() }), "part of the sender, any case")),
  period: optional(Period),
  new: optional(Is("1", "1: unread only")),
};

export interface SmsNarrowing {
  readonly sender?: string | undefined;
  readonly period?: number | null | undefined;
  readonly new?: boolean | undefined;
}

const FILTERED = Schema.Struct(FILTERS);

/** Every action's parameters, in the order the API checks them. */
export const ACTION_PARAMS = {
  poolRestart: Schema.Struct({ keep: optional(Schema.String.annotations({ description: "given (any value): open numbers stay open" })) }),
  getAgregators: FILTERED,
  getOperators: FILTERED,
  getPoolStatus: FILTERED,
  getNumbers: Schema.Struct({ ...FILTERS, position: optional(Is("ONLINE", "ONLINE: only numbers on a modem now", (raw) => raw.toUpperCase())) }),
  openNumber: Schema.Struct({
    ...FILTERS,
    mode: optional(Is("repeat", "repeat: numbers opened before may be given again")),
    // One number, not a list: the whole value, '+' and spaces removed.
    number: optional(field(Schema.NullOr(Schema.String), (raw) => ({ ok: raw.trim() === "" ? null : numberParam(raw) }), "the number to open")),
  }),
  openNumbers: Schema.Struct({ ...FILTERS, mode: optional(Is("repeat", "repeat: numbers opened before may be given again")), channels: optional(Channels), number: optional(Numbers) }),
  closeNumber: Schema.Struct({ number: NumbersNeeded("EMPTY_NUMBER", { word: "BAD_NUMBER", ok: (n) => isDigits(n, 3, 20) }) }),
  getSimStatus: Schema.Struct({ number: NumbersNeeded("EMPTY_NUMBER") }),
  getLastSms: Schema.Struct({ number: NumbersNeeded("EMPTY_NUMBER"), code: optional(CodeLength), ...SMS_NARROWING }),
  getSms: Schema.Struct({ number: NumbersNeeded("NO_NUMBER"), code: optional(CodeLength), ...SMS_NARROWING }),
  deleteSms: Schema.Struct({ sms_id: required(RecordId, "BAD_ID") }),
  clearSimStorage: Schema.Struct({}),
  sendSms: Schema.Struct({ number: NumbersNeeded("NO_NUMBER"), recipient: required(Recipient, "BAD_RECIPIENT"), text: required(SmsText, "EMPTY_TEXT") }),
  getCall: Schema.Struct({ number: NumbersNeeded("NO_NUMBER"), period: optional(Period) }),
  grabCall: Schema.Struct({ number: NumbersNeeded("ERROR") }),
  deleteCall: Schema.Struct({ call_id: required(RecordId, "BAD_ID") }),
} satisfies Record<string, Schema.Schema<any, any>>;

export type ActionName = keyof typeof ACTION_PARAMS;
export type ParamsOf<N extends ActionName> = Schema.Schema.Type<(typeof ACTION_PARAMS)[N]>;

/** Each action's decoder, made once: the polling path decodes on every request. */
const DECODERS = Object.fromEntries(
  Object.entries(ACTION_PARAMS).map(([name, schema]) => [name, Schema.decodeUnknownEither(schema as Schema.Schema<unknown, unknown>, { exact: true })]),
) as Record<ActionName, (input: unknown) => Either.Either<unknown, ParseResult.ParseError>>;

/**
 * Recent requests' decoded parameters, by action and fields. A client polls getLastSms with
 * the same request every second or so, and decoding is most of what this endpoint's own
 * code costs per request in a busy process (bench:srnav's profile: some 12 us, against
 * 2 us when measured alone). Only the actions clients poll, and only what decoded, is kept,
 * frozen (nothing changes an action's parameters); the oldest goes first past RECENT_MAX.
 */
const RECENT_MAX = 1024;
const POLLED: ReadonlySet<ActionName> = new Set(["getLastSms", "getSms", "getSimStatus", "getCall", "getPoolStatus", "getNumbers"]);
const READS = Object.fromEntries(
  Object.entries(ACTION_PARAMS).map(([name, schema]) => {
    const fields = Object.keys(schema.fields);
    return [name, new Set<string>([...fields, ...ALIASES.filter(([primary]) => fields.includes(primary)).map(([, alias]) => alias)])] as const;
  }),
) as unknown as Record<ActionName, ReadonlySet<string>>;
const recent = new Map<string, unknown>();

const frozen = <A>(value: A): A => {
  for (const v of Object.values(value as object)) if (Array.isArray(v)) Object.freeze(v);
  return Object.freeze(value);
};

/** The action's parameters decoded; a refusal ends the action with its word. */
export const decodeAction = <N extends ActionName>(name: N, params: Params): ParamsOf<N> => {
  // Keyed by the fields the action reads: not pool_key (a secret this memory need not hold),
  // nor a client's cache-busting extra.
  let key: string | null = null;
  if (POLLED.has(name)) {
    const read = READS[name];
    const named: string[] = [name];
    for (const [k, v] of params) if (read.has(k)) named.push(k, v);
    // JSON: no value can pass for a different split of names and values.
    key = JSON.stringify(named);
    const known = recent.get(key);
    if (known !== undefined) return known as ParamsOf<N>;
  }
  const fields: Record<string, string> = Object.fromEntries(params);
  for (const [primary, alias] of ALIASES) if (!params.has(primary) && params.has(alias)) fields[primary] = params.get(alias)!;
  // One Struct per name: what it decodes is that action's parameters.
  // Exact: a parameter left out is missing, answered with its field's word (missingMessage).
  const decoded = DECODERS[name](fields);
  if (decoded._tag === "Left") {
    const [first] = ParseResult.ArrayFormatter.formatErrorSync(decoded.left);
    throw new ApiWord({ word: first?.message ?? "ERROR" });
  }
  const value = frozen(decoded.right as ParamsOf<N>);
  if (key === null) return value;
  if (recent.size >= RECENT_MAX) recent.delete(recent.keys().next().value!);
  recent.set(key, value);
  return value;
};

/** How many decoded requests are kept now (tests). */
export const recentDecodes = (): number => recent.size;
