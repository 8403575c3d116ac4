/**
 * The Messages page's data: received and sent SMS, USSD, calls and the unattributed
 * messages, each newest first, filtered by text, the other party's number, the card and a
 * time range, on the cards a user may see (the inventory's own narrowing, as the SIM cards
 * page and the SimFolder lists use).
 *
 * Paging is by key, (time, id), never by offset: a page deep in 1,000,000 messages costs what
 * the first one does, along the (time, id) indexes of migration 0016. The text and number
 * filters are substring matches (ILIKE) answered by pg_trgm's trigram indexes where 0016
 * could create them - PostgreSQL with contrib, and PGlite, which ships pg_trgm and is opened
 * with it. Where it could not, each page's scan is bounded instead (SCAN_BOUND rows of the
 * time window, newest first), and the page says how far it looked and offers to go on from
 * there. A search shorter than three characters cannot use a trigram and is refused.
 */
import { sql, type Kysely, type RawBuilder, type SqlBool } from "kysely";
import { cardConditions, scopedCards, type CardScope } from "../cards/inventory";
import { outgoingParts, type OutgoingPart } from "../messages/records";
import type { Database } from "../store/schema";
import type { DeviceRow } from "./farm-view";
import type { StringKey } from "./i18n/en";

export const KINDS = ["in", "out", "ussd", "calls", "unattributed"] as const;
export type Kind = (typeof KINDS)[number];
export const PAGE_SIZES = [25, 50, 100, 200] as const;

/** The fewest characters a text or number search takes (a trigram's length). */
export const MIN_SEARCH = 3;
/** How many cards a card filter may name: more is a search too loose to be meant. */
export const MAX_CARDS = 1000;
/** Rows of a time window one page reads at most when there are no trigram indexes. */
export const SCAN_BOUND = 100_000;

/** Where a page starts: the key of the row next to it (epoch microseconds, exact, and id). */
export interface Cursor {
  readonly us: string;
  readonly id: number;
}

export interface MessageQuery {
  readonly kind: Kind;
  readonly text: string;
  readonly who: string;
  readonly card: string;
  /** As typed (the form shows them back); `fromAt`/`toAt` what they mean. */
  readonly from: string;
  readonly to: string;
  readonly fromAt: Date | null;
  readonly toAt: Date | null;
  /** Older than this row (the next page), or newer than it (the previous one). */
  readonly before: Cursor | null;
  readonly after: Cursor | null;
  readonly size: number;
}

export interface Problem {
  readonly key: StringKey;
  readonly vars?: Record<string, string | number>;
}

const CURSOR = /^(\d{1,17})\.(\d{1,16})$/;
const cursorOf = (s: string | null): Cursor | null | "bad" => {
  if (!s) return null;
  const m = CURSOR.exec(s);
  return m ? { us: m[1]!, id: Number(m[2]) } : "bad";
};
export const cursorText = (c: Cursor) => `${c.us}.${c.id}`;

/** A time as the form's datetime-local writes it (taken as UTC, as the page shows times), or ISO-8601 with a zone. */
const TIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?(?:Z|[+-]\d{2}:?\d{2})?$/i;
const timeOf = (s: string): Date | null | "bad" => {
  if (!s) return null;
  if (!TIME.test(s)) return "bad";
  const zoned = /(?:Z|[+-]\d{2}:?\d{2})$/i.test(s) && s.length > 10;
  const d = new Date(zoned ? s.replace(" ", "T") : `${s.replace(" ", "T")}${s.length === 10 ? "T00:00" : ""}Z`);
  const y = d.getUTCFullYear();
  return Number.isNaN(d.getTime()) || y < 1 || y > 9999 ? "bad" : d;
};

