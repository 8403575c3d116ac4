/**
 * The event feed in commit-safe order, for the notifier (and any reader that resumes from a
 * position: a live stream's Last-Event-ID). A position is (transaction id, event id). A read
 * returns only events written by transactions older than the oldest one still running
 * (pg_snapshot_xmin): those transactions have ended, so no event can ever appear before the
 * position returned. An event of a transaction still open waits for it, and the events of
 * later transactions wait behind it, in the order they would be seen had everything been
 * written by one connection.
 */
import { sql, type Kysely, type Transaction } from "kysely";
import type { Database } from "../store/schema";

export interface FeedPosition {
  readonly txid: number;
  readonly id: number;
}

export const FEED_START: FeedPosition = { txid: 0, id: 0 };

export interface FeedEvent {
  readonly id: number;
  readonly txid: number;
  readonly type: string;
  readonly device: string | null;
  readonly iccid: string | null;
  readonly payload: unknown;
  readonly at: Date;
}

type Db = Kysely<Database> | Transaction<Database>;

/** Up to `limit` settled events after `after`, in feed order. */
export const readFeed = async (db: Db, after: FeedPosition, limit: number): Promise<FeedEvent[]> => {
  const rows = await sql<FeedEvent>`
    select id, txid, type, device, iccid, payload, at from events
    where (txid, id) > (${after.txid}::bigint, ${after.id}::bigint)
      and txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint
    order by txid, id
    limit ${limit}`.execute(db);
  return rows.rows.map((r) => ({ ...r, id: Number(r.id), txid: Number(r.txid) }));
};

/** The position after everything settled now: where a reader that wants no history starts. */
export const feedEnd = async (db: Db): Promise<FeedPosition> => {
  const row = await sql<{ txid: string | number | null; id: string | number | null }>`
    select txid, id from events
    where txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint
    order by txid desc, id desc limit 1`.execute(db);
  const last = row.rows[0];
  return last ? { txid: Number(last.txid), id: Number(last.id) } : FEED_START;
};

/** "txid:id", as a resumable position travels (an HTTP header, a settings row). */
export const formatPosition = (p: FeedPosition): string => `${p.txid}:${p.id}`;

export const parsePosition = (text: unknown): FeedPosition | null => {
  if (typeof text !== "string") return null;
  const m = /^(\d{1,19}):(\d{1,19})$/.exec(text);
  return m ? { txid: Number(m[1]), id: Number(m[2]) } : null;
};
