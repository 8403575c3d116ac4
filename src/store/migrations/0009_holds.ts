/**
 * 0009: the clients' holds on bank positions (an SR-Navigator number opened, a SimFolder
 * cardSelect), so a restart does not forget them: the scheduler takes them again at start.
 * A job's own hold is not kept here: the job takes it again when it runs. Frozen once shipped.
 */
import { sql, type Kysely } from "kysely";

export const up = async (db: Kysely<any>): Promise<void> => {
  await db.schema
    .createTable("holds")
    .addColumn("device", "text", (c) => c.notNull())
    .addColumn("position", "text", (c) => c.notNull())
    .addColumn("holder", "text", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint("holds_pk", ["device", "position", "holder"])
    .execute();
};

export const down = async (db: Kysely<any>): Promise<void> => {
  await db.schema.dropTable("holds").ifExists().execute();
};