/** The page's query from its address; every refusal says what was wrong (nothing is listed then). */
export const parseMessageQuery = (q: URLSearchParams): { query: MessageQuery; problems: Problem[] } => {
  const problems: Problem[] = [];
  const kind = (KINDS as readonly string[]).includes(q.get("kind") ?? "") ? (q.get("kind") as Kind) : "in";
  const field = (name: string, label: StringKey, max: number, minSearch: boolean) => {
    const v = (q.get(name) ?? "").trim();
    if (v.length > max) problems.push({ key: "messages.bad.long", vars: { field: label, max } });
    else if (/[\u0000-\u001f\u007f]/.test(v)) problems.push({ key: "messages.bad.control", vars: { field: label } });
    else if (minSearch && v && [...v].length < MIN_SEARCH) problems.push({ key: "messages.bad.short", vars: { field: label, min: MIN_SEARCH } });
    return v.slice(0, max);
  };
  const text = field("q", "messages.filter.text", 200, true);
  const who = field("who", "messages.filter.who", 40, true);
  const card = field("card", "messages.filter.card", 100, false);
  const from = (q.get("from") ?? "").trim().slice(0, 40);
  const to = (q.get("to") ?? "").trim().slice(0, 40);
  const fromAt = timeOf(from);
  const toAt = timeOf(to);
  if (fromAt === "bad") problems.push({ key: "messages.bad.time", vars: { field: "messages.filter.from" } });
  if (toAt === "bad") problems.push({ key: "messages.bad.time", vars: { field: "messages.filter.to" } });
  if (fromAt instanceof Date && toAt instanceof Date && fromAt >= toAt) problems.push({ key: "messages.bad.range" });
  const before = cursorOf(q.get("before"));
  const after = cursorOf(q.get("after"));
  if (before === "bad" || after === "bad") problems.push({ key: "messages.bad.cursor" });
  const sizeText = q.get("size");
  const size = sizeText && (PAGE_SIZES as readonly number[]).includes(Number(sizeText)) ? Number(sizeText) : 50;
  if (sizeText && !(PAGE_SIZES as readonly number[]).includes(Number(sizeText))) problems.push({ key: "messages.bad.size", vars: { sizes: PAGE_SIZES.join(", ") } });
  return {
    query: {
      kind,
      text,
      who,
      card,
      from,
      to,
      fromAt: fromAt instanceof Date ? fromAt : null,
      toAt: toAt instanceof Date ? toAt : null,
      before: before === "bad" ? null : before,
      after: before === "bad" || after === "bad" || before ? null : after,
      size,
    },
    problems,
  };
};

/** The query's address (for links and the export), with `changes` applied; defaults are left out. */
export const messageQueryString = (q: MessageQuery, changes: Partial<MessageQuery> = {}): string => {
  const v = { ...q, ...changes };
  const p = new URLSearchParams();
  if (v.kind !== "in") p.set("kind", v.kind);
  if (v.text) p.set("q", v.text);
  if (v.who) p.set("who", v.who);
  if (v.card) p.set("card", v.card);
  if (v.from) p.set("from", v.from);
  if (v.to) p.set("to", v.to);
  if (v.before) p.set("before", cursorText(v.before));
  else if (v.after) p.set("after", cursorText(v.after));
  if (v.size !== 50) p.set("size", String(v.size));
  return p.toString();
};

// ---- the rows ---------------------------------------------------------------------------------

interface Base {
  readonly id: number;
  readonly at: Date;
  readonly cursor: Cursor;
}
export interface InRow extends Base {
  readonly iccid: string;
  readonly sender: string;
  readonly text: string;
  readonly parts: number;
  readonly missing: number[];
  readonly sentAt: Date | null;
  readonly readAt: Date | null;
}
export interface OutRow extends Base {
  readonly iccid: string | null;
  readonly addressee: string;
  readonly text: string;
  readonly state: string;
  readonly error: string | null;
  readonly statusReport: boolean;
  readonly parts: readonly OutgoingPart[];
}
export interface UssdRow extends Base {
  readonly iccid: string;
  readonly request: string;
  readonly reply: string | null;
  readonly status: string | null;
  readonly state: string;
  readonly answeredAt: Date | null;
}
export interface CallRow extends Base {
  readonly iccid: string;
  readonly direction: string;
  readonly number: string | null;
  readonly state: string;
  readonly answeredAt: Date | null;
  readonly endedAt: Date | null;
  readonly endReason: string | null;
}
export interface UnattributedRow extends Base {
  readonly device: string;
  readonly modem: number;
  readonly storage: string;
  readonly sender: string;
  readonly text: string;
  readonly sentAt: Date | null;
  readonly windowStart: Date | null;
  readonly candidates: string[];
  readonly reason: string;
}
export type AnyRow = InRow | OutRow | UssdRow | CallRow | UnattributedRow;

