/**
 * 0001: the hardware side of the store. Frozen: never edit a migration that has shipped, and
 * never import application code here (it would change what an old migration does).
 * The API issues add their own tables (users, keys, pools) in later migrations.
 */
import { sql, type Kysely } from "kysely";

export const up = async (db: Kysely<any>): Promise<void> => {
  await db.schema
    .createTable("operators")
    .addColumn("id", "serial", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull().unique())
    .addColumn("short_name", "text")
    .addColumn("mccmnc", "text")
    .addColumn("balance_ussd", "text")
    .addColumn("number_ussd", "text")
    .execute();

  await db.schema
    .createTable("devices")
    .addColumn("id", "serial", (c) => c.primaryKey())
    .addColumn("title", "text", (c) => c.notNull())
    .addColumn("model", "text", (c) => c.notNull())
    .addColumn("config", "jsonb", (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable("modems")
    .addColumn("id", "serial", (c) => c.primaryKey())
    .addColumn("device_id", "integer", (c) => c.notNull().references("devices.id").onDelete("cascade"))
    .addColumn("position", "integer", (c) => c.notNull())
    .addColumn("imei", "text")
    .addColumn("path", "text")
    .addColumn("state", "jsonb", (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addUniqueConstraint("modems_device_position", ["device_id", "position"])
    .execute();

  await db.schema
    .createTable("sim_cards")
    .addColumn("id", "serial", (c) => c.primaryKey())
    .addColumn("device_id", "integer", (c) => c.references("devices.id").onDelete("set null"))
    .addColumn("place", "text")
    .addColumn("iccid", "text", (c) => c.notNull().unique())
    .addColumn("imsi", "text")
    .addColumn("number", "text")
    .addColumn("name", "text")
    .addColumn("operator_id", "integer", (c) => c.references("operators.id").onDelete("set null"))
    .addColumn("balance", "numeric(12, 2)")
    .addColumn("state", "smallint", (c) => c.notNull().defaultTo(-1))
    .addColumn("comment", "text")
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  // One row per received part, as read from the SIM. (iccid, pdu_hash) makes a part that is
  // read twice (a crash between storing and deleting it from the SIM) a no-op.
  await db.schema
    .createTable("sms_parts")
    .addColumn("id", "bigserial", (c) => c.primaryKey())
    .addColumn("iccid", "text", (c) => c.notNull())
    .addColumn("sender", "text", (c) => c.notNull())
    .addColumn("pdu", "text", (c) => c.notNull())
    .addColumn("pdu_hash", "text", (c) => c.notNull())
    .addColumn("text", "text", (c) => c.notNull())
    .addColumn("concat_ref", "integer")
    .addColumn("seq", "integer", (c) => c.notNull())
    .addColumn("total", "integer", (c) => c.notNull())
    .addColumn("sent_at", "timestamptz")
    .addColumn("received_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("message_id", "bigint")
    .addUniqueConstraint("sms_parts_once", ["iccid", "pdu_hash"])
    .execute();
  await db.schema.createIndex("sms_parts_waiting").on("sms_parts").columns(["iccid", "sender", "concat_ref", "total"]).where(sql.ref("message_id"), "is", null).execute();

  // Whole messages: what the APIs list and notify. `key` names the parts' group, so a message
  // is assembled once however often its parts are seen.
  await db.schema
    .createTable("sms_in")
    .addColumn("id", "bigserial", (c) => c.primaryKey())
    .addColumn("iccid", "text", (c) => c.notNull())
    .addColumn("key", "text", (c) => c.notNull())
    .addColumn("sender", "text", (c) => c.notNull())
    .addColumn("text", "text", (c) => c.notNull())
    .addColumn("parts", "integer", (c) => c.notNull())
    .addColumn("missing", sql`integer[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn("sent_at", "timestamptz")
    .addColumn("received_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("read_at", "timestamptz")
    .addUniqueConstraint("sms_in_once", ["iccid", "key"])
    .execute();
  await db.schema.createIndex("sms_in_by_card").on("sms_in").columns(["iccid", "received_at"]).execute();
  await db.schema.createIndex("sms_in_by_sender").on("sms_in").columns(["sender", "received_at"]).execute();

  await db.schema
    .createTable("sms_out")
    .addColumn("id", "bigserial", (c) => c.primaryKey())
    .addColumn("iccid", "text")
    .addColumn("addressee", "text", (c) => c.notNull())
    .addColumn("text", "text", (c) => c.notNull())
    .addColumn("status_report", "boolean", (c) => c.notNull().defaultTo(false))
    // queued, sending, sent, delivered, failed; `outcome` is the API's 0 error / 1 sent / 2 delivered.
    .addColumn("state", "text", (c) => c.notNull().defaultTo("queued"))
    .addColumn("outcome", "smallint")
    .addColumn("error", "text")
    .addColumn("modem_error", "integer")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("sent_at", "timestamptz")
    .addColumn("delivered_at", "timestamptz")
    .execute();
  await db.schema.createIndex("sms_out_by_card").on("sms_out").columns(["iccid", "created_at"]).execute();

  await db.schema
    .createTable("sms_out_parts")
    .addColumn("id", "bigserial", (c) => c.primaryKey())
    .addColumn("sms_id", "bigint", (c) => c.notNull().references("sms_out.id").onDelete("cascade"))
    .addColumn("seq", "integer", (c) => c.notNull())
    .addColumn("mr", "integer")
    .addColumn("report_status", "integer")
    .addColumn("reported_at", "timestamptz")
    .addUniqueConstraint("sms_out_parts_once", ["sms_id", "seq"])
    .execute();

  await db.schema
    .createTable("ussd")
    .addColumn("id", "bigserial", (c) => c.primaryKey())
    .addColumn("iccid", "text", (c) => c.notNull())
    .addColumn("request", "text", (c) => c.notNull())
    .addColumn("reply", "text")
    .addColumn("raw", "text")
    .addColumn("status", "text")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("answered_at", "timestamptz")
    .execute();

  await db.schema
    .createTable("calls")
    .addColumn("id", "bigserial", (c) => c.primaryKey())
    .addColumn("iccid", "text", (c) => c.notNull())
    .addColumn("direction", "text", (c) => c.notNull())
    .addColumn("number", "text")
    .addColumn("state", "text", (c) => c.notNull())
    .addColumn("started_at", "timestamptz", (c) => c.notNull())
    .addColumn("answered_at", "timestamptz")
    .addColumn("ended_at", "timestamptz")
    .addColumn("end_reason", "text")
    .execute();

  await db.schema
    .createTable("at_log")
    .addColumn("id", "bigserial", (c) => c.primaryKey())
    .addColumn("modem_id", "integer")
    .addColumn("command", "text", (c) => c.notNull())
    .addColumn("response", "text", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  // Work that must survive a restart: sends, switches, webhook deliveries.
  await db.schema
    .createTable("jobs")
    .addColumn("id", "bigserial", (c) => c.primaryKey())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("payload", "jsonb", (c) => c.notNull())
    .addColumn("state", "text", (c) => c.notNull().defaultTo("queued"))
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("run_after", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("locked_until", "timestamptz")
    .addColumn("last_error", "text")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex("jobs_due").on("jobs").columns(["state", "run_after"]).execute();

  await db.schema
    .createTable("outbox")
    .addColumn("id", "bigserial", (c) => c.primaryKey())
    .addColumn("event", "text", (c) => c.notNull())
    .addColumn("payload", "jsonb", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("next_attempt_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("delivered_at", "timestamptz")
    .addColumn("last_error", "text")
    .execute();
  await db.schema.createIndex("outbox_due").on("outbox").columns(["next_attempt_at"]).where(sql.ref("delivered_at"), "is", null).execute();

  await db.schema
    .createTable("settings")
    .addColumn("key", "text", (c) => c.primaryKey())
    .addColumn("value", "jsonb", (c) => c.notNull())
    .execute();
};

export const down = async (db: Kysely<any>): Promise<void> => {
  for (const table of ["settings", "outbox", "jobs", "at_log", "calls", "ussd", "sms_out_parts", "sms_out", "sms_in", "sms_parts", "sim_cards", "modems", "devices", "operators"])
    await db.schema.dropTable(table).ifExists().execute();
};
