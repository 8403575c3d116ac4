/**
 * The methods' parameters: each reader checks one and throws BAD_PARAM naming it, before
 * anything is written. Also the list window every *List method shares and the unix times
 * the replies carry.
 */
import { sql, type SelectQueryBuilder } from "kysely";
import { unstorable } from "../../store/storable-text";
import type { Database } from "../../store/schema";

export type Params = ReadonlyMap<string, unknown>;

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export const bad = (name: string, why: string): never => {
  throw new ApiError("BAD_PARAM", `${name}: ${why}`);
};

export const text = (params: Params, name: string, opts: { required?: boolean; max?: number } = {}): string | undefined => {
  const value = params.get(name);
  if (value === undefined || value === null || value === "") return opts.required ? bad(name, "is required") : undefined;
  if (typeof value !== "string" && typeof value !== "number") return bad(name, "must be text");
  const s = String(value);
  if (s.length > (opts.max ?? 1000)) bad(name, `is longer than ${opts.max ?? 1000} characters`);
  const why = unstorable(s);
  if (why) bad(name, why);
  return s;
};

/** sim_cards and devices ids are PostgreSQL integers; a larger number names no row and must not reach a query. */
export const INT4_MAX = 2 ** 31 - 1;

export const integer = (params: Params, name: string, opts: { required?: boolean; min?: number; max?: number } = {}): number | undefined => {
  const s = text(params, name, { required: opts.required ?? false, max: 20 });
  if (s === undefined) return undefined;
  if (!/^-?\d+$/.test(s.trim())) return bad(name, "must be a whole number");
  const n = Number(s);
  if (n < (opts.min ?? 0) || n > (opts.max ?? 2 ** 31 - 1)) bad(name, `must be between ${opts.min ?? 0} and ${opts.max ?? 2 ** 31 - 1}`);
  return n;
};

/**
 * `3,4,9` or a JSON array of ids (numbers or their text), each once, in the order given.
 * `max` is the id column's range: record ids (SMS, USSD, calls) are bigints, card and
 * device ids integers.
 */
export const idList = (params: Params, name: string, opts: { required?: boolean; max?: number } = {}): number[] | undefined => {
  const value = params.get(name);
  if (value === undefined || value === "") return opts.required ? bad(name, "is required") : undefined;
  const scalar = (v: unknown) => (typeof v === "string" || typeof v === "number" ? String(v) : bad(name, "must be ids (a list of numbers)"));
  const items = Array.isArray(value) ? value.map(scalar) : typeof value === "string" || typeof value === "number" ? String(value).split(",") : bad(name, "must be ids");
  if (items.length > 1000) bad(name, "lists at most 1000 ids");
  const max = opts.max ?? INT4_MAX;
  const ids = items.map((i) => {
    const t = i.trim();
    if (!/^\d{1,16}$/.test(t) || Number(t) > max) bad(name, `${JSON.stringify(t.slice(0, 20))} is not an id (0 to ${max})`);
    return Number(t);
  });
  return [...new Set(ids)];
};

// Years 1-9999: what ISO-8601 writes without an agreed expansion, and inside PostgreSQL's
// range (a Date reaches back to 271821 BC, a timestamp to 4713 BC).
const EARLIEST = Date.parse("0001-01-01T00:00:00Z");
const LATEST = Date.parse("9999-12-31T23:59:59.999Z");

/** Unix seconds or ISO-8601, within years 1-9999. */
export const time = (params: Params, name: string): Date | undefined => {
  const s = text(params, name, { max: 40 });
  if (s === undefined) return undefined;
  const d = /^\d{1,12}$/.test(s) ? new Date(Number(s) * 1000) : new Date(s);
  if (Number.isNaN(d.getTime())) return bad(name, "must be unix seconds or an ISO-8601 time");
  return d.getTime() < EARLIEST || d.getTime() > LATEST ? bad(name, "must be a time in the years 1 to 9999") : d;
};

export const page = (params: Params) => ({
  limit: integer(params, "limit", { min: 1, max: 1000 }) ?? 100,
  offset: integer(params, "offset", { max: 10_000_000 }) ?? 0,
  afterId: integer(params, "after_id", { max: Number.MAX_SAFE_INTEGER }),
});

export type Page = ReturnType<typeof page>;

export const unix = (d: Date | null | undefined) => (d ? Math.floor(d.getTime() / 1000) : null);

/**
 * The list window every *List method shares: from/to on the record's time column, forward
 * paging by after_id (ascending), else newest id first; limit and offset.
 */
export const windowed = <Q extends SelectQueryBuilder<Database, any, any>>(q: Q, column: string, p: Page, from?: Date, to?: Date): Q => {
  let w = q;
  if (from) w = w.where(sql.ref(column), ">=", from) as Q;
  if (to) w = w.where(sql.ref(column), "<", to) as Q;
  if (p.afterId !== undefined) w = w.where(sql.ref("id"), ">", p.afterId) as Q;
  return w.orderBy(sql.ref("id"), p.afterId !== undefined ? "asc" : "desc").limit(p.limit).offset(p.offset) as Q;
};
