/**
 * 0008: status reports as rows. A report names the message by the card that sent it, a
 * one-octet reference and the recipient; it may come long after the send, after a
 * reconnection or a restart. Every report is kept, matched to its part or not (then with
 * an event), so none is dropped. Frozen once shipped.
 */
import { sql, type Kysely } from "kysely";

export const up = async (db: Kysely<any>): Promise<void> => {
  await db.schema
    .createTable("sms_reports")
    .addColumn("id", "bigserial", (c) => c.primaryKey())
    .addColumn("iccid", "text")
    .addColumn("mr", "integer", (c) => c.notNull())
    .addColumn("recipient", "text", (c) => c.notNull())
    .addColumn("status", "integer", (c) => c.notNull())
    .addColumn("discharged_at", "timestamptz")
    .addColumn("received_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("pdu", "text", (c) => c.notNull())
    .addColumn("sms_id", "bigint")
    .addColumn("seq", "integer")
    .execute();
  await db.schema.createIndex("sms_reports_waiting").on("sms_reports").columns(["iccid", "mr"]).where(sql.ref("sms_id"), "is", null).execute();
  await db.schema.createIndex("sms_out_parts_by_mr").on("sms_out_parts").columns(["mr", "sms_id"]).execute();
  await db.schema.createIndex("sms_out_by_card_sent").on("sms_out").columns(["iccid", "sent_at"]).execute();
};

export const down = async (db: Kysely<any>): Promise<void> => {
  await db.schema.dropIndex("sms_out_by_card_sent").ifExists().execute();
  await db.schema.dropIndex("sms_out_parts_by_mr").ifExists().execute();
  await db.schema.dropTable("sms_reports").ifExists().execute();
};
