/**
 * 0021: `outbox.sending_until`: the notifier that is posting a notification holds it until
 * then, so the notifiers of several hosts never post one twice (a host that died while
 * posting lets it go when the time is up).
 * Frozen once shipped.
 */
import type { Kysely } from "kysely";

export const up = async (db: Kysely<any>): Promise<void> => {
  await db.schema.alterTable("outbox").addColumn("sending_until", "timestamptz").execute();
};

export const down = async (db: Kysely<any>): Promise<void> => {
  await db.schema.alterTable("outbox").dropColumn("sending_until").execute();
};
