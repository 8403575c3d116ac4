/**
 * 0011: each modem's live state, written by the host that drives it, so any host's APIs
 * can answer for every device (a device driven elsewhere has no actor here). Frozen once
 * shipped.
 */
import { sql, type Kysely } from "kysely";

export const up = async (db: Kysely<any>): Promise<void> => {
  await db.schema
    .createTable("modem_state")
    .addColumn("device", "text", (c) => c.notNull())
    .addColumn("modem", "integer", (c) => c.notNull())
    .addColumn("host", "text", (c) => c.notNull())
    .addColumn("connected", "boolean", (c) => c.notNull())
    .addColumn("sim_status", "integer", (c) => c.notNull())
    .addColumn("iccid", "text")
    .addColumn("number", "text")
    .addColumn("operator", "text")
    .addColumn("registration", "text")
    .addColumn("signal_dbm", "integer")
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint("modem_state_pk", ["device", "modem"])
    .execute();
  await db.schema.createIndex("modem_state_by_card").on("modem_state").column("iccid").execute();
};

export const down = async (db: Kysely<any>): Promise<void> => {
  await db.schema.dropTable("modem_state").ifExists().execute();
};
