/**
 * 0023: the technician's console through the service.
 * - `console_leases`: a modem taken by one user for a while (device and 1-based modem
 *   position). Taken by compare-and-set (a row whose time is up may be taken over), ended by
 *   its holder, by an admin, or by its time on the database's clock. While it stands the
 *   driving host's scheduler leaves the modem's SIMs where they are and jobs for its card
 *   wait.
 * - `console_lines`: every line typed into a console session (who, when, which modem and
 *   card, the command and the modem's whole reply): the audit of the console, and each
 *   user's history for the up and down arrows.
 * - `console_buttons`: a user's own hot buttons (none: the defaults).
 * Frozen once shipped.
 */
import { sql, type Kysely } from "kysely";

export const up = async (db: Kysely<any>): Promise<void> => {
  await db.schema
    .createTable("console_leases")
    .addColumn("device", "text", (c) => c.notNull())
    .addColumn("modem", "integer", (c) => c.notNull())
    .addColumn("user_id", "integer", (c) => c.notNull().references("api_users.id").onDelete("cascade"))
    .addColumn("holder", "text", (c) => c.notNull())
    .addColumn("taken_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("expires_at", "timestamptz", (c) => c.notNull())
    .addPrimaryKeyConstraint("console_leases_pk", ["device", "modem"])
    .execute();
  await db.schema
    .createTable("console_lines")
    .addColumn("id", "bigserial", (c) => c.primaryKey())
    .addColumn("user_id", "integer", (c) => c.references("api_users.id").onDelete("set null"))
    .addColumn("user_name", "text", (c) => c.notNull())
    .addColumn("device", "text", (c) => c.notNull())
    .addColumn("modem", "integer", (c) => c.notNull())
    .addColumn("iccid", "text")
    .addColumn("command", "text", (c) => c.notNull())
    // ok | error (the modem answered an error) | failed (no answer) | refused | unconfirmed
    .addColumn("outcome", "text", (c) => c.notNull())
    .addColumn("reply", "text")
    .addColumn("at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("ms", "integer")
    .execute();
  await db.schema.createIndex("console_lines_by_user").on("console_lines").columns(["user_id", "id"]).execute();
  await db.schema.createIndex("console_lines_by_modem").on("console_lines").columns(["device", "modem", "id"]).execute();
  await db.schema
    .createTable("console_buttons")
    .addColumn("user_id", "integer", (c) => c.primaryKey().references("api_users.id").onDelete("cascade"))
    .addColumn("buttons", "jsonb", (c) => c.notNull())
    .execute();
  // A lease taken or let go wakes the driving host's follower at once (on the holds' channel:
  // a lease is a hold on a modem).
  await sql`create trigger console_leases_wake after insert or update or delete on console_leases
    for each row execute function simgate_wake('simgate_holds')`.execute(db);
};

export const down = async (db: Kysely<any>): Promise<void> => {
  await sql`drop trigger if exists console_leases_wake on console_leases`.execute(db);
  for (const table of ["console_buttons", "console_lines", "console_leases"]) await db.schema.dropTable(table).ifExists().execute();
};
