/**
 * The SIM cards page's CSV: the export of a filtered list (streamed in batches, RFC 4180
 * quoting, cells that a spreadsheet would run as a formula defused) and the import (columns
 * `iccid`, the key, and `number`, `name`, `comment`, `operator`), planned first as a dry run
 * that says per line what would change, and applied from the same plan.
 */
import type { ServerResponse } from "node:http";
import { sql, type Kysely } from "kysely";
import { cardFieldProblem, type CardScope, type EditableField } from "../cards/inventory";
import type { Database } from "../store/schema";
import { cardIds, cardRows, type CardQuery } from "./cards-view";
import type { PanelContext } from "./context";
import type { DeviceRow } from "./farm-view";
import { securityHeaders } from "./http";

// ---- writing ----------------------------------------------------------------------------------

/**
 * A cell as RFC 4180 writes it, and safe to open in a spreadsheet: text starting with = + - @
 * (or a tab or carriage return, which some read past) would be taken for a formula, so it
 * gets a leading apostrophe, the spreadsheets' own mark for "text" (OWASP, CSV injection).
 * The import takes that apostrophe off again.
 */
export const csvCell = (value: string | number | null | undefined): string => {
  if (value === null || value === undefined) return "";
  let s = String(value);
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n;]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

export const csvLine = (cells: ReadonlyArray<string | number | null | undefined>): string => `${cells.map(csvCell).join(",")}\r\n`;

/**
 * Starts a CSV download: the headers, a byte-order mark (without it, spreadsheets read UTF-8 -
 * a Russian name - as a legacy code page) and the heading line. Returns the writer for the
 * rest, which waits while the client is slow; a client gone mid-way ends the wait too (a
 * closed response never drains).
 */
