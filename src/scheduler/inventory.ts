/**
 * The SIM inventory in the store: devices by their configuration id, and every card where it
 * was last read (device, position, ICCID, IMSI, number, operator). A card found at a position
 * recorded for another card has replaced it there. Cards join the pools whose filter they
 * match when first seen. A card read at another place than its last (or read again after it
 * was forgotten) is recorded as moved (`cardMoved`): its slot history.
 */
import { Effect } from "effect";
import { sql, type Kysely, type Transaction } from "kysely";
import { imsiFallbackKey } from "../../drivers/modem/bring-up";
import type { ModemSnapshot } from "../../drivers/modem/state";
import type { RegisteredDevice } from "../devices/registry";
import { StoreError, tryStore } from "../store/database";
import type { Database } from "../store/schema";
import { joinPools } from "../pools/pools";
import { recordEvent } from "../store/events";

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

/**
 * A card first registered under its IMSI (no ICCID was readable) shows its ICCID: every row
 * that names the card by the fallback key takes the ICCID, so its messages, calls, jobs,
 * pools and events stay its own. The tables are found by their `iccid` column, so one added
 * later is re-keyed too. A row that would collide with one the card already has under its
 * ICCID (the same part read under both keys) keeps the fallback key rather than be lost.
 * Runs in the caller's transaction; returns whether there was anything to re-key.
 */
export const rekeyCard = async (trx: Transaction<Database>, from: string, to: string): Promise<boolean> => {
  const old = await trx.selectFrom("sim_cards").select("id").where("iccid", "=", from).executeTakeFirst();
  if (!old) return false;
  const tables = await sql<{ table_name: string }>`
    select table_name from information_schema.columns
    where column_name = 'iccid' and table_schema = current_schema() and table_name <> 'sim_cards'`.execute(trx);
  for (const { table_name: table } of tables.rows) {
    await sql`savepoint rekey`.execute(trx);
    try {
      await sql`update ${sql.table(table)} set iccid = ${to} where iccid = ${from}`.execute(trx);
      await sql`release savepoint rekey`.execute(trx);
    } catch {
      // A unique key collides: move the rows one by one, leaving the colliding ones.
      await sql`rollback to savepoint rekey`.execute(trx);
      const rows = await sql<{ row: string }>`select ctid::text as row from ${sql.table(table)} where iccid = ${from}`.execute(trx);
      for (const { row } of rows.rows) {
        await sql`savepoint rekey_row`.execute(trx);
        try {
          await sql`update ${sql.table(table)} set iccid = ${to} where ctid = ${row}::tid`.execute(trx);
          await sql`release savepoint rekey_row`.execute(trx);
        } catch {
          await sql`rollback to savepoint rekey_row`.execute(trx);
        }
      }
    }
  }
  const existing = await trx.selectFrom("sim_cards").select("id").where("iccid", "=", to).executeTakeFirst();
  if (existing) {
    // Seen before under its ICCID: that row stays, enriched by what the fallback row knew.
    await sql`
      update sim_cards set imsi = coalesce(sim_cards.imsi, f.imsi), number = coalesce(sim_cards.number, f.number),
        operator = coalesce(sim_cards.operator, f.operator)
      from sim_cards f where sim_cards.id = ${existing.id} and f.id = ${old.id}`.execute(trx);
    await trx.deleteFrom("sim_cards").where("id", "=", old.id).execute();
  } else await trx.updateTable("sim_cards").set({ iccid: to }).where("id", "=", old.id).execute();
  return true;
};

export const recordCard = (db: Kysely<Database>, deviceId: number, deviceKey: string, position: string, s: ModemSnapshot): Effect.Effect<void, StoreError> => {
  const sim = s.sim;
  if (!sim?.iccid) return Effect.void;
  const iccid = sim.iccid;
  return store("recording a SIM card", () =>
    db.transaction().execute(async (trx) => {
      if (sim.iccidSource !== "imsi-fallback" && sim.imsi) await rekeyCard(trx, imsiFallbackKey(sim.imsi), iccid);
      // Where the card was before this read, for its history: a card read somewhere else
      // (or back after being forgotten) has moved; the card it replaced here was taken out.
      const before = await trx.selectFrom("sim_cards").leftJoin("devices", "devices.id", "sim_cards.device_id").select(["devices.key as device", "sim_cards.place", "sim_cards.operator", "sim_cards.forgotten_at"]).where("sim_cards.iccid", "=", iccid).executeTakeFirst();
      const displaced = await trx.updateTable("sim_cards").set({ place: null }).where("device_id", "=", deviceId).where("place", "=", position).where("iccid", "<>", iccid).returning("iccid").execute();
      for (const d of displaced) await recordEvent(trx, "cardMoved", { device: deviceKey, iccid: d.iccid }, { from_device: deviceKey, from_place: position, to_device: null, to_place: null });
      await sql`
        insert into sim_cards (device_id, place, iccid, imsi, number, operator, last_seen_at, updated_at)
        values (${deviceId}, ${position}, ${iccid}, ${sim.imsi}, ${sim.number}, ${s.operator}, now(), now())
        on conflict (iccid) do update set
          device_id = excluded.device_id, place = excluded.place,
          imsi = coalesce(excluded.imsi, sim_cards.imsi),
          number = coalesce(excluded.number, sim_cards.number),
          operator = coalesce(excluded.operator, sim_cards.operator),
          last_seen_at = now(), updated_at = now(), forgotten_at = null`.execute(trx);
      if (before && (before.device !== deviceKey || before.place !== position || before.forgotten_at !== null))
        await recordEvent(trx, "cardMoved", { device: deviceKey, iccid }, { from_device: before.device, from_place: before.place, to_device: deviceKey, to_place: position, returned: before.forgotten_at !== null });
      // The pools' filters look at the device and the operator: only when one of them is new
      // may the card join a pool, so a card taken out of a pool by hand stays out.
      const operator = s.operator ?? before?.operator ?? null;
      if (!before || before.device !== deviceKey || before.forgotten_at !== null || (operator ?? "").toLowerCase() !== (before.operator ?? "").toLowerCase())
        await joinPools(trx, { iccid, device: deviceKey, operator });
    }),
  );
};
