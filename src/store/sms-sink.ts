/**
 * The durable SMS sink: a part is committed before the modem deletes it from the SIM, and a
 * part read twice (a crash between the two) is stored once. Whole messages are assembled in
 * the same transaction as their last part, so a message is listed exactly once; a message
 * whose part never comes is released after a timeout with the gap marked, and a part that
 * arrives after that fills its gap instead of making a second message. Each whole message
 * is recorded as an smsReceived event in the transaction that stores it.
 */
import { createHash } from "node:crypto";
import { Effect } from "effect";
import { sql, type Kysely, type Transaction } from "kysely";
import { missingPartMarker } from "../../protocol/sms/reassembly";
import { SinkError, type ReceivedPart, type SmsSink } from "../../drivers/modem/sms-inbox";
import type { Database } from "./schema";
import { StoreError } from "./database";
import { recordEvent } from "../events/events";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** How long an incomplete message's key stays open for a late part to fill its gap. */
const LATE_PART_WINDOW = "1 day";

const groupKey = (sender: string, ref: number, total: number) => `multi:${sender}:${ref}:${total}`;

interface GroupPart {
  readonly id: number;
  readonly seq: number;
  readonly text: string;
  readonly sent_at: Date | null;
}

const joinParts = (parts: readonly GroupPart[], total: number) => {
  const bySeq = new Map(parts.map((p) => [p.seq, p]));
  const missing: number[] = [];
  let text = "";
  for (let seq = 1; seq <= total; seq++) {
    const part = bySeq.get(seq);
    if (part) text += part.text;
    else {
      missing.push(seq);
      text += missingPartMarker(seq, total);
    }
  }
  return { text, missing };
};

const storePart = async (db: Kysely<Database>, part: ReceivedPart): Promise<void> => {
  const iccid = part.iccid ?? "unknown";
  const { pdu } = part;
  const hash = sha256(part.raw.toUpperCase());
  const concat = pdu.concat && pdu.concat.total > 1 ? pdu.concat : null;
  const sentAt = pdu.scts ? new Date(pdu.scts) : null;
  await db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto("sms_parts")
      .values({
        iccid,
        sender: pdu.number,
        pdu: part.raw,
        pdu_hash: hash,
        text: pdu.text,
        concat_ref: concat?.ref ?? null,
        seq: concat?.seq ?? 1,
        total: concat?.total ?? 1,
        sent_at: sentAt,
        message_id: null,
      })
      .onConflict((oc) => oc.constraint("sms_parts_once").doNothing())
      .returning("id")
      .executeTakeFirst();
    // Seen before: stored (and assembled) the first time.
    if (!inserted) return;
    if (!concat) {
      const message = await trx
        .insertInto("sms_in")
        .values({ iccid, key: `single:${hash}`, sender: pdu.number, text: pdu.text, parts: 1, missing: [], sent_at: sentAt })
        .onConflict((oc) => oc.constraint("sms_in_once").doNothing())
        .returning("id")
        .executeTakeFirst();
      if (message) {
        await trx.updateTable("sms_parts").set({ message_id: message.id }).where("id", "=", inserted.id).execute();
        await recordEvent(trx, "smsReceived", { iccid }, { sms_id: message.id, sender: pdu.number, msg: pdu.text });
      }
      return;
    }
    await assembleGroup(trx, iccid, pdu.number, concat.ref, concat.total, inserted.id, concat.seq);
  });
};

