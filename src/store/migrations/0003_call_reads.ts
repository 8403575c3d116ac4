/** 0003: incoming calls get a read mark (the SR-Navigator API's NEW/READED). Frozen once shipped. */
import type { Kysely } from "kysely";

export const up = async (db: Kysely<any>): Promise<void> => {
  await db.schema.alterTable("calls").addColumn("read_at", "timestamptz").execute();
  await db.schema.createIndex("calls_by_card").on("calls").columns(["iccid", "started_at"]).execute();
};

export const down = async (db: Kysely<any>): Promise<void> => {
  await db.schema.dropIndex("calls_by_card").ifExists().execute();
  await db.schema.alterTable("calls").dropColumn("read_at").execute();
};
