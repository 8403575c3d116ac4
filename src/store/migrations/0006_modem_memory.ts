/**
 * 0006: what is needed to put a message found in a modem's own memory (ME) down to the right
 * card. ME does not follow a card, and a received PDU names no recipient, so the store keeps
 * which card was on which modem when (`modem_cards`) and when each modem's memory was last
 * read empty (`modem_sweeps`); a message whose card cannot be decided from those is kept in
 * `sms_unattributed` with its evidence, never under a guessed card. Frozen once shipped.
 */
import { sql, type Kysely } from "kysely";

export const up = async (db: Kysely<any>): Promise<void> => {
  await db.schema
    .createTable("modem_cards")
    .addColumn("id", "bigserial", (c) => c.primaryKey())
    .addColumn("device", "text", (c) => c.notNull())
    .addColumn("modem", "integer", (c) => c.notNull())
    .addColumn("iccid", "text", (c) => c.notNull())
    .addColumn("first_seen", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("last_seen", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex("modem_cards_by_modem").on("modem_cards").columns(["device", "modem", "first_seen"]).execute();
  await db.schema
    .createTable("modem_sweeps")
    .addColumn("device", "text", (c) => c.notNull())
    .addColumn("modem", "integer", (c) => c.notNull())
    .addColumn("storage", "text", (c) => c.notNull())
    .addColumn("emptied_at", "timestamptz", (c) => c.notNull())
    .addPrimaryKeyConstraint("modem_sweeps_pk", ["device", "modem", "storage"])
    .execute();
  await db.schema
    .createTable("sms_unattributed")
    .addColumn("id", "bigserial", (c) => c.primaryKey())
    .addColumn("device", "text", (c) => c.notNull())
    .addColumn("modem", "integer", (c) => c.notNull())
    .addColumn("storage", "text", (c) => c.notNull())
    .addColumn("sender", "text", (c) => c.notNull())
    .addColumn("text", "text", (c) => c.notNull())
    .addColumn("pdu", "text", (c) => c.notNull())
    .addColumn("pdu_hash", "text", (c) => c.notNull())
    .addColumn("sent_at", "timestamptz")
    .addColumn("received_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("window_start", "timestamptz")
    .addColumn("candidates", sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn("reason", "text", (c) => c.notNull())
    .addUniqueConstraint("sms_unattributed_once", ["device", "modem", "pdu_hash"])
    .execute();
};

export const down = async (db: Kysely<any>): Promise<void> => {
  await db.schema.dropTable("sms_unattributed").ifExists().execute();
  await db.schema.dropTable("modem_sweeps").ifExists().execute();
  await db.schema.dropTable("modem_cards").ifExists().execute();
};
