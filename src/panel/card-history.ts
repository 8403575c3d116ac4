/**
 * One card's history: its SMS in and out, USSD, calls and slot moves (the `cardMoved`
 * events the inventory records), newest first, a page at a time. Everything is read by
 * the card's ICCID along each table's (card, time) index, with a keyset cursor (the time
 * and id of the last row shown), so a card with a million messages pages as fast as one
 * with ten. A forgotten card's history is its own still: it names the card by ICCID.
 */
import { sql, type RawBuilder } from "kysely";
import type { PanelContext } from "./context";

export const HISTORY_KINDS = ["sms", "out", "ussd", "calls", "moves"] as const;
export type HistoryKind = (typeof HISTORY_KINDS)[number];
export const HISTORY_PAGE = 50;

export interface HistoryRow {
  readonly id: number;
  readonly at: Date;
  /** The other side (sender, addressee, caller), the request, or where the card went. */
  readonly who: string | null;
  readonly text: string | null;
  readonly state: string | null;
}

/** Where a page starts: below this time and id (the last row of the page before). */
export interface Cursor {
  readonly at: Date;
  readonly id: number;
}

export const parseCursor = (value: string | null): Cursor | null => {
  const m = /^(\d{1,15})_(\d{1,19})$/.exec(value ?? "");
  if (!m) return null;
  const at = new Date(Number(m[1]));
  return Number.isNaN(at.getTime()) ? null : { at, id: Number(m[2]) };
};

export const cursorOf = (row: HistoryRow): string => `${new Date(row.at).getTime()}_${row.id}`;

const SOURCES: Record<HistoryKind, { table: string; time: string; select: RawBuilder<unknown> }> = {
  sms: { table: "sms_in", time: "received_at", select: sql`id, received_at as at, sender as who, case when missing = '{}' then text else text || ' […]' end as text, case when read_at is null then 'new' else 'read' end as state` },
  out: { table: "sms_out", time: "created_at", select: sql`id, created_at as at, addressee as who, text, state` },
  ussd: { table: "ussd", time: "created_at", select: sql`id, created_at as at, request as who, reply as text, coalesce(status, state) as state` },
  calls: { table: "calls", time: "started_at", select: sql`id, started_at as at, number as who, direction as text, coalesce(end_reason, state) as state` },
  moves: {
    table: "events",
    time: "at",
    select: sql`id, at, concat_ws(' ', payload->>'from_device', payload->>'from_place') as who, concat_ws(' ', payload->>'to_device', payload->>'to_place') as text,
      case when payload->>'forgotten' = 'true' then 'forgotten' when payload->>'returned' = 'true' then 'returned' when payload->>'to_place' is null then 'taken out' else 'moved' end as state`,
  },
};

/** A page of one kind of the card's history, newest first, and the cursor of the next page (null: no more). */
export const cardHistory = async (ctx: PanelContext, iccid: string, kind: HistoryKind, before: Cursor | null): Promise<{ rows: HistoryRow[]; next: string | null }> => {
  const src = SOURCES[kind];
  const time = sql.ref(src.time);
  const conditions = [sql`iccid = ${iccid}`];
  // Events are in id order along their card index (0018); the rest by their time column.
  const order = kind === "moves" ? sql`id desc` : sql`${time} desc, id desc`;
  if (kind === "moves") conditions.push(sql`type = 'cardMoved'`);
  if (before) conditions.push(kind === "moves" ? sql`id < ${before.id}` : sql`(${time}, id) < (${before.at}, ${before.id})`);
  const rows = await sql<HistoryRow>`select ${src.select} from ${sql.table(src.table)} where ${sql.join(conditions, sql` and `)} order by ${order} limit ${HISTORY_PAGE + 1}`.execute(ctx.db);
  const page = rows.rows.slice(0, HISTORY_PAGE).map((r) => ({ ...r, id: Number(r.id) }));
  return { rows: page, next: rows.rows.length > HISTORY_PAGE ? cursorOf(page[page.length - 1]!) : null };
};
