/**
 * The event log as a reader pages through it (the panel's Events page): newest first by id,
 * narrowed by type, device, card and a time window, one page before or after a cursor id.
 * Keyset paging with the indexes of migration 0019 ((type, id), (device, id), (iccid, id)),
 * so a page costs the same on the millionth event as on the first.
 */
import type { Kysely } from "kysely";
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
  /** Before this id (older), or after it (newer); neither: the newest. */
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
}

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
  let w = q;
  if (page.before !== undefined) w = w.where("id", "<", page.before);
  else if (page.after !== undefined) w = w.where("id", ">", page.after);
  // One more than a page tells whether there is more in the direction read.
  const rows = await w.orderBy("id", forward ? "asc" : "desc").limit(page.limit + 1).execute();
  const more = rows.length > page.limit;
  const shown = rows.slice(0, page.limit).map((r) => ({ id: Number(r.id), type: r.type, device: r.device, iccid: r.iccid, payload: (r.payload ?? {}) as Record<string, unknown>, at: r.at }));
  if (forward) shown.reverse();
  // The other direction: is there one row beyond the slice's far edge (a cheap probe by index).
  const edge = forward ? shown.at(-1)?.id : shown[0]?.id;
  const probe = async (cmp: "<" | ">", id: number | undefined) => id !== undefined && (await q.where("id", cmp, id).select("id").limit(1).execute()).length > 0;
  if (forward) return { rows: shown, newer: more, older: await probe("<", edge ?? page.after! + 1) };
  return { rows: shown, older: more, newer: page.before === undefined ? false : await probe(">", edge ?? page.before - 1) };
};
