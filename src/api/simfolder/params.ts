/**
 * The methods' parameters as Schemas: each field decodes one parameter from what the body
 * reader gives (text from a query or form, or a JSON value) and fails with the words the API
 * has always answered, which `decodeParams` turns into BAD_PARAM naming the parameter. Each
 * method declares one Struct of these beside it; the OpenAPI document is derived from the
 * same Structs. Also the list window every *List method shares and the unix times the
 * replies carry.
 *
 * A field decodes an absent parameter to undefined and a present but empty one to null:
 * some methods tell "leave as it is" from "clear it".
 */
import { sql, type SelectQueryBuilder } from "kysely";
import { ParseResult, Schema, type SchemaAST } from "effect";
import { unstorable } from "../../store/storable-text";
import type { Database } from "../../store/schema";
import { badParam } from "./errors";

export type Params = ReadonlyMap<string, unknown>;

/** What the JSON Schema of a field says of it (the query's view: text). */
type JsonShape = Record<string, unknown>;

type Check<A> = (value: unknown) => { readonly ok: A } | { readonly why: string };

/** A field from a check that gives the decoded value or the words of its refusal. */
const field = <A>(shape: JsonShape, to: Schema.Schema<A>, check: Check<A>) =>
  Schema.transformOrFail(Schema.Unknown, to, {
    strict: true,
    decode: (value, _, ast: SchemaAST.AST) => {
      const out = check(value);
      return "ok" in out ? ParseResult.succeed(out.ok) : ParseResult.fail(new ParseResult.Type(ast, value, out.why));
    },
    encode: (value) => ParseResult.succeed(value),
  }).annotations({ jsonSchema: shape });

const isEmpty = (value: unknown) => value === undefined || value === null || value === "";

const textOf = (value: unknown, max: number): { ok: string } | { why: string } => {
  if (typeof value !== "string" && typeof value !== "number") return { why: "must be text" };
  const s = String(value);
  if (s.length > max) return { why: `is longer than ${max} characters` };
  const why = unstorable(s);
  return why ? { why } : { ok: s };
};

/** Text (a number is taken as its digits) of at most `max` characters that the store can keep. */
export const Text = (max = 1000) => field({ type: "string", maxLength: max }, Schema.NullOr(Schema.String), (v) => (isEmpty(v) ? { ok: null } : textOf(v, max)));

export const RequiredText = (max = 1000) => field({ type: "string", minLength: 1, maxLength: max }, Schema.String, (v) => (isEmpty(v) ? { why: "is required" } : textOf(v, max)));

/** Text that must also pass `problem` (null when it does), e.g. a format. */
export const Checked = <A extends string | null, I>(text: Schema.Schema<A, I>, problem: (s: string) => string | null) =>
  text.pipe(Schema.filter((s: A) => (s === null ? undefined : (problem(s) ?? undefined))));

/** A phone number to send to or call: spaces are dropped, then `+` and 3 to 20 digits. */
export const PhoneNumber = Schema.transform(RequiredText(32), Schema.String, { strict: true, decode: (s) => s.replace(/\s/g, ""), encode: (s) => s }).pipe(
  Schema.filter((s) => (/^\+?\d{3,20}$/.test(s) ? undefined : "must be a phone number")),
);

/** sim_cards and devices ids are PostgreSQL integers; a larger number names no row and must not reach a query. */
export const INT4_MAX = 2 ** 31 - 1;

const wholeOf = (value: unknown, min: number, max: number): { ok: number } | { why: string } => {
  const s = textOf(value, 20);
  if ("why" in s) return s;
  if (!/^-?\d+$/.test(s.ok.trim())) return { why: "must be a whole number" };
  const n = Number(s.ok);
  return n < min || n > max ? { why: `must be between ${min} and ${max}` } : { ok: n };
};

export const WholeNumber = (opts: { min?: number; max?: number } = {}) => {
  const min = opts.min ?? 0;
  const max = opts.max ?? INT4_MAX;
  return field({ type: "string", pattern: "^-?\\d+$", description: `a whole number, ${min} to ${max}` }, Schema.NullOr(Schema.Number), (v) => (isEmpty(v) ? { ok: null } : wholeOf(v, min, max)));
};

export const RequiredWholeNumber = (opts: { min?: number; max?: number } = {}) => {
  const min = opts.min ?? 0;
  const max = opts.max ?? INT4_MAX;
  return field({ type: "string", pattern: "^-?\\d+$", description: `a whole number, ${min} to ${max}` }, Schema.Number, (v) => (isEmpty(v) ? { why: "is required" } : wholeOf(v, min, max)));
};

