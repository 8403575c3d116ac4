/**
 * Before a console's +CMGD: which of the messages it would delete has the inbox not stored
 * yet? The inbox deletes a message from the SIM only after its row is committed; a technician
 * deleting one before that loses it for good, so such a delete waits for a confirmation.
 */
import { createHash } from "node:crypto";
import { Effect } from "effect";
import type { Kysely } from "kysely";
import { parseCmglPdu, parseCmgrPdu, type StoredPdu } from "../../protocol/at/sms-storage";
import { decodeSmsPdu } from "../../protocol/sms/decode";
import type { ModemActor } from "../../drivers/modem/modem-actor";
import { tryStore } from "../store/database";
import type { Database } from "../store/schema";

export interface Unstored {
  readonly index: number;
  readonly sender: string | null;
}

/** The inbox's key of a part: the SHA-256 of its PDU as the modem printed it, upper case. */
const hashOf = (pdu: string) => createHash("sha256").update(pdu.toUpperCase()).digest("hex");

/** 27.005 <delflag>: 1 read, 2 read and sent, 3 read, sent and unsent, 4 all. Only received ones matter. */
const goesWith = (flag: number, status: number) => (flag === 4 ? true : flag >= 1 ? status === 1 : false);

export const unstoredMessages = (db: Kysely<Database>, actor: ModemActor, index: number, flag: number): Effect.Effect<Unstored[]> =>
  Effect.gen(function* () {
    const command = flag === 0 ? `AT+CMGR=${index}` : "AT+CMGL=4";
    // Nothing readable at the index (an empty slot answers an error): nothing to lose.
    const read = yield* Effect.either(actor.port.command(command, { priority: "interactive" }));
    if (read._tag === "Left") return [];
    const reply = read.right;
    const text = [...reply.lines, reply.finalText].join("\r\n");
    const listed: StoredPdu[] = flag === 0 ? (() => {
      const one = parseCmgrPdu(text, index);
      return one.ok ? [one.value] : [];
    })() : (() => {
      const all = parseCmglPdu(text);
      return all.ok ? all.value.filter((m) => goesWith(flag, m.status)) : [];
    })();
    // Received messages only (0 unread, 1 read): what is stored for sending is not the inbox's.
    const received = listed.filter((m) => (m.status === 0 || m.status === 1) && m.pdu !== "");
    const out: Unstored[] = [];
    for (const m of received) {
      const hash = hashOf(m.pdu);
      // A store that cannot be asked counts as not stored: the delete then waits for a confirmation.
      const stored = yield* tryStore("looking up a message on the SIM", async () =>
        (await db.selectFrom("sms_parts").select("id").where("pdu_hash", "=", hash).executeTakeFirst()) ??
        (await db.selectFrom("sms_unattributed").select("id").where("pdu_hash", "=", hash).executeTakeFirst()),
      ).pipe(Effect.orElseSucceed(() => undefined));
      if (stored) continue;
      const decoded = decodeSmsPdu(m.pdu, { hasSmsc: true });
      out.push({ index: m.index, sender: decoded.ok ? decoded.value.number : null });
    }
    return out;
  });
