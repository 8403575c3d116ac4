/**
 * The SIM inventory in the store: devices by their configuration id, and every card where it
 * was last read (device, position, ICCID, IMSI, number, operator). A card found at a position
 * recorded for another card has replaced it there. Cards join the pools whose filter they
 * match when first seen.
 */
import { Effect } from "effect";
import { sql, type Kysely } from "kysely";
import type { ModemSnapshot } from "../../drivers/modem/state";
import type { RegisteredDevice } from "../devices/registry";
import { StoreError, tryStore } from "../store/database";
import type { Database } from "../store/schema";
import { joinPools } from "../pools/pools";

const store = tryStore;

/** Upserts the configured devices; their numeric ids by configuration id. */
export const syncDevices = (db: Kysely<Database>, devices: readonly RegisteredDevice[]): Effect.Effect<ReadonlyMap<string, number>, StoreError> =>
  store("recording the devices", async () => {
    const ids = new Map<string, number>();
    for (const d of devices) {
      const values = { key: d.config.id, title: d.config.title, model: d.config.model, channels: d.modems.length, owner: d.config.owner ?? null, config: JSON.stringify({ positions: d.driver.positions.length }) };
      const row = await db
        .insertInto("devices")
        .values(values)
        // The config keeps what the API set (an edited title); the file's title stays in `title`.
        .onConflict((oc) => oc.column("key").doUpdateSet({ title: values.title, model: values.model, channels: values.channels, owner: values.owner, config: sql`devices.config || excluded.config` }))
        .returning("id")
        .executeTakeFirstOrThrow();
      ids.set(d.config.id, row.id);
    }
    return ids;
  });

export const recordCard = (db: Kysely<Database>, deviceId: number, deviceKey: string, position: string, s: ModemSnapshot): Effect.Effect<void, StoreError> => {
  const sim = s.sim;
  if (!sim?.iccid) return Effect.void;
  const iccid = sim.iccid;
  return store("recording a SIM card", () =>
    db.transaction().execute(async (trx) => {
      await trx.updateTable("sim_cards").set({ place: null }).where("device_id", "=", deviceId).where("place", "=", position).where("iccid", "<>", iccid).execute();
      await sql`
        insert into sim_cards (device_id, place, iccid, imsi, number, operator, last_seen_at, updated_at)
        values (${deviceId}, ${position}, ${iccid}, ${sim.imsi}, ${sim.number}, ${s.operator}, now(), now())
        on conflict (iccid) do update set
          device_id = excluded.device_id, place = excluded.place,
          imsi = coalesce(excluded.imsi, sim_cards.imsi),
          number = coalesce(excluded.number, sim_cards.number),
          operator = coalesce(excluded.operator, sim_cards.operator),
          last_seen_at = now(), updated_at = now()`.execute(trx);
      await joinPools(trx, { iccid, device: deviceKey, operator: s.operator });
    }),
  );
};