export const startCsvDownload = async (res: ServerResponse, fileName: string, head: readonly string[]): Promise<(text: string) => Promise<void>> => {
  res.writeHead(200, { ...securityHeaders, "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="${fileName}"` });
  const write = (text: string) =>
    res.write(text)
      ? Promise.resolve()
      : new Promise<void>((r) => {
          res.once("drain", () => r());
          res.once("close", () => r());
        });
  await write(`\ufeff${csvLine(head)}`);
  return write;
};

export const EXPORT_COLUMNS = ["iccid", "imsi", "number", "operator", "name", "balance", "balance_at", "state", "pools", "comment", "last_seen", "device", "position", "modem"] as const;

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

/** Rows read per query while exporting: a page of ids at a time, never a transaction held open. */
const BATCH = 500;

/**
 * The filtered list, every page of it, in the page's order. The ids are read first (one
 * query), then the rows a batch at a time, each written before the next is read, waiting
 * for a slow client to drain.
 */
export const streamCardsCsv = async (
  ctx: PanelContext,
  res: ServerResponse,
  list: { scope: CardScope; devices: readonly DeviceRow[]; query: CardQuery },
  fileName: string,
  /** Told how many rows go out before the first is sent (the audit). */
  starting: (rows: number) => Promise<void>,
): Promise<void> => {
  const { ids } = await cardIds(ctx, list.scope, list.devices, list.query, "all");
  await starting(ids.length);
  const write = await startCsvDownload(res, fileName, EXPORT_COLUMNS);
  for (let i = 0; i < ids.length && !res.destroyed; i += BATCH) {
    const rows = await cardRows(ctx, ids.slice(i, i + BATCH));
    await write(
      rows
        .map((r) => csvLine([r.iccid, r.imsi, r.number, r.operator, r.name, r.balance, iso(r.balanceAt), r.state, r.pools, r.comment, iso(r.lastSeen), r.deviceKey, r.place, r.modem]))
        .join(""),
    );
  }
  res.end();
};

// ---- reading ----------------------------------------------------------------------------------

/** The largest import read (the import route's cap in the one body reader): 10,000 cards with long comments fit well inside. */
export const IMPORT_MAX_BYTES = 8 * 1024 * 1024;

/**
 * RFC 4180 records with their line numbers (the line each record starts on): quoted fields
 * may hold the separator, quotes doubled and line breaks. A byte-order mark is skipped.
 */
export const parseCsv = (text: string, separator: string): Array<{ line: number; cells: string[] }> => {
  const out: Array<{ line: number; cells: string[] }> = [];
  const s = text.replace(/^\ufeff/, "");
  let line = 1;
  let start = 1;
  let cells: string[] = [];
  let cell = "";
  let quoted = false;
  let i = 0;
  const endRecord = () => {
    cells.push(cell);
    if (!(cells.length === 1 && cells[0]!.trim() === "")) out.push({ line: start, cells });
    cells = [];
    cell = "";
  };
  while (i < s.length) {
    const c = s[i]!;
    if (quoted) {
      if (c === '"' && s[i + 1] === '"') (cell += '"'), (i += 2);
      else if (c === '"') (quoted = false), i++;
      else {
        if (c === "\n") line++;
        cell += c;
        i++;
      }
      continue;
    }
    if (c === '"' && cell.trim() === "") (quoted = true), (cell = ""), i++;
    else if (c === separator) cells.push(cell), (cell = ""), i++;
    else if (c === "\r" || c === "\n") {
      endRecord();
      i += c === "\r" && s[i + 1] === "\n" ? 2 : 1;
      line++;
      start = line;
    } else (cell += c), i++;
  }
  if (cell !== "" || cells.length > 0) endRecord();
  return out;
};

// ---- the plan ---------------------------------------------------------------------------------

export const IMPORT_FIELDS = ["number", "name", "comment", "operator"] as const satisfies readonly EditableField[];
type ImportField = (typeof IMPORT_FIELDS)[number];

export type ImportOutcome = "new" | "update" | "same" | "conflict" | "bad";

export interface ImportLine {
  readonly line: number;
  readonly iccid: string;
  readonly outcome: ImportOutcome;
  readonly changes: Partial<Record<ImportField, { from: string | null; to: string }>>;
  readonly problem?: string;
}

export interface ImportPlan {
  /** Why nothing can be read (no iccid column, nothing but a header), else null. */
  readonly refused: string | null;
  readonly lines: readonly ImportLine[];
  readonly ignoredColumns: readonly string[];
  readonly counts: Record<ImportOutcome, number>;
}

const ICCID = /^\d{18,22}[Ff]?$/;

/**
 * What `text` would change among the user's cards. Empty cells change nothing. A number is
 * written without spaces, dashes or brackets; an apostrophe before = + - @ (the export's
 * guard against formulas) is taken off.
 */
export const planImport = async (db: Kysely<Database>, scope: CardScope, text: string): Promise<ImportPlan> => {
  const counts: Record<ImportOutcome, number> = { new: 0, update: 0, same: 0, conflict: 0, bad: 0 };
  const empty = (refused: string): ImportPlan => ({ refused, lines: [], ignoredColumns: [], counts });
  const firstLine = text.replace(/^\ufeff/, "").split(/\r?\n/, 1)[0] ?? "";
  // Spreadsheets set to a language that writes decimal commas save with semicolons.
  const separator = firstLine.includes(";") && !firstLine.includes(",") ? ";" : ",";
  const records = parseCsv(text, separator);
  if (records.length === 0) return empty("the file is empty");
  const header = records[0]!.cells.map((h) => h.trim().toLowerCase());
  const at = (name: string) => header.indexOf(name);
  if (at("iccid") < 0) return empty("there is no iccid column (the first line names the columns)");
  const ignoredColumns = header.filter((h) => h !== "iccid" && !(IMPORT_FIELDS as readonly string[]).includes(h));
  const body = records.slice(1);
  if (body.length === 0) return empty("there are no rows under the header");

  const unguard = (v: string) => (/^'[=+\-@\t\r]/.test(v) ? v.slice(1) : v);
  const digits = (v: string) => v.replace(/\D/g, "");
  type Parsed = { line: number; iccid: string; values: Partial<Record<ImportField, string>>; problem?: string };
  const parsed: Parsed[] = body.map(({ line, cells }) => {
    if (cells.length !== header.length) return { line, iccid: (cells[at("iccid")] ?? "").trim(), values: {}, problem: `has ${cells.length} cells, the header ${header.length}` };
    const iccid = cells[at("iccid")]!.trim();
    if (!iccid) return { line, iccid, values: {}, problem: "has no ICCID" };
    const values: Partial<Record<ImportField, string>> = {};
    for (const field of IMPORT_FIELDS) {
      if (at(field) < 0) continue;
      let v = unguard(cells[at(field)]!.trim());
      if (v === "") continue;
      if (field === "number") v = v.replace(/[\s()-]/g, "");
      const why = cardFieldProblem(field, v);
      if (why) return { line, iccid, values, problem: `${field} ${why}` };
      values[field] = v;
    }
    return { line, iccid, values };
  });

  const iccids = [...new Set(parsed.map((p) => p.iccid).filter(Boolean))];
  const numbers = [...new Set(parsed.flatMap((p) => (p.values.number ? [digits(p.values.number)] : [])))];
  const existing = new Map<string, { id: number; device_id: number | null; number: string | null; name: string | null; comment: string | null; operator: string | null }>();
  for (let i = 0; i < iccids.length; i += 5000) {
    const rows = await db.selectFrom("sim_cards").select(["id", "iccid", "device_id", "number", "name", "comment", "operator"]).where("iccid", "in", iccids.slice(i, i + 5000)).execute();
    for (const r of rows) existing.set(r.iccid, r);
  }
  // Numbers already on a card, by their digits (as the SimFolder API finds a card by number).
  const numberOwner = new Map<string, { iccid: string; device_id: number | null }>();
  for (let i = 0; i < numbers.length; i += 5000) {
    const rows = await sql<{ iccid: string; device_id: number | null; d: string }>`select iccid, device_id, regexp_replace(number, '\\D', '', 'g') as d from sim_cards where regexp_replace(number, '\\D', '', 'g') in (${sql.join(numbers.slice(i, i + 5000))})`.execute(db);
    for (const r of rows.rows) numberOwner.set(r.d, r);
  }
  const visible = (deviceId: number | null) => (deviceId === null ? scope.everywhere === true : scope.devices.includes(deviceId));
  // Appended in place: a file of one ICCID repeated 20,000 times must stay linear.
  const linesOf = new Map<string, number[]>();
  for (const p of parsed) if (p.iccid) (linesOf.get(p.iccid) ?? linesOf.set(p.iccid, []).get(p.iccid)!).push(p.line);
  const numberLines = new Map<string, Parsed[]>();
  for (const p of parsed) if (!p.problem && p.values.number) (numberLines.get(digits(p.values.number)) ?? numberLines.set(digits(p.values.number), []).get(digits(p.values.number))!).push(p);
  /**
   * The other lines named in a conflict: the first few, then how many more (each line has its
   * own report). `self`: the line itself, when `lines` holds it. Stops after the few, so a
   * line's report stays short however many lines share its value.
   */
  const otherLines = (lines: readonly number[], self: number | null) => {
    const named: number[] = [];
    for (const l of lines) if (l !== self && named.push(l) === 5) break;
    const more = lines.length - (self === null ? 0 : 1) - named.length;
    return more > 0 ? `${named.join(", ")} and ${more} more` : named.join(", ");
  };

  const lines: ImportLine[] = parsed.map((p) => {
    const result = (outcome: ImportOutcome, problem?: string, changes: ImportLine["changes"] = {}): ImportLine => {
      counts[outcome]++;
      return { line: p.line, iccid: p.iccid, outcome, changes, ...(problem ? { problem } : {}) };
    };
    if (p.problem) return result("bad", p.problem);
    const card = existing.get(p.iccid);
    if (!card && !ICCID.test(p.iccid)) return result("bad", "the ICCID must be 18 to 22 digits");
    const twins = linesOf.get(p.iccid)!;
    if (twins.length > 1) return result("conflict", `the same ICCID is on line ${otherLines(twins, p.line)}`);
    if (card && !visible(card.device_id)) return result("conflict", "this card is not among yours");
    if (!card && !scope.everywhere) return result("conflict", "unknown card: only an admin adds cards to the inventory");
    if (p.values.number) {
      const d = digits(p.values.number);
      const owner = numberOwner.get(d);
      // Whose it is only when that card is the user's to see.
      if (owner && owner.iccid !== p.iccid) return result("conflict", `the number ${p.values.number} is already another card's${visible(owner.device_id) ? ` (${owner.iccid})` : ""}`);
      const others = numberLines.get(d)!.filter((o) => o.iccid !== p.iccid);
      if (others.length) return result("conflict", `line ${otherLines(others.map((o) => o.line), null)} gives the same number to another card`);
    }
    const changes: ImportLine["changes"] = {};
    for (const field of IMPORT_FIELDS) {
      const to = p.values[field];
      const from = card ? card[field] : null;
      if (to !== undefined && to !== from) changes[field] = { from, to };
    }
    if (!card) return result("new", undefined, changes);
    return Object.keys(changes).length ? result("update", undefined, changes) : result("same");
  });
  return { refused: null, lines, ignoredColumns, counts };
};

/**
 * Applies a plan's new cards and changes (conflicts and bad lines are left out), with one
 * audit row per card and one for the import. Made in one transaction, so an import either
 * happens or does not. A card another import added meanwhile is left as that one made it.
 */
export const applyImport = async (db: Kysely<Database>, plan: ImportPlan, who: { user: string; address: string }): Promise<{ created: number; updated: number }> => {
  let created = 0;
  let updated = 0;
  await db.transaction().execute(async (trx) => {
    const auditRows: Array<{ user_name: string; address: string; action: string; iccid: string; detail: string }> = [];
    for (const l of plan.lines) {
      if (l.outcome !== "new" && l.outcome !== "update") continue;
      const values = Object.fromEntries(Object.entries(l.changes).map(([field, c]) => [field, c.to]));
      if (l.outcome === "new") {
        const inserted = await trx.insertInto("sim_cards").values({ iccid: l.iccid, ...values }).onConflict((oc) => oc.column("iccid").doNothing()).returning("id").executeTakeFirst();
        if (!inserted) continue;
        created++;
      } else {
        // A forgotten card the file names is in the inventory again (placed nowhere until a scan finds it).
        await trx.updateTable("sim_cards").set({ ...values, forgotten_at: null, updated_at: new Date() }).where("iccid", "=", l.iccid).execute();
        updated++;
      }
      auditRows.push({ user_name: who.user, address: who.address, action: l.outcome === "new" ? "card.import.add" : "card.import.edit", iccid: l.iccid, detail: JSON.stringify({ line: l.line, changes: l.changes }) });
    }
    for (let i = 0; i < auditRows.length; i += 1000) await trx.insertInto("audit_log").values(auditRows.slice(i, i + 1000)).execute();
    await trx
      .insertInto("audit_log")
      .values({ user_name: who.user, address: who.address, action: "cards.import", detail: JSON.stringify({ created, updated, conflicts: plan.counts.conflict, bad: plan.counts.bad, unchanged: plan.counts.same }) })
      .execute();
  });
  return { created, updated };
};
