/**
 * The Messages page's CSV: every row of the filtered list (not only the page shown), in the
 * page's order, read a batch at a time by key (one short query each, no transaction held
 * open, so no tab's live feed is held back), each batch written before the next is read.
 * Cells are written as the SIM cards export writes them (RFC 4180, formulas defused).
 */
import type { ServerResponse } from "node:http";
import type { Kysely } from "kysely";
import type { Database } from "../store/schema";
import { csvLine, startCsvDownload } from "./cards-csv";
import { messageRows, rowsWithDetails, type AnyRow, type Kind, type MessageQuery, type Who } from "./messages-view";

const BATCH = 500;

const iso = (d: Date | null | undefined) => (d ? new Date(d).toISOString() : null);

type Cards = ReadonlyMap<string, { id: number; number: string | null; name: string | null }>;

const COLUMNS: Record<Kind, { head: readonly string[]; cells: (r: never, cards: Cards) => ReadonlyArray<string | number | null> }> = {
  in: {
    head: ["id", "received", "iccid", "card_number", "card_name", "sender", "text", "parts", "missing", "sent"],
    cells: (r: Extract<AnyRow, { parts: number }>, cards) => [r.id, iso(r.at), r.iccid, cards.get(r.iccid)?.number ?? null, cards.get(r.iccid)?.name ?? null, r.sender, r.text, r.parts, r.missing.join(" "), iso(r.sentAt)],
  },
  out: {
    head: ["id", "created", "iccid", "card_number", "card_name", "addressee", "text", "state", "error", "parts"],
    cells: (r: Extract<AnyRow, { addressee: string }>, cards) => [
      r.id,
      iso(r.at),
      r.iccid,
      r.iccid ? (cards.get(r.iccid)?.number ?? null) : null,
      r.iccid ? (cards.get(r.iccid)?.name ?? null) : null,
      r.addressee,
      r.text,
      r.state,
      r.error,
      r.parts.map((p) => `${p.seq}:${p.state}`).join(" "),
    ],
  },
  ussd: {
    head: ["id", "created", "iccid", "card_number", "card_name", "request", "reply", "status", "state"],
    cells: (r: Extract<AnyRow, { request: string }>, cards) => [r.id, iso(r.at), r.iccid, cards.get(r.iccid)?.number ?? null, cards.get(r.iccid)?.name ?? null, r.request, r.reply, r.status, r.state],
  },
  calls: {
    head: ["id", "started", "iccid", "card_number", "card_name", "direction", "number", "state", "answered", "ended", "end_reason"],
    cells: (r: Extract<AnyRow, { direction: string }>, cards) => [r.id, iso(r.at), r.iccid, cards.get(r.iccid)?.number ?? null, cards.get(r.iccid)?.name ?? null, r.direction, r.number, r.state, iso(r.answeredAt), iso(r.endedAt), r.endReason],
  },
  unattributed: {
    head: ["id", "received", "device", "modem", "storage", "sender", "text", "sent", "window_start", "candidates", "reason"],
    cells: (r: Extract<AnyRow, { candidates: string[] }>) => [r.id, iso(r.at), r.device, r.modem, r.storage, r.sender, r.text, iso(r.sentAt), iso(r.windowStart), r.candidates.join(" "), r.reason],
  },
};

/**
 * Streams the list. `starting` is called before the first byte (the audit); a list the query
 * refuses is not streamed: the caller checked the query first.
 */
export const streamMessagesCsv = async (db: Kysely<Database>, res: ServerResponse, who: Who, query: MessageQuery, fileName: string, starting: () => Promise<void>): Promise<number> => {
  await starting();
  const columns = COLUMNS[query.kind];
  const write = await startCsvDownload(res, fileName, columns.head);
  let q: MessageQuery = { ...query, before: null, after: null };
  let written = 0;
  while (!res.destroyed) {
    const found = await messageRows(db, who, q, BATCH);
    const { rows, cards } = await rowsWithDetails(db, q.kind, found.rows);
    await write(rows.map((r) => csvLine(columns.cells(r as never, cards))).join(""));
    written += rows.length;
    // Where the next batch starts: after the last row, or where a bounded scan stopped.
    const next = found.more ? rows.at(-1)!.cursor : found.boundedAt;
    if (!next) break;
    q = { ...q, before: next };
  }
  res.end();
  return written;
};
