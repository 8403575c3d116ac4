/**
 * Everything the report compares the ledger with, read once at the end: the service's
 * tables, what the virtual network accepted from the modems and still holds for the SIMs,
 * and every message still stored on a SIM or in a modem's own memory (ME), each part
 * decoded back to its tag.
 */
import pg from "pg";
import { decodeSmsPdu } from "../../protocol/sms/decode";
import type { SubmittedMessage } from "../../hil/network/network";
import type { Rig } from "./rig";
import type { Queryable } from "./store";
import { tagIn } from "./texts";

export interface StoredRow {
  readonly id: number;
  readonly iccid: string;
  readonly text: string;
  readonly parts: number;
  readonly missing: readonly number[];
  readonly receivedAt: number;
}

export interface PartRow {
  readonly id: number;
  readonly iccid: string;
  readonly text: string;
  readonly seq: number;
  readonly total: number;
  /** The sms_in row it was assembled into, null while it waits for its other parts. */
  readonly messageId: number | null;
}

export interface OutRow {
  readonly id: number;
  readonly iccid: string | null;
  readonly text: string;
  readonly state: string;
  readonly error: string | null;
  readonly createdAt: number;
  readonly sentAt: number | null;
  readonly job: string;
}

/** One part found outside the database: where it is, and which message and part it is. */
export interface Leftover {
  readonly where: string;
  /** The card it is for: the SIM it sits on, or (ME, SMSC) the one the evidence names. */
  readonly iccid: string | null;
  readonly tag: number | null;
  readonly seq: number;
  readonly sender: string;
}

export interface UnattributedRow {
  readonly table: string;
  readonly tags: readonly number[];
  /** The part it holds, when its PDU says (null: it stands for the whole message). */
  readonly seq: number | null;
  readonly evidence: string;
}

export interface Evidence {
  readonly smsIn: readonly StoredRow[];
  readonly smsParts: readonly PartRow[];
  readonly smsOut: readonly OutRow[];
  readonly unattributed: readonly UnattributedRow[];
  /** Tables that looked like the unattributed store (empty: none exists yet). */
  readonly unattributedTables: readonly string[];
  readonly submitted: readonly SubmittedMessage[];
  /** Long messages the network holds with parts missing (a send cut short). */
  readonly incompleteSubmits?: readonly { readonly sender: string; readonly ref: number; readonly text: string; readonly missing: readonly number[] }[];
  readonly onSims: readonly Leftover[];
  readonly inModems: readonly Leftover[];
  readonly atSmsc: readonly Leftover[];
  /**
   * Messages deleted from a SIM or a modem's memory (AT+CMGD), as the simulator remembers
   * them: for a lost message, whether the service deleted it and when.
   */
  readonly removed: readonly Leftover[];
  readonly knownIccids: ReadonlySet<string>;
}

const decodePart = (pdu: string): { tag: number | null; seq: number; sender: string } => {
  // As a modem lists it (SMSC first); a store may have kept the TPDU alone.
  let decoded = decodeSmsPdu(pdu, { hasSmsc: true });
  if (!decoded.ok) decoded = decodeSmsPdu(pdu, { hasSmsc: false });
  if (!decoded.ok) return { tag: null, seq: 1, sender: "?" };
  return { tag: tagIn(decoded.value.text), seq: decoded.value.concat?.seq ?? 1, sender: decoded.value.number };
};

/**
 * The SMSC's queue per SIM. The network shows only its length (pendingFor); the parts are
 * read from its private queue, so a waiting message can be named. (A public accessor in
 * hil/network/network.ts would do this without reaching inside.)
 */
const smscQueue = (rig: Rig): Leftover[] => {
  const queues = (rig.farm.network as unknown as { pending?: Map<string, { part: { pdu: string } }[]> }).pending;
  const out: Leftover[] = [];
  for (const card of rig.cards) {
    const queue = queues?.get(card.iccid);
    if (queue) for (const entry of queue) out.push({ where: `SMSC for ${card.iccid}`, iccid: card.iccid, ...decodePart(entry.part.pdu) });
    // Without the queue, at least the count is known; those parts are counted, unnamed.
    else if (!queues) for (let i = 0; i < rig.farm.network.pendingFor(card); i++) out.push({ where: `SMSC for ${card.iccid}`, iccid: card.iccid, tag: null, seq: 0, sender: "?" });
  }
  return out;
};

export const leftoversOnSims = (rig: Rig): Leftover[] =>
  rig.cards.flatMap((card) =>
    card.storage
      .list()
      .filter((m) => m.kind === "deliver")
      .map((m) => ({ where: `SIM ${card.iccid} index ${m.index}`, iccid: card.iccid, ...decodePart(m.pdu) })),
  );

export const leftoversInModems = (rig: Rig): Leftover[] =>
  rig.modems.flatMap((modem) =>
    modem.me
      .list()
      .filter((m) => m.kind === "deliver")
      .map((m) => ({ where: `ME of ${modem.id} index ${m.index} (now holding ${modem.sim?.iccid ?? "no SIM"})`, iccid: null, ...decodePart(m.pdu) })),
  );

