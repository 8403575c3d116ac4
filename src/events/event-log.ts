/**
 * The event log as a reader pages through it (the panel's Events page): newest first by the
 * time it happened (the id breaks ties), narrowed by type, device, card and a time window,
 * one page before or after an event given by its id. Keyset paging on (at, id) with the
 * indexes of migration 0019 ((at, id), and (type | device | iccid, at, id)), so a page costs
 * the same on the millionth event as on the first, and a time window is a range of an index
 * wherever in the history it lies.
 */
import { sql, type Kysely } from "kysely";
import type { Database } from "../store/schema";

export interface EventFilter {
  readonly type?: string;
  readonly device?: string;
  readonly iccid?: string;
  readonly from?: Date;
  readonly to?: Date;
  /** The devices the reader may see; null: every device and the events of none (an admin). */
  readonly devices: readonly string[] | null;
}

export interface EventPage {
  /** Older than this event (by its id), or newer than it; neither: the newest. */
  readonly before?: number;
  readonly after?: number;
  readonly limit: number;
}

export interface LoggedEvent {
  readonly id: number;
  readonly type: string;
  readonly device: string | null;
  readonly iccid: string | null;
  readonly payload: Record<string, unknown>;
  readonly at: Date;
}

export interface EventSlice {
  /** Newest first. */
  readonly rows: LoggedEvent[];
  /** Whether older and newer events than the slice match the filter too. */
  readonly older: boolean;
  readonly newer: boolean;
  /** The event named as the page's edge no longer exists (pruned): nothing was read. */
  readonly lostCursor?: boolean;
}

type Edge = { readonly at: Date; readonly id: number };

export const eventLog = async (db: Kysely<Database>, filter: EventFilter, page: EventPage): Promise<EventSlice> => {
  if (filter.devices !== null && filter.devices.length === 0) return { rows: [], older: false, newer: false };
  let q = db.selectFrom("events").select(["id", "type", "device", "iccid", "payload", "at"]);
  if (filter.devices !== null) q = q.where("device", "in", [...filter.devices]);
  if (filter.type) q = q.where("type", "=", filter.type);
  if (filter.device) q = q.where("device", "=", filter.device);
  if (filter.iccid) q = q.where("iccid", "=", filter.iccid);
  if (filter.from) q = q.where("at", ">=", filter.from);
  if (filter.to) q = q.where("at", "<", filter.to);
  const forward = page.after !== undefined && page.before === undefined;
  const cursorId = page.before ?? page.after;
  let cursor: Edge | undefined;
  if (cursorId !== undefined) {
    const row = await db.selectFrom("events").select(["at", "id"]).where("id", "=", cursorId).executeTakeFirst();
    if (!row) return { rows: [], older: false, newer: false, lostCursor: true };
    cursor = { at: row.at, id: Number(row.id) };
  }
  const olderThan = (e: Edge) => sql<boolean>`(at, id) < (${e.at}, ${e.id})`;
  const newerThan = (e: Edge) => sql<boolean>`(at, id) > (${e.at}, ${e.id})`;
  let w = q;
  if (cursor) w = w.where(forward ? newerThan(cursor) : olderThan(cursor));
  const dir = forward ? "asc" : "desc";
  // One more than a page tells whether there is more in the direction read.
  const rows = await w.orderBy("at", dir).orderBy("id", dir).limit(page.limit + 1).execute();
  const more = rows.length > page.limit;
  const shown = rows.slice(0, page.limit).map((r) => ({ id: Number(r.id), type: r.type, device: r.device, iccid: r.iccid, payload: (r.payload ?? {}) as Record<string, unknown>, at: r.at }));
  if (forward) shown.reverse();
  // The other direction: one row beyond the slice's far edge (or the cursor, when the slice is empty).
  const exists = async (cond: ReturnType<typeof olderThan>) => (await q.where(cond).limit(1).execute()).length > 0;
  const newest = shown[0] ?? cursor;
  const oldest = shown.at(-1) ?? cursor;
  if (forward) return { rows: shown, newer: more, older: oldest ? await exists(olderThan(oldest)) : false };
  return { rows: shown, older: more, newer: cursor && newest ? await exists(newerThan(newest)) : false };
};