/**
 * `3,4,9` or a JSON array of ids (numbers or their text), each once, in the order given.
 * `max` is the id column's range: record ids (SMS, USSD, calls) are bigints, card and
 * device ids integers. An empty JSON array is a list of none (the deletes refuse it).
 */
const idsOf = (value: unknown, max: number): { ok: number[] } | { why: string } => {
  if (value === null) return { why: "must be ids" };
  const scalar = (v: unknown) => (typeof v === "string" || typeof v === "number" ? String(v) : null);
  let items: string[];
  if (Array.isArray(value)) {
    const texts = value.map(scalar);
    if (texts.some((t) => t === null)) return { why: "must be ids (a list of numbers)" };
    items = texts as string[];
  } else if (typeof value === "string" || typeof value === "number") items = String(value).split(",");
  else return { why: "must be ids" };
  if (items.length > 1000) return { why: "lists at most 1000 ids" };
  const ids: number[] = [];
  for (const i of items) {
    const t = i.trim();
    if (!/^\d{1,16}$/.test(t) || Number(t) > max) return { why: `${JSON.stringify(t.slice(0, 20))} is not an id (0 to ${max})` };
    ids.push(Number(t));
  }
  return { ok: [...new Set(ids)] };
};

const ID_LIST_SHAPE = (max: number): JsonShape => ({
  anyOf: [
    { type: "string", pattern: "^\\d+(,\\d+)*$", description: "comma-separated" },
    { type: "array", items: { type: "integer", minimum: 0, maximum: max }, maxItems: 1000 },
  ],
});

export const IdList = (max = INT4_MAX) => field(ID_LIST_SHAPE(max), Schema.NullOr(Schema.Array(Schema.Number)), (v) => (v === undefined || v === "" ? { ok: null } : idsOf(v, max)));

export const RequiredIdList = (max = INT4_MAX) => field(ID_LIST_SHAPE(max), Schema.Array(Schema.Number), (v) => (v === undefined || v === "" ? { why: "is required" } : idsOf(v, max)));

// Years 1-9999: what ISO-8601 writes without an agreed expansion, and inside PostgreSQL's
// range (a Date reaches back to 271821 BC, a timestamp to 4713 BC).
const EARLIEST = Date.parse("0001-01-01T00:00:00Z");
const LATEST = Date.parse("9999-12-31T23:59:59.999Z");

/** Unix seconds or ISO-8601, within years 1-9999. */
export const Time = field({ type: "string", description: "unix seconds or ISO-8601" }, Schema.NullOr(Schema.DateFromSelf), (v) => {
  if (isEmpty(v)) return { ok: null };
  const s = textOf(v, 40);
  if ("why" in s) return s;
  const d = /^\d{1,12}$/.test(s.ok) ? new Date(Number(s.ok) * 1000) : new Date(s.ok);
  if (Number.isNaN(d.getTime())) return { why: "must be unix seconds or an ISO-8601 time" };
  return d.getTime() < EARLIEST || d.getTime() > LATEST ? { why: "must be a time in the years 1 to 9999" } : { ok: d };
});

/** A switch that is on only for these exact values; anything else is off, never an error. */
export const Flag = (...on: readonly unknown[]) => field<boolean>({ type: "string", enum: ["1", "0"] }, Schema.Boolean, (v) => ({ ok: on.includes(v) }));

/** A strict switch: 1/0 or true/false, as text, number or boolean. */
export const Switch = field<boolean>({ type: "string", enum: ["1", "0"] }, Schema.Boolean, (v) => {
  const s = typeof v === "string" || typeof v === "number" || typeof v === "boolean" ? String(v) : "";
  return s === "0" || s === "1" || s === "true" || s === "false" ? { ok: s === "1" || s === "true" } : { why: "must be 1 or 0" };
});

/**
 * A field that may be left out, with what the document says of it. Exact: a parameter is
 * absent or has a value (neither JSON nor a form can give undefined), so a refusal is one
 * issue, never also "expected undefined" with the value printed (which, for a list nested
 * a hundred thousand deep, would not end).
 */
export const optional = <S extends Schema.Schema.All>(schema: S, description?: string) =>
  description === undefined ? Schema.optionalWith(schema, { exact: true }) : Schema.optionalWith(schema, { exact: true }).annotations({ description });