const removedFrom = (rig: Rig): Leftover[] => [
  ...rig.cards.flatMap((card) =>
    card.storage.removed
      .filter((m) => m.kind === "deliver")
      .map((m) => ({ where: `deleted from SIM ${card.iccid} index ${m.index} at ${new Date(m.at).toISOString()}`, iccid: card.iccid, ...decodePart(m.pdu) })),
  ),
  ...rig.modems.flatMap((modem) =>
    modem.me.removed
      .filter((m) => m.kind === "deliver")
      .map((m) => ({ where: `deleted from ME of ${modem.id} index ${m.index} at ${new Date(m.at).toISOString()}`, iccid: null, ...decodePart(m.pdu) })),
  ),
];

/** What is still waiting anywhere on the hardware side: the settle phase waits for none. */
export const hardwareBacklog = (rig: Rig) => ({
  onSims: leftoversOnSims(rig).length,
  inModems: leftoversInModems(rig).length,
  atSmsc: rig.cards.reduce((n, c) => n + rig.farm.network.pendingFor(c), 0),
});

/** A connection of the campaign's own, named so that killing the service's spares it. */
export const HARNESS_APP = "simgate-faults-harness";

export const connect = async (url: string): Promise<pg.Client> => {
  const client = new pg.Client({ connectionString: url, application_name: HARNESS_APP });
  await client.connect();
  return client;
};

const ms = (d: Date | string | null): number | null => (d === null ? null : new Date(d).getTime());

export const collectEvidence = async (rig: Rig, client: Queryable): Promise<Evidence> => {
  const smsIn = (await client.query<{ id: number; iccid: string; text: string; parts: number; missing: number[]; received_at: Date }>("select id, iccid, text, parts, missing, received_at from sms_in order by id")).rows.map(
    (r): StoredRow => ({ id: Number(r.id), iccid: r.iccid, text: r.text, parts: r.parts, missing: r.missing ?? [], receivedAt: ms(r.received_at)! }),
  );
  const smsParts = (await client.query<{ id: number; iccid: string; text: string; seq: number; total: number; message_id: number | null }>("select id, iccid, text, seq, total, message_id from sms_parts order by id")).rows.map(
    (r): PartRow => ({ id: Number(r.id), iccid: r.iccid, text: r.text, seq: r.seq, total: r.total, messageId: r.message_id === null ? null : Number(r.message_id) }),
  );
  const smsOut = (
    await client.query<{ id: number; iccid: string | null; text: string; state: string; error: string | null; created_at: Date; sent_at: Date | null; job: string | null }>(
      `select o.id, o.iccid, o.text, o.state, o.error, o.created_at, o.sent_at,
              (select string_agg(j.state || ' attempts ' || j.attempts || coalesce(' locked until ' || j.locked_until::text, '') || coalesce(' last error: ' || j.last_error, ''), '; ')
                 from jobs j where j.kind = 'sms-send' and (j.payload->>'smsId')::int = o.id) as job
         from sms_out o order by o.id`,
    )
  ).rows.map((r): OutRow => ({ id: Number(r.id), iccid: r.iccid, text: r.text, state: r.state, error: r.error, createdAt: ms(r.created_at)!, sentAt: ms(r.sent_at), job: r.job ?? "no job" }));

  // Messages the service could not put down to a card are declared in a table of their own
  // (its name is the other side's choice): any table named for them counts, row by row.
  const tables = (await client.query<{ table_name: string }>("select table_name from information_schema.tables where table_schema = 'public' and table_name like '%unattributed%'")).rows.map((r) => r.table_name);
  const unattributed: UnattributedRow[] = [];
  for (const table of tables) {
    const rows = await client.query<{ row: Record<string, unknown> }>(`select row_to_json(t) as row from "${table}" t`);
    for (const { row } of rows.rows) {
      const json = JSON.stringify(row);
      const tags = [...new Set([...json.matchAll(/#M(\d+)#/g)].map((m) => Number(m[1])))];
      // The PDU says which part the row holds (and, for a row with no text, whose it is).
      const part = typeof row.pdu === "string" ? decodePart(row.pdu) : null;
      if (tags.length === 0 && part?.tag != null) tags.push(part.tag);
      unattributed.push({ table, tags, seq: part && part.tag !== null ? part.seq : null, evidence: json.length > 300 ? `${json.slice(0, 300)}...` : json });
    }
  }

  return {
    smsIn,
    smsParts,
    smsOut,
    unattributed,
    unattributedTables: tables,
    submitted: [...rig.farm.network.submitted],
    incompleteSubmits: rig.farm.network.incompleteSubmits(),
    onSims: leftoversOnSims(rig),
    inModems: leftoversInModems(rig),
    atSmsc: smscQueue(rig),
    removed: removedFrom(rig),
    knownIccids: new Set(rig.cards.map((c) => c.iccid)),
  };
};
