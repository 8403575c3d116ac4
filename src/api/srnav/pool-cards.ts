/**
 * A pool's cards as the SR-Navigator API sees them: numbers without '+', their place and
 * device, FREE/USED, and the live status word from the card's live state.
 */
import { Effect } from "effect";
import type { Kysely } from "kysely";
import { isModel, modelName, modelRow } from "../../../protocol/bank/models";
import type { Directory } from "../../cards/card-directory";
import type { CardLive } from "../../cards/card-live";
import type { StoreError } from "../../store/database";
import type { Database } from "../../store/schema";

export interface PoolCard {
  readonly iccid: string;
  /** Digits only, as the API shows it. */
  readonly number: string;
  readonly operator: string | null;
  readonly place: string | null;
  readonly deviceKey: string;
  readonly deviceId: number;
  /** The model's name as SR-Navigator prints it. */
  readonly model: string;
  /** The model's id in the model table (protocol/bank/models.ts). */
  readonly modelId: string;
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
  return rows.map((r) => ({ ...r, number: apiNumber(r.number!), deviceKey: r.deviceKey ?? "", model: modelName(r.model), modelId: r.model }));
};

export const holderOfPool = (poolId: number) => `sr-pool:${poolId}`;

export type LiveWord = "INACTIVE" | "CONNECTING" | "WAIT_SMS" | "WAIT_SMS_CALL" | "OFFLINE" | "ERROR";

/**
 * Whether the card is on a modem now (ONLINE) and its status word for a pool's client, from
 * the card's live state (the CardDirectory's, the same on every host).
 */
export const liveStatus = (directory: Directory, poolId: number, card: PoolCard): Effect.Effect<{ online: boolean; word: LiveWord }, StoreError> =>
  Effect.map(directory.liveOf(card), (live) => ({ online: live.online, word: liveWord(poolId, card, live) }));

/** The status word of a pool's card in its live state. */
export const liveWord = (poolId: number, card: PoolCard, live: CardLive): LiveWord => {
  if (!card.used) return "INACTIVE";
  if (!live.hold || live.hold.holder !== holderOfPool(poolId)) return "INACTIVE";
  if (live.hold.state === "failed") return "ERROR";
  if (live.modem === "down") return "OFFLINE";
  if (live.hold.state !== "online" || !live.registered) return "CONNECTING";
  return card.calls || takesCalls(card.modelId) ? "WAIT_SMS_CALL" : "WAIT_SMS";
};