/** A field that must be given: left out, it is refused with the same words as when empty. */
export const required = <S extends Schema.Schema.Any>(schema: S, description?: string) =>
  Schema.propertySignature(schema).annotations({ missingMessage: () => "is required", ...(description === undefined ? {} : { description }) });

/** The user's cards narrowed (src/api/simfolder/scope.ts): every list and card method takes these. */
export const CARD_FILTER = {
  device_id: optional(IdList(), "device ids, comma-separated or a JSON array"),
  card_id: optional(IdList(), "card ids, comma-separated or a JSON array"),
  number: optional(Text(32), "the SIM's own number"),
  operator: optional(Text(100), "operator name"),
};

export interface CardFilter {
  readonly device_id?: readonly number[] | null | undefined;
  readonly card_id?: readonly number[] | null | undefined;
  readonly number?: string | null | undefined;
  readonly operator?: string | null | undefined;
}

export const CARD_REQUIRED = "is required (or the SIM's number)";

/** The one card a method acts on: card_id, or the SIM's own number (either given, even empty). */
export const namesOneCard = <A extends CardFilter, I, R>(struct: Schema.Schema<A, I, R>) =>
  struct.pipe(Schema.filter((p) => (p.card_id !== undefined || p.number !== undefined ? undefined : { path: ["card_id"], message: CARD_REQUIRED })));

/**
 * card_id where only it can name the card (the method's `number` means something else):
 * required, though given empty it is taken, as it always was.
 */
export const CARD_ID_ONLY = Schema.propertySignature(IdList()).annotations({ missingMessage: () => CARD_REQUIRED, description: "the card" });

/** CARD_FILTER for a method that acts on one card (with `namesOneCard`): either field may name it, so neither is required alone. */
export const ONE_CARD = { ...CARD_FILTER, card_id: optional(IdList(), "the card (or number: the SIM's own number)") };

/** The list window every *List method shares. */
export const WINDOW = {
  limit: optional(WholeNumber({ min: 1, max: 1000 }), "page size, default 100, at most 1000"),
  offset: optional(WholeNumber({ max: 10_000_000 }), "rows to skip"),
  after_id: optional(WholeNumber({ max: Number.MAX_SAFE_INTEGER }), "only ids above this (stable forward paging)"),
  from: optional(Time, "unix seconds or ISO-8601"),
  to: optional(Time, "unix seconds or ISO-8601"),
};

export interface Window {
  readonly limit?: number | null | undefined;
  readonly offset?: number | null | undefined;
  readonly after_id?: number | null | undefined;
  readonly from?: Date | null | undefined;
  readonly to?: Date | null | undefined;
}

export const pageOf = (w: Window) => ({ limit: w.limit ?? 100, offset: w.offset ?? 0, afterId: w.after_id ?? undefined });

export type Page = ReturnType<typeof pageOf>;

/**
 * The request's parameters as the method's Schema decodes them; the first refusal becomes
 * BAD_PARAM `<name>: <why>`, before the method reads or writes anything.
 */
export const decodeParams = <A, I>(schema: Schema.Schema<A, I>, params: Params): A => {
  // Exact: a parameter left out is missing (answered with its field's missingMessage), not undefined.
  const decoded = Schema.decodeUnknownEither(schema, { exact: true })(Object.fromEntries(params));
  if (decoded._tag === "Right") return decoded.right;
  const [first] = ParseResult.ArrayFormatter.formatErrorSync(decoded.left);
  throw badParam(first?.path.map(String).join(".") || "parameters", first?.message ?? "are not valid");
};

export const unix = (d: Date | null | undefined) => (d ? Math.floor(d.getTime() / 1000) : null);

/**
 * The list window every *List method shares: from/to on the record's time column, forward
 * paging by after_id (ascending), else newest id first; limit and offset.
 */
export const windowed = <Q extends SelectQueryBuilder<Database, any, any>>(q: Q, column: string, p: Page, from?: Date | null, to?: Date | null): Q => {
  let w = q;
  if (from) w = w.where(sql.ref(column), ">=", from) as Q;
  if (to) w = w.where(sql.ref(column), "<", to) as Q;
  if (p.afterId !== undefined) w = w.where(sql.ref("id"), ">", p.afterId) as Q;
  return w.orderBy(sql.ref("id"), p.afterId !== undefined ? "asc" : "desc").limit(p.limit).offset(p.offset) as Q;
};
