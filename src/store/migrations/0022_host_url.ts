/**
 * 0022: `hosts.url`: where the other hosts reach this one's HTTP server, for the requests
 * that must be served by the host driving the modem while they wait (answering a ringing
 * call, hanging up). Written by each host once it listens.
 * Frozen once shipped.
 */
import type { Kysely } from "kysely";

export const up = async (db: Kysely<any>): Promise<void> => {
  await db.schema.alterTable("hosts").addColumn("url", "text").execute();
};

export const down = async (db: Kysely<any>): Promise<void> => {
  await db.schema.alterTable("hosts").dropColumn("url").execute();
};
