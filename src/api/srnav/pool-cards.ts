/**
 * A pool's cards as the SR-Navigator API sees them: numbers without '+', their place and
 * device, FREE/USED, and the live status word from the scheduler and the modem's state.
 */
import { Effect, Option, SubscriptionRef } from "effect";
import type { Kysely } from "kysely";
import { simStatusOf } from "../../../drivers/modem/state";
import { isModel, modelName, modelOfName, modelRow } from "../../../protocol/bank/models";
import type { Registry } from "../../devices/registry";
import type { ServiceScheduler } from "../../scheduler/farm-scheduler";
import type { Database } from "../../store/schema";
import { remoteModems } from "../../devices/live-state";
import { DEFAULT_HOST_TTL_MS } from "../../hosts/host";

export interface PoolCard {
  readonly iccid: string;
  /** Digits only, as the API shows it. */
  readonly number: string;
  readonly operator: string | null;
  readonly place: string | null;
  readonly deviceKey: string;
  readonly deviceId: number;
  readonly model: string;
  readonly used: boolean;
  readonly processed: boolean;
  readonly calls: boolean;
}

export const apiNumber = (number: string): string => number.replace(/[^\d]/g, "");

/** Whether a model's cards can also take calls (the status is then WAIT_SMS_CALL). */
const takesCalls = (model: string): boolean => isModel(model) && modelRow(model).takesCalls;

export const poolCards = async (db: Kysely<Database>, poolId: number): Promise<PoolCard[]> => {
  const rows = await db
    .selectFrom("pool_cards")
    .innerJoin("sim_cards", "sim_cards.iccid", "pool_cards.iccid")
    .innerJoin("devices", "devices.id", "sim_cards.device_id")
    .select([
      "sim_cards.iccid",
      "sim_cards.number",
      "sim_cards.operator",
      "sim_cards.place",
      "devices.key as deviceKey",
      "devices.id as deviceId",
      "devices.model",
      "pool_cards.used",
      "pool_cards.processed",
      "pool_cards.calls",
    ])
    .where("pool_cards.pool_id", "=", poolId)
    .where("sim_cards.number", "is not", null)
    .orderBy("devices.id")
    .orderBy("sim_cards.id")
    .execute();
  return rows.map((r) => ({ ...r, number: apiNumber(r.number!), deviceKey: r.deviceKey ?? "", model: modelName(r.model) }));
};

export const holderOfPool = (poolId: number) => `sr-pool:${poolId}`;

export type LiveWord = "INACTIVE" | "CONNECTING" | "WAIT_SMS" | "WAIT_SMS_CALL" | "OFFLINE" | "ERROR";

/** A card on a device another host drives: its hold row and that host's live state. */
const remoteStatus = async (db: Kysely<Database>, localDevices: readonly string[], poolId: number, card: PoolCard): Promise<{ online: boolean; word: LiveWord }> => {
  const [live] = await remoteModems(db, localDevices, DEFAULT_HOST_TTL_MS, { iccid: card.iccid });
  const online = live?.connected === true;
  if (!card.used) return { online, word: "INACTIVE" };
  const hold = card.place
    ? await db.selectFrom("holds").select(["holder", "state"]).where("device", "=", card.deviceKey).where("position", "=", card.place).executeTakeFirst()
    : undefined;
  if (!hold || hold.holder !== holderOfPool(poolId)) return { online, word: "INACTIVE" };
  if (hold.state === "failed") return { online, word: "ERROR" };
  if (live && !live.connected) return { online, word: "OFFLINE" };
  if (hold.state !== "online" || !live || ![1, 5].includes(live.simStatus)) return { online, word: "CONNECTING" };
  const model = modelOfName(card.model) ?? card.model;
  return { online, word: card.calls || takesCalls(model) ? "WAIT_SMS_CALL" : "WAIT_SMS" };
};

/** Whether the card is on a modem now (ONLINE) and the status word for a pool's client. */
export const liveStatus = (ctx: { readonly db: Kysely<Database>; readonly registry: Registry; readonly scheduler: ServiceScheduler }, poolId: number, card: PoolCard): Effect.Effect<{ online: boolean; word: LiveWord }> =>
  Effect.gen(function* () {
    const { registry, scheduler } = ctx;
    if (!registry.devices.some((d) => d.config.id === card.deviceKey))
      return yield* Effect.promise(() => remoteStatus(ctx.db, registry.devices.map((d) => d.config.id), poolId, card));
    const place = card.place ? scheduler.place(card.deviceKey, card.place) : null;
    const device = registry.devices.find((d) => d.config.id === card.deviceKey);
    const modem = place?.modem ? device?.modems[place.modem - 1] : undefined;
    let snapshot = null;
    if (modem) {
      const actor = yield* SubscriptionRef.get(modem.supervised.actor);
      if (Option.isSome(actor)) snapshot = yield* SubscriptionRef.get(actor.value.state);
    }
    const online = snapshot?.sim?.iccid === card.iccid;
    if (!card.used) return { online, word: "INACTIVE" };
    const hold = place?.hold;
    if (!hold || hold.holder !== holderOfPool(poolId)) return { online, word: "INACTIVE" };
    if (hold.state === "failed") return { online, word: "ERROR" };
    if (modem && !snapshot) return { online, word: "OFFLINE" };
    if (snapshot && (snapshot.port === "gone" || snapshot.port === "unresponsive")) return { online, word: "OFFLINE" };
    const registered = online && snapshot !== null && [1, 5].includes(simStatusOf(snapshot));
    if (hold.state !== "online" || !registered) return { online, word: "CONNECTING" };
    const model = device?.config.model ?? "";
    return { online, word: card.calls || takesCalls(model) ? "WAIT_SMS_CALL" : "WAIT_SMS" };
  });
