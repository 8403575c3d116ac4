/**
 * The durable SMS sink: a part is committed before the modem deletes it from the SIM, and a
 * part read twice (a crash between the two) is stored once. This is the one place a long
 * message is assembled: modem actors hand each part over and forget it, so parts read by two
 * modems (the card moved) or by two runs still make one message. Whole messages are assembled
 * in the same transaction as their last part, so a message is listed exactly once; a message
 * whose part never comes is released after a timeout with the gap marked, and a part that
 * arrives after that fills its gap instead of making a second message. Each whole message
 * is recorded as an smsReceived event in the transaction that stores it. A part found in the
 * modem's own memory is put down to the card that was on the modem when it arrived, or kept
 * as unattributed (./modem-memory.ts).
 */
import { createHash } from "node:crypto";
import { Effect, Schedule } from "effect";
import { sql, type Kysely, type Transaction } from "kysely";
import { missingPartMarker } from "../../protocol/sms/reassembly";
import { decodeSmsPdu, type SmsPdu } from "../../protocol/sms/decode";
import { SinkError, type ReceivedPart, type SmsSink } from "../../drivers/modem/sms-inbox";
import type { Database } from "./schema";
import { StoreError } from "./database";
import { recordEvent } from "./events";
import { attributeModemMemory, cardSeen, NOW_MS, type Attribution, type ModemPlace } from "./modem-memory";

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

/** Storages that belong to the modem, not the card: ME, and MT (SM and ME together). */
const inModemMemory = (storage: string | null) => storage !== null && /^(ME|MT)$/i.test(storage);

const storePart = async (db: Kysely<Database>, place: ModemPlace, part: ReceivedPart): Promise<void> => {
  const { pdu } = part;
  const hash = sha256(part.raw.toUpperCase());
  const sentAt = pdu.scts ? new Date(pdu.scts) : null;
  await db.transaction().execute(async (trx) => {
    let iccid = part.iccid ?? "unknown";
    if (inModemMemory(part.storage)) {
      const attribution = await attributeModemMemory(trx, place, { storage: part.storage!.toUpperCase(), smscTime: sentAt, currentIccid: part.iccid, now: new Date() });
      if (attribution.kind === "unattributed") return storeUnattributed(trx, place, part, hash, sentAt, attribution);
      iccid = attribution.iccid;
    }
    await storeCardPart(trx, iccid, part.raw, hash, pdu, sentAt);
  });
};

