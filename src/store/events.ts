/**
 * The service's event stream: what happened on the hardware, recorded in the `events` table
 * in the order it happened, with the fields the SimFolder notifications carry (device_id,
 * device_title, card_id, number, name, time, plus each event's own). The table is the
 * stream: the notifier and the panel read it by id, so an event recorded is an event that
 * survives a restart. A received SMS is recorded in the transaction that stores the message.
 */
import type { Kysely, Transaction } from "kysely";
import type { Database } from "./schema";

export const EVENT_TYPES = ["deviceState", "ussdReceived", "smsReceived", "smsSended", "callIncoming", "callBegin", "callEnd", "callOutgoing", "simStatus"] as const;
/** Events of simgate's own, not SimFolder notifications (no user subscribes to them there). */
export const SERVICE_EVENT_TYPES = ["smsUnattributed", "smsReportUnmatched", "modemTrouble", "cardMoved", "consoleLease"] as const;
export type EventType = (typeof EVENT_TYPES)[number] | (typeof SERVICE_EVENT_TYPES)[number];

type Db = Kysely<Database> | Transaction<Database>;

export interface EventSubject {
  /** The device's configuration id; found from the card when absent. */
  readonly device?: string | null;
  readonly iccid?: string | null;
}

export const recordEvent = async (db: Db, type: EventType, subject: EventSubject, fields: Record<string, unknown>, at: Date = new Date()): Promise<void> => {
  // The card and its device in one query (this runs in the transaction of every stored SMS).
  const card = subject.iccid
    ? await db
        .selectFrom("sim_cards")
        .leftJoin("devices", "devices.id", "sim_cards.device_id")
        .select(["sim_cards.id", "sim_cards.number", "sim_cards.name", "devices.id as deviceId", "devices.key as deviceKey", "devices.title as deviceTitle"])
        .where("sim_cards.iccid", "=", subject.iccid)
        .executeTakeFirst()
    : undefined;
  const device =
    subject.device && subject.device !== card?.deviceKey
      ? await db.selectFrom("devices").select(["id", "key", "title"]).where("key", "=", subject.device).executeTakeFirst()
      : card?.deviceId
        ? { id: card.deviceId, key: card.deviceKey, title: card.deviceTitle }
        : undefined;
  const payload = {
    time: Math.floor(at.getTime() / 1000),
    device_id: device?.id ?? null,
    device_title: device?.title ?? null,
    ...(subject.iccid !== undefined ? { card_id: card?.id ?? null, number: card?.number ?? null, name: card?.name ?? null } : {}),
    ...fields,
  };
  await db
    .insertInto("events")
    .values({ type, device: device?.key ?? subject.device ?? null, iccid: subject.iccid ?? null, payload: JSON.stringify(payload), at })
    .execute();
};