/** Completes a group when all its parts are in, or fills the gap of a message released earlier. */
const assembleGroup = async (trx: Transaction<Database>, iccid: string, sender: string, ref: number, total: number, partId: number, seq: number) => {
  const key = groupKey(sender, ref, total);
  // A message released with this part missing: the late part fills it.
  const released = await trx
    .selectFrom("sms_in")
    .select(["id"])
    .where("iccid", "=", iccid)
    .where(sql<boolean>`key like ${`${key}:%`}`)
    .where(sql<boolean>`${seq} = any(missing)`)
    .where(sql<boolean>`received_at > now() - ${LATE_PART_WINDOW}::interval`)
    .orderBy("id", "desc")
    .executeTakeFirst();
  if (released) {
    await trx.updateTable("sms_parts").set({ message_id: released.id }).where("id", "=", partId).execute();
    const parts = await trx.selectFrom("sms_parts").select(["id", "seq", "text", "sent_at"]).where("message_id", "=", released.id).execute();
    const { text, missing } = joinParts(parts, total);
    await trx.updateTable("sms_in").set({ text, missing }).where("id", "=", released.id).execute();
    return;
  }
  const parts = await waitingParts(trx, iccid, sender, ref, total);
  if (new Set(parts.map((p) => p.seq)).size < total) return;
  await release(trx, iccid, sender, ref, total, parts);
};

const waitingParts = (trx: Transaction<Database>, iccid: string, sender: string, ref: number, total: number) =>
  trx
    .selectFrom("sms_parts")
    .select(["id", "seq", "text", "sent_at"])
    .where("iccid", "=", iccid)
    .where("sender", "=", sender)
    .where("concat_ref", "=", ref)
    .where("total", "=", total)
    .where("message_id", "is", null)
    .orderBy("id")
    .execute();

/** Makes the message from the parts there are (gaps marked) and links the parts to it. */
const release = async (trx: Transaction<Database>, iccid: string, sender: string, ref: number, total: number, parts: readonly GroupPart[]) => {
  // One part per sequence number (the first seen), in order.
  const first = new Map<number, GroupPart>();
  for (const p of parts) if (!first.has(p.seq)) first.set(p.seq, p);
  const chosen = [...first.values()];
  const { text, missing } = joinParts(chosen, total);
  const message = await trx
    .insertInto("sms_in")
    .values({
      iccid,
      key: `${groupKey(sender, ref, total)}:${Math.min(...chosen.map((p) => p.id))}`,
      sender,
      text,
      parts: total,
      missing,
      sent_at: chosen.find((p) => p.seq === 1)?.sent_at ?? chosen[0]?.sent_at ?? null,
    })
    .onConflict((oc) => oc.constraint("sms_in_once").doNothing())
    .returning("id")
    .executeTakeFirst();
  if (!message) return;
  await trx
    .updateTable("sms_parts")
    .set({ message_id: message.id })
    .where(
      "id",
      "in",
      chosen.map((p) => p.id),
    )
    .execute();
  // Whole messages only: announced once, with the parts there are (a late part fills its gap quietly).
  await recordEvent(trx, "smsReceived", { iccid }, { sms_id: message.id, sender, msg: text, parts: total, missing });
};

/** Releases messages whose parts have waited longer than `timeoutMs`, with the gaps marked. */
export const releaseIncomplete = (db: Kysely<Database>, timeoutMs: number): Effect.Effect<number, StoreError> =>
  Effect.tryPromise({
    try: () =>
      db.transaction().execute(async (trx) => {
        const groups = await trx
          .selectFrom("sms_parts")
          .select(["iccid", "sender", "concat_ref", "total"])
          .where("message_id", "is", null)
          .where("total", ">", 1)
          .groupBy(["iccid", "sender", "concat_ref", "total"])
          .having(sql<boolean>`min(received_at) <= now() - ${`${timeoutMs} milliseconds`}::interval`)
          .execute();
        for (const g of groups) {
          const parts = await waitingParts(trx, g.iccid, g.sender, g.concat_ref!, g.total);
          await release(trx, g.iccid, g.sender, g.concat_ref!, g.total, parts);
        }
        return groups.length;
      }),
    catch: (error) => new StoreError({ reason: `releasing incomplete messages failed: ${(error as Error).message}` }),
  });

export const makeStoreSink = (db: Kysely<Database>): SmsSink => ({
  storePart: (part) =>
    Effect.tryPromise({
      try: () => storePart(db, part),
      catch: (error) => new SinkError({ reason: `the database did not take the part: ${(error as Error).message}` }),
    }),
});