/** A part whose card is known: stored once, and the message made or completed when it can be. */
const storeCardPart = async (trx: Transaction<Database>, iccid: string, raw: string, hash: string, pdu: SmsPdu, sentAt: Date | null): Promise<void> => {
  const concat = pdu.concat && pdu.concat.total > 1 ? pdu.concat : null;
  const inserted = await trx
    .insertInto("sms_parts")
    .values({
      iccid,
      sender: pdu.number,
      pdu: raw,
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
};

/**
 * Someone decided whose an unattributed message is: it leaves the unattributed list and is
 * stored as the sink would have stored it under that card (a part of a longer message joins
 * its siblings), in one transaction. False when it was no longer there (assigned or deleted
 * meanwhile).
 */
export const assignUnattributed = (db: Kysely<Database>, id: number, iccid: string): Promise<boolean> =>
  db.transaction().execute(async (trx) => {
    const row = await trx.deleteFrom("sms_unattributed").where("id", "=", id).returning(["pdu", "pdu_hash", "sent_at"]).executeTakeFirst();
    if (!row) return false;
    const decoded = decodeSmsPdu(row.pdu, { hasSmsc: true });
    if (!decoded.ok) throw new Error(`the stored PDU of unattributed message ${id} no longer decodes: ${decoded.error.message}`);
    await storeCardPart(trx, iccid, row.pdu, row.pdu_hash, decoded.value, row.sent_at);
    return true;
  });

/** Kept with its evidence (once per PDU and modem), and announced as an event. */
const storeUnattributed = async (
  trx: Transaction<Database>,
  place: ModemPlace,
  part: ReceivedPart,
  hash: string,
  sentAt: Date | null,
  attribution: Extract<Attribution, { kind: "unattributed" }>,
) => {
  const row = await trx
    .insertInto("sms_unattributed")
    .values({
      device: place.device,
      modem: place.modem,
      storage: part.storage ?? "",
      sender: part.pdu.number,
      text: part.pdu.text,
      pdu: part.raw,
      pdu_hash: hash,
      sent_at: sentAt,
      window_start: attribution.windowStart,
      candidates: [...attribution.candidates],
      reason: attribution.reason,
    })
    .onConflict((oc) => oc.constraint("sms_unattributed_once").doNothing())
    .returning("id")
    .executeTakeFirst();
  if (row)
    await recordEvent(trx, "smsUnattributed", { device: place.device }, {
      unattributed_id: row.id,
      modem: place.modem,
      storage: part.storage,
      sender: part.pdu.number,
      msg: part.pdu.text,
      candidates: attribution.candidates,
      reason: attribution.reason,
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

/**
 * Releases messages whose parts have waited longer than `timeoutMs`, with the gaps marked.
 * Waiting is measured on the database's clock (`received_at` against `now()`): every host
 * storing parts of the same card shares it, whichever of them runs the release.
 */
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

/** When a long message stops waiting for its missing parts. */
export interface IncompleteRelease {
  /** How long after its first part was stored a message goes out with its gaps marked (database clock). */
  readonly timeoutMs: number;
  /** How often this host looks for such messages (Effect's clock). */
  readonly sweepEveryMs: number;
}

/**
 * Ten minutes for a part held up in the network, looked for once a minute (so a release is
 * at most a minute late). A part later than that still fills its gap (LATE_PART_WINDOW).
 */
export const INCOMPLETE_RELEASE: IncompleteRelease = { timeoutMs: 600_000, sweepEveryMs: 60_000 };

/**
 * Releases overdue messages now and every `sweepEveryMs` for as long as it runs, saying how
 * many it released. A round the database refused is tried again at the next (what was
 * overdue stays overdue): the first failure of a run of them is logged with its reason, and
 * the round that works again says so.
 */
export const releaseIncompleteEvery = (db: Kysely<Database>, options: IncompleteRelease = INCOMPLETE_RELEASE): Effect.Effect<void> =>
  Effect.gen(function* () {
    let failing = false;
    const round = releaseIncomplete(db, options.timeoutMs).pipe(
      Effect.tap((released) =>
        Effect.gen(function* () {
          if (failing) yield* Effect.logInfo("inbound: the release of incomplete long messages works again");
          failing = false;
          if (released > 0) yield* Effect.logInfo(`inbound: ${released} long message(s) released with their missing parts marked`);
        }),
      ),
      Effect.catchAll((error) =>
        Effect.gen(function* () {
          if (!failing) yield* Effect.logWarning(`inbound: ${error.reason}; tried again every ${options.sweepEveryMs / 1000} s`);
          failing = true;
        }),
      ),
    );
    yield* Effect.repeat(round, Schedule.spaced(options.sweepEveryMs));
  });

/** The sink of one modem: where it sits decides whose a message in its own memory is. */
export const makeStoreSink = (db: Kysely<Database>, place: ModemPlace): SmsSink => ({
  storePart: (part) =>
    Effect.tryPromise({
      try: () => storePart(db, place, part),
      catch: (error) => new SinkError({ reason: `the database did not take the part: ${(error as Error).message}` }),
    }),
  storageEmptied: (storage, iccid) =>
    Effect.tryPromise({
      try: () =>
        db.transaction().execute(async (trx) => {
          // The card is written down as seen at this moment too, so the history of the modem
          // reaches back to the empty read even on its first start.
          await cardSeen(trx, place, iccid);
          await trx
            .insertInto("modem_sweeps")
            .values({ device: place.device, modem: place.modem, storage: storage.toUpperCase(), emptied_at: NOW_MS })
            .onConflict((oc) => oc.columns(["device", "modem", "storage"]).doUpdateSet({ emptied_at: NOW_MS }))
            .execute();
        }),
      catch: (error) => new SinkError({ reason: `the database did not record the sweep: ${(error as Error).message}` }),
    }).pipe(Effect.asVoid),
});
