/**
 * Status reports matched in the store. A report names the card that sent the part, a
 * one-octet reference (TP-MR, which wraps at 255) and the recipient: it belongs to the most
 * recent part sent from that card with that reference to that recipient, within a week. A
 * report that matches nothing yet is kept waiting (its part may be a moment from being
 * recorded) and announced with an event; recording a sent message's parts takes the
 * reports that waited for them. Both run under one lock per card, so a report and the
 * parts it belongs to never pass each other unseen.
 */
import { sql, type Kysely, type Transaction } from "kysely";
import type { StatusReport } from "../../drivers/modem/sms-outbox";
import { recordEvent } from "../store/events";
import type { Database } from "../store/schema";

/** How far back a report may reach for its part. */
const REPORT_WINDOW = "7 days";

/** Serialises report matching and part recording for one card (transaction-scoped). */
export const lockCardReports = (trx: Transaction<Database>, iccid: string) => sql`select pg_advisory_xact_lock(7130003, hashtext(${iccid}))`.execute(trx);

const digits = (s: string) => s.replace(/\D/g, "");

/** The same number written two ways (+7 916..., 8 916..., 916...): the last nine digits agree. */
const sameRecipient = (recipient: string) => {
  const d = digits(recipient).slice(-9);
  return d.length === 0 ? sql<boolean>`true` : sql<boolean>`right(regexp_replace(s.addressee, '\\D', '', 'g'), 9) = ${d}`;
};

/** 23.040 9.2.3.15: 0x00-0x1F delivered; 0x20-0x3F still trying; 0x40 and up failed. */
export const reportClass = (status: number): "delivered" | "trying" | "failed" => (status >= 0x40 ? "failed" : status >= 0x20 ? "trying" : "delivered");

const outcomeOf = (statuses: readonly (number | null)[]): 0 | 2 | null => {
  if (statuses.some((s) => s !== null && s >= 0x40)) return 0;
  return statuses.every((s) => s !== null && s < 0x20) ? 2 : null;
};

/** A matched report on its part; the message's outcome once every part has reported. */
const applyReport = async (trx: Transaction<Database>, smsId: number, seq: number, status: number, reportedAt: Date) => {
  await trx.updateTable("sms_out_parts").set({ report_status: status, reported_at: reportedAt }).where("sms_id", "=", smsId).where("seq", "=", seq).execute();
  const parts = await trx.selectFrom("sms_out_parts").select("report_status").where("sms_id", "=", smsId).execute();
  const outcome = outcomeOf(parts.map((p) => p.report_status));
  if (outcome === null) return;
  const row = await trx
    .updateTable("sms_out")
    .set(outcome === 2 ? { state: "delivered", outcome: 2, delivered_at: reportedAt } : { state: "undelivered", outcome: 0 })
    .where("id", "=", smsId)
    .where("outcome", "is distinct from", outcome)
    .returning(["iccid", "addressee"])
    .executeTakeFirst();
  if (row) await recordEvent(trx, "smsSended", { iccid: row.iccid }, { sms_id: smsId, addressee: row.addressee, status: outcome });
};

/** Stores a report and applies it to its part when one matches. */
export const recordStatusReport = (db: Kysely<Database>, report: StatusReport): Promise<{ matched: boolean }> =>
  db.transaction().execute(async (trx) => {
    if (report.iccid) await lockCardReports(trx, report.iccid);
    const part = report.iccid
      ? await trx
          .selectFrom("sms_out_parts as p")
          .innerJoin("sms_out as s", "s.id", "p.sms_id")
          .select(["p.sms_id", "p.seq"])
          .where("s.iccid", "=", report.iccid)
          .where("p.mr", "=", report.mr)
          .where(sameRecipient(report.recipient))
          .where(sql<boolean>`s.sent_at > now() - ${REPORT_WINDOW}::interval`)
          .orderBy("s.sent_at", "desc")
          .orderBy("p.sms_id", "desc")
          .limit(1)
          .executeTakeFirst()
      : undefined;
    const now = new Date();
    await trx
      .insertInto("sms_reports")
      .values({
        iccid: report.iccid,
        mr: report.mr,
        recipient: report.recipient,
        status: report.status,
        discharged_at: report.dischargedAt ? new Date(report.dischargedAt) : null,
        pdu: report.raw,
        sms_id: part?.sms_id ?? null,
        seq: part?.seq ?? null,
      })
      .execute();
    if (part) {
      await applyReport(trx, part.sms_id, part.seq, report.status, now);
      return { matched: true };
    }
    await recordEvent(trx, "smsReportUnmatched", { iccid: report.iccid }, { mr: report.mr, recipient: report.recipient, report_status: report.status });
    return { matched: false };
  });

/** With the card locked, after a message's parts are recorded: the reports that came first. */
export const takeWaitingReports = async (trx: Transaction<Database>, smsId: number, iccid: string, addressee: string) => {
  const waiting = await trx
    .selectFrom("sms_reports as r")
    .innerJoin("sms_out_parts as p", (j) => j.on("p.sms_id", "=", smsId).onRef("p.mr", "=", "r.mr"))
    .select(["r.id", "r.status", "r.received_at", "p.seq", "r.recipient"])
    .where("r.sms_id", "is", null)
    .where("r.iccid", "=", iccid)
    .where(sql<boolean>`r.received_at > now() - interval '1 hour'`)
    .orderBy("r.id")
    .execute();
  const target = digits(addressee).slice(-9);
  for (const r of waiting) {
    if (target && digits(r.recipient).slice(-9) !== target) continue;
    await trx.updateTable("sms_reports").set({ sms_id: smsId, seq: r.seq }).where("id", "=", r.id).execute();
    await applyReport(trx, smsId, r.seq, r.status, r.received_at);
  }
};