interface KindDef {
  readonly table: string;
  readonly time: string;
  /** The columns a text search looks in; the other party's number. */
  readonly text: readonly string[];
  readonly who: string | null;
  readonly columns: string;
}

const KIND: Record<Kind, KindDef> = {
  in: { table: "sms_in", time: "received_at", text: ["text"], who: "sender", columns: "m.id, m.iccid, m.sender, m.text, m.parts, m.missing, m.sent_at, m.read_at" },
  out: { table: "sms_out", time: "created_at", text: ["text"], who: "addressee", columns: "m.id, m.iccid, m.addressee, m.text, m.state, m.error, m.status_report" },
  ussd: { table: "ussd", time: "created_at", text: ["request", "reply"], who: null, columns: "m.id, m.iccid, m.request, m.reply, m.status, m.state, m.answered_at" },
  calls: { table: "calls", time: "started_at", text: [], who: "number", columns: "m.id, m.iccid, m.direction, m.number, m.state, m.answered_at, m.ended_at, m.end_reason" },
  unattributed: { table: "sms_unattributed", time: "received_at", text: ["text"], who: "sender", columns: "m.id, m.device, m.modem, m.storage, m.sender, m.text, m.sent_at, m.window_start, m.candidates, m.reason" },
};

/** Which kinds a filter applies to (the form hides the others). */
export const hasText = (kind: Kind) => KIND[kind].text.length > 0;
export const hasWho = (kind: Kind) => KIND[kind].who !== null;

