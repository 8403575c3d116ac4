/**
 * What the SimFolder API and the panel's Messages page share about stored messages, USSD and
 * calls: deleting records (only those on the cards a user may see), and how far each part of
 * an outgoing message got (handed to the modem, answered, reported delivered or not).
 */
import { sql, type Kysely } from "kysely";
import { reportClass } from "../jobs/status-reports";
import type { Database } from "../store/schema";

export type RecordTable = "sms_in" | "sms_out" | "ussd" | "calls";

/**
 * Deletes the records of these ids that lie on one of `iccids` (null: on any card, the
 * panel's admin) and, for calls, go in `direction`. Returns how many went.
 */
export const deleteRecords = async (db: Kysely<Database>, table: RecordTable, ids: readonly number[], opts: { iccids: readonly string[] | null; direction?: string }): Promise<number> => {
  if (ids.length === 0 || (opts.iccids !== null && opts.iccids.length === 0)) return 0;
  let q = db.deleteFrom(table).where("id", "in", [...ids]);
  if (opts.iccids !== null) q = q.where("iccid", "in", [...opts.iccids]);
  if (opts.direction) q = q.where(sql.ref("direction"), "=", opts.direction);
  return Number((await q.executeTakeFirst()).numDeletedRows);
};

/**
 * One part of an outgoing message: `queued` (not handed to a modem yet), `sending` (handed,
 * no answer: in doubt if it stays so), `refused` (the modem's error), `sent` (a reference,
 * no report), then the report's verdict: `delivered`, `trying` (the network still tries) or
 * `failed`.
 */
export type PartState = "queued" | "sending" | "refused" | "sent" | "delivered" | "trying" | "failed";

export interface OutgoingPart {
  readonly seq: number;
  readonly state: PartState;
  readonly mr: number | null;
  readonly reportStatus: number | null;
  readonly at: Date | null;
  readonly error: string | null;
}

/** The parts of these outgoing messages, by message id, in order (two indexed reads). */
export const outgoingParts = async (db: Kysely<Database>, smsIds: readonly number[]): Promise<Map<number, OutgoingPart[]>> => {
  const out = new Map<number, OutgoingPart[]>();
  if (smsIds.length === 0) return out;
  const [submits, parts] = await Promise.all([
    db.selectFrom("sms_submits").select(["sms_id", "seq", "started_at", "finished_at", "mr", "error"]).where("sms_id", "in", [...smsIds]).execute(),
    db.selectFrom("sms_out_parts").select(["sms_id", "seq", "mr", "report_status", "reported_at"]).where("sms_id", "in", [...smsIds]).execute(),
  ]);
  const key = (id: number, seq: number) => `${id}:${seq}`;
  const recorded = new Map(parts.map((p) => [key(p.sms_id, p.seq), p]));
  const handed = new Map(submits.map((s) => [key(s.sms_id, s.seq), s]));
  const seqs = new Map<number, Set<number>>();
  for (const r of [...submits, ...parts]) (seqs.get(r.sms_id) ?? seqs.set(r.sms_id, new Set()).get(r.sms_id)!).add(r.seq);
  for (const [id, set] of seqs) {
    const list: OutgoingPart[] = [...set]
      .sort((a, b) => a - b)
      .map((seq) => {
        const p = recorded.get(key(id, seq));
        const s = handed.get(key(id, seq));
        if (p?.report_status !== null && p?.report_status !== undefined) return { seq, state: reportClass(p.report_status), mr: p.mr, reportStatus: p.report_status, at: p.reported_at, error: null };
        if (p) return { seq, state: "sent", mr: p.mr, reportStatus: null, at: s?.finished_at ?? null, error: null };
        if (s?.error) return { seq, state: "refused", mr: null, reportStatus: null, at: s.finished_at, error: s.error };
        if (s?.finished_at) return { seq, state: "sent", mr: s.mr, reportStatus: null, at: s.finished_at, error: null };
        return { seq, state: s ? "sending" : "queued", mr: null, reportStatus: null, at: s?.started_at ?? null, error: null };
      });
    out.set(id, list);
  }
  return out;
};

/** Deletes unattributed messages of these ids found on `devices` (their keys; null: any device). */
export const deleteUnattributed = async (db: Kysely<Database>, ids: readonly number[], devices: readonly string[] | null): Promise<number> => {
  if (ids.length === 0 || (devices !== null && devices.length === 0)) return 0;
  let q = db.deleteFrom("sms_unattributed").where("id", "in", [...ids]);
  if (devices !== null) q = q.where("device", "in", [...devices]);
  return Number((await q.executeTakeFirst()).numDeletedRows);
};