/** `ilike` with the pattern's own wildcards taken literally. */
const contains = (s: string) => `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** Whether 0016 made the trigram indexes here (read once per store). */
const trigramsOf = new WeakMap<Kysely<Database>, Promise<boolean>>();
export const hasTrigrams = (db: Kysely<Database>): Promise<boolean> => {
  let known = trigramsOf.get(db);
  if (!known) {
    known = sql<{ ok: boolean }>`select to_regclass('sms_in_text_trgm') is not null as ok`.execute(db).then((r) => r.rows[0]?.ok === true);
    trigramsOf.set(db, known);
    known.catch(() => trigramsOf.delete(db));
  }
  return known;
};

export interface Who {
  readonly scope: CardScope;
  readonly devices: readonly DeviceRow[];
}

/**
 * The card filter as ICCIDs: the user's cards whose ICCID, number, name or comment holds the
 * words (the SIM cards page's search). Null: no card filter; "too many": past MAX_CARDS.
 */
const cardsNamed = async (db: Kysely<Database>, who: Who, card: string): Promise<string[] | null | "too many"> => {
  if (!card) return null;
  const rows = await scopedCards(db, who.scope, { search: card }).limit(MAX_CARDS + 1).execute();
  return rows.length > MAX_CARDS ? "too many" : rows.map((r) => r.iccid);
};

/** The conditions of everything but the text and number searches, and the key. */
const baseConditions = (def: KindDef, kind: Kind, who: Who, q: MessageQuery, iccids: string[] | null): RawBuilder<SqlBool>[] => {
  const time = sql.ref(`m.${def.time}`);
  const out: RawBuilder<SqlBool>[] = [];
  if (kind === "unattributed") {
    // Messages of a modem's own memory: seen by whoever sees the device; a card filter matches the candidates.
    if (!who.scope.everywhere) out.push(sql<SqlBool>`m.device in (${sql.join(who.devices.length ? who.devices.map((d) => d.key) : [""])})`);
    if (iccids) out.push(sql<SqlBool>`m.candidates && ${sql.val(iccids)}::text[]`);
  } else {
    if (!who.scope.everywhere) out.push(sql<SqlBool>`m.iccid in (select c.iccid from sim_cards c where ${sql.join(cardConditions(who.scope, {}, "c"), sql` and `)})`);
    if (iccids) out.push(sql<SqlBool>`m.iccid in (${sql.join(iccids)})`);
  }
  if (q.fromAt) out.push(sql<SqlBool>`${time} >= ${q.fromAt}`);
  if (q.toAt) out.push(sql<SqlBool>`${time} < ${q.toAt}`);
  const c = q.before ?? q.after;
  if (c) out.push(sql<SqlBool>`(${time}, m.id) ${sql.raw(q.before ? "<" : ">")} ('epoch'::timestamptz + ${c.us}::bigint * interval '1 microsecond', ${c.id}::bigint)`);
  return out;
};

const searchConditions = (def: KindDef, q: MessageQuery): RawBuilder<SqlBool>[] => {
  const out: RawBuilder<SqlBool>[] = [];
  if (q.text && def.text.length) out.push(sql<SqlBool>`(${sql.join(def.text.map((col) => sql`${sql.ref(`m.${col}`)} ilike ${contains(q.text)}`), sql` or `)})`);
  if (q.who && def.who) out.push(sql<SqlBool>`${sql.ref(`m.${def.who}`)} ilike ${contains(q.who)}`);
  return out;
};

const and = (conditions: readonly RawBuilder<SqlBool>[]) => (conditions.length ? sql<SqlBool>`${sql.join(conditions, sql` and `)}` : sql<SqlBool>`true`);

export interface MessagePage {
  readonly query: MessageQuery;
  readonly rows: readonly AnyRow[];
  /** The cards of the rows (and of the candidates), by ICCID. */
  readonly cards: ReadonlyMap<string, { id: number; number: string | null; name: string | null }>;
  readonly older: Cursor | null;
  readonly newer: Cursor | null;
  /** Without trigram indexes: the scan stopped at its bound here, and older rows were not searched yet. */
  readonly boundedAt: Cursor | null;
  readonly problems: readonly Problem[];
}

type Raw = Record<string, unknown> & { id: number; at: Date; us: string };

/**
 * One page of `q.kind`, `limit` rows, newest first (or, with `after`, the rows just newer than
 * it, still shown newest first), with whether more lie either way.
 */
export const messageRows = async (db: Kysely<Database>, who: Who, q: MessageQuery, limit: number, scanBound = SCAN_BOUND): Promise<{ rows: Raw[]; more: boolean; boundedAt: Cursor | null; problems: Problem[] }> => {
  const def = KIND[q.kind];
  const iccids = await cardsNamed(db, who, q.card);
  if (iccids === "too many") return { rows: [], more: false, boundedAt: null, problems: [{ key: "messages.bad.cards", vars: { max: MAX_CARDS } }] };
  if (iccids && iccids.length === 0) return { rows: [], more: false, boundedAt: null, problems: [] };
  const time = sql.ref(`m.${def.time}`);
  const dir = sql.raw(q.after ? "asc" : "desc");
  const select = sql`select ${sql.raw(def.columns)}, ${time} as at, (extract(epoch from ${time}) * 1000000)::bigint::text as us from ${sql.table(def.table)} m`;
  const base = baseConditions(def, q.kind, who, q, iccids);
  const search = searchConditions(def, q);
  const bounded = search.length > 0 && !(await hasTrigrams(db));
  const found = bounded
    ? await sql<Raw>`select * from (${select} where ${and(base)} order by ${time} ${dir}, m.id ${dir} limit ${scanBound}) m where ${and(search)} order by m.at ${dir}, m.id ${dir} limit ${limit + 1}`.execute(db)
    : await sql<Raw>`${select} where ${and([...base, ...search])} order by ${time} ${dir}, m.id ${dir} limit ${limit + 1}`.execute(db);
  const more = found.rows.length > limit;
  let boundedAt: Cursor | null = null;
  if (bounded && !more && !q.after) {
    // Fewer than a page within the bound: where the bound stopped, when it did.
    const edge = await sql<{ id: number; us: string }>`select m.id, (extract(epoch from ${time}) * 1000000)::bigint::text as us from ${sql.table(def.table)} m where ${and(base)} order by ${time} ${dir}, m.id ${dir} offset ${scanBound - 1} limit 1`.execute(db);
    const e = edge.rows[0];
    if (e) boundedAt = { us: e.us, id: e.id };
  }
  return { rows: found.rows.slice(0, limit), more, boundedAt, problems: [] };
};

const rowOf = (kind: Kind, r: Raw, parts: Map<number, OutgoingPart[]>): AnyRow => {
  const base = { id: r.id, at: r.at, cursor: { us: r.us, id: r.id } };
  const d = (v: unknown) => (v ? (v as Date) : null);
  switch (kind) {
    case "in":
      return { ...base, iccid: r.iccid as string, sender: r.sender as string, text: r.text as string, parts: r.parts as number, missing: (r.missing as number[]) ?? [], sentAt: d(r.sent_at), readAt: d(r.read_at) };
    case "out":
      return { ...base, iccid: (r.iccid as string | null) ?? null, addressee: r.addressee as string, text: r.text as string, state: r.state as string, error: (r.error as string | null) ?? null, statusReport: r.status_report as boolean, parts: parts.get(r.id) ?? [] };
    case "ussd":
      return { ...base, iccid: r.iccid as string, request: r.request as string, reply: (r.reply as string | null) ?? null, status: (r.status as string | null) ?? null, state: r.state as string, answeredAt: d(r.answered_at) };
    case "calls":
      return { ...base, iccid: r.iccid as string, direction: r.direction as string, number: (r.number as string | null) ?? null, state: r.state as string, answeredAt: d(r.answered_at), endedAt: d(r.ended_at), endReason: (r.end_reason as string | null) ?? null };
    case "unattributed":
      return {
        ...base,
        device: r.device as string,
        modem: r.modem as number,
        storage: r.storage as string,
        sender: r.sender as string,
        text: r.text as string,
        sentAt: d(r.sent_at),
        windowStart: d(r.window_start),
        candidates: (r.candidates as string[]) ?? [],
        reason: r.reason as string,
      };
  }
};

/** The rows as the page and the export show them: outgoing parts and the cards looked up for the batch. */
export const rowsWithDetails = async (db: Kysely<Database>, kind: Kind, raw: readonly Raw[]) => {
  const parts = kind === "out" ? await outgoingParts(db, raw.map((r) => r.id)) : new Map<number, OutgoingPart[]>();
  const rows = raw.map((r) => rowOf(kind, r, parts));
  const iccids = new Set<string>();
  for (const r of rows) {
    if ("iccid" in r && r.iccid) iccids.add(r.iccid);
    if ("candidates" in r) for (const c of r.candidates) iccids.add(c);
  }
  const cards = iccids.size ? await db.selectFrom("sim_cards").select(["id", "iccid", "number", "name"]).where("iccid", "in", [...iccids]).execute() : [];
  return { rows, cards: new Map(cards.map((c) => [c.iccid, { id: c.id, number: c.number, name: c.name }])) };
};

export const messagePage = async (db: Kysely<Database>, who: Who, parsed: { query: MessageQuery; problems: Problem[] }): Promise<MessagePage> => {
  const q = parsed.query;
  const empty = { query: q, rows: [], cards: new Map(), older: null, newer: null, boundedAt: null };
  if (parsed.problems.length) return { ...empty, problems: parsed.problems };
  const found = await messageRows(db, who, q, q.size);
  if (found.problems.length) return { ...empty, problems: found.problems };
  // `after` read upwards: shown newest first like every page.
  const raw = q.after ? [...found.rows].reverse() : found.rows;
  const { rows, cards } = await rowsWithDetails(db, q.kind, raw);
  const first = rows[0]?.cursor ?? null;
  const last = rows.at(-1)?.cursor ?? null;
  const older = q.after ? last : found.more ? last : null;
  const newer = q.after ? (found.more ? first : null) : q.before ? first : null;
  return { query: q, rows, cards, older, newer, boundedAt: found.boundedAt, problems: [] };
};
