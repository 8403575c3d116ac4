/**
 * SR pools: a set of cards behind one pool_key. A pool is made from a filter (devices,
 * operators, ICCIDs); cards that match it now are added at once, cards found later join
 * when the inventory first records them (or records them on another device or operator).
 * Cards are also added and removed by hand (the panel); a card taken out by hand stays out
 * until it is read on another device or with another operator. A merged pool keeps both
 * filters: a card matching either joins.
 */
import { sql, type Kysely, type Transaction } from "kysely";
import { hashKey, newKey, plausibleKey, sameHash } from "../access/keys";
import { unstorable } from "../store/storable-text";
import type { Database } from "../store/schema";

export interface PoolFilter {
  readonly devices?: readonly string[];
  readonly operators?: readonly string[];
  readonly iccids?: readonly string[];
}

export class PoolFilterError extends Error {}

const TERMS = ["device", "operator", "iccid"] as const;

/**
 * `all`, or terms joined by `;`, each `name=v1,v2`: `device=train;operator=MTS`. Every term
 * must match (a card in device train and with operator MTS).
 */
export const parsePoolFilter = (text: string): PoolFilter => {
  const trimmed = text.trim();
  if (trimmed === "all") return {};
  if (!trimmed) throw new PoolFilterError('the card filter is empty; give "all" or terms like device=train;operator=MTS');
  const filter: { devices?: string[]; operators?: string[]; iccids?: string[] } = {};
  for (const term of trimmed.split(";")) {
    const match = /^\s*(\w+)\s*=\s*(.+?)\s*$/.exec(term);
    if (!match || !TERMS.includes(match[1] as (typeof TERMS)[number]))
      throw new PoolFilterError(`"${term}" is not a filter term (known: ${TERMS.map((t) => `${t}=...`).join(", ")}, or all)`);
    const values = match[2]!.split(",").map((v) => v.trim()).filter(Boolean);
    if (values.length === 0) throw new PoolFilterError(`"${term}" names no values`);
    const name = match[1] as (typeof TERMS)[number];
    if (name === "iccid" && values.some((v) => !/^\d{18,22}F?$/i.test(v))) throw new PoolFilterError(`"${term}": an ICCID is 18-22 digits`);
    const key = name === "device" ? "devices" : name === "operator" ? "operators" : "iccids";
    filter[key] = [...(filter[key] ?? []), ...values];
  }
  return filter;
};

/** A stored filter in the words parsePoolFilter reads ("all", "device=a;operator=B"), several joined by " | "; "" when none. */
export const describePoolFilter = (stored: unknown): string =>
  (Array.isArray(stored) ? (stored as PoolFilter[]) : [stored as PoolFilter])
    .map((f) => {
      const terms = [
        ...(f.devices ? [`device=${f.devices.join(",")}`] : []),
        ...(f.operators ? [`operator=${f.operators.join(",")}`] : []),
        ...(f.iccids ? [`iccid=${f.iccids.join(",")}`] : []),
      ];
      return terms.length ? terms.join(";") : "all";
    })
    .join(" | ");

export interface CardFacts {
  readonly iccid: string;
  readonly device: string | null;
  readonly operator: string | null;
}

const within = (list: readonly string[] | undefined, value: string | null, fold = false) =>
  list === undefined || (value !== null && list.some((v) => (fold ? v.toLowerCase() === value.toLowerCase() : v === value)));

export const poolFilterMatches = (filter: PoolFilter, card: CardFacts): boolean =>
  within(filter.devices, card.device) && within(filter.operators, card.operator, true) && within(filter.iccids, card.iccid);

type Db = Kysely<Database> | Transaction<Database>;

/** Runs `work` in the caller's transaction when there is one, else in a new one. */
const inTransaction = <T>(db: Db, work: (trx: Transaction<Database>) => Promise<T>): Promise<T> =>
  db.isTransaction ? work(db as Transaction<Database>) : db.transaction().execute(work);

/** A pool's stored filter: one, or (after a merge) several of which any may match. */
export const storedFilterMatches = (stored: unknown, card: CardFacts): boolean =>
  (Array.isArray(stored) ? (stored as PoolFilter[]) : [stored as PoolFilter]).some((f) => poolFilterMatches(f, card));

/** Adds a card to every pool whose filter it matches (a no-op where it already is). */
export const joinPools = async (db: Db, card: CardFacts): Promise<void> => {
  const pools = await db.selectFrom("pools").select(["id", "filter"]).execute();
  const ids = pools.filter((p) => storedFilterMatches(p.filter, card)).map((p) => p.id);
  if (ids.length === 0) return;
  await db
    .insertInto("pool_cards")
    .values(ids.map((pool_id) => ({ pool_id, iccid: card.iccid })))
    .onConflict((oc) => oc.doNothing())
    .execute();
};

/** Creates a pool with the cards known now that match; its key is returned once, here. */
/** `filter` may be a list (any of them matches); an empty list: no card joins by itself, cards are added by hand. */
export const createPool = async (db: Db, title: string, filter: PoolFilter | readonly PoolFilter[], key: string = newKey()): Promise<{ id: number; key: string; cards: number }> =>
  inTransaction(db, async (trx) => {
    const pool = await trx.insertInto("pools").values({ title, key_hash: hashKey(key), filter: JSON.stringify(filter) }).returning("id").executeTakeFirstOrThrow();
    const cards = await trx
      .selectFrom("sim_cards")
      .leftJoin("devices", "devices.id", "sim_cards.device_id")
      .select(["sim_cards.iccid", "devices.key as device", "sim_cards.operator"])
      .execute();
    const members = cards.filter((c) => storedFilterMatches(filter, c));
    if (members.length) await trx.insertInto("pool_cards").values(members.map((c) => ({ pool_id: pool.id, iccid: c.iccid }))).execute();
    return { id: pool.id, key, cards: members.length };
  });

/** The pool a key opens, or null. */
export const poolByKey = async (db: Kysely<Database>, key: unknown): Promise<{ id: number; title: string } | null> => {
  if (!plausibleKey(key)) return null;
  const hash = hashKey(key);
  const row = await db.selectFrom("pools").select(["id", "title", "key_hash"]).where("key_hash", "=", hash).executeTakeFirst();
  return row && sameHash(row.key_hash, hash) ? { id: row.id, title: row.title } : null;
};

// ---- managing pools (the panel's Pools page and `simgate pool`) ------------------------------

export const POOL_TITLE_MAX = 200;

/** Why `title` cannot be a pool's title, or null. */
export const poolTitleProblem = (title: string): string | null => {
  if (title.trim() === "") return "a title is needed";
  if (title.length > POOL_TITLE_MAX) return `the title is over ${POOL_TITLE_MAX} characters`;
  if (/[\u0000-\u001f\u007f]/.test(title)) return "the title has control characters";
  return unstorable(title) === null ? null : `the title ${unstorable(title)}`;
};

export interface PoolSummary {
  readonly id: number;
  readonly title: string;
  readonly filter: unknown;
  /** Members known to the inventory (forgotten cards left out). */
  readonly cards: number;
  /** Open for a client now (USED). */
  readonly open: number;
  readonly createdAt: Date;
}

/** Every pool with its card counts, in id order. */
export const listPools = async (db: Kysely<Database>): Promise<PoolSummary[]> => {
  const rows = await db
    .selectFrom("pools")
    .leftJoin("pool_cards", "pool_cards.pool_id", "pools.id")
    .leftJoin("sim_cards", (j) => j.onRef("sim_cards.iccid", "=", "pool_cards.iccid").on("sim_cards.forgotten_at", "is", null))
    .select((eb) => [
      "pools.id",
      "pools.title",
      "pools.filter",
      "pools.created_at",
      eb.fn.count<number>("sim_cards.id").as("cards"),
      eb.fn.count<number>("sim_cards.id").filterWhere("pool_cards.used", "=", true).as("open"),
    ])
    .groupBy(["pools.id", "pools.title", "pools.filter", "pools.created_at"])
    .orderBy("pools.id")
    .execute();
  return rows.map((r) => ({ id: r.id, title: r.title, filter: r.filter, cards: Number(r.cards), open: Number(r.open), createdAt: r.created_at }));
};

/** Gives pool `id` a new key (returned once, stored hashed); null when there is no such pool. The old key stops working at once. */
export const rotatePoolKey = async (db: Kysely<Database>, id: number, key: string = newKey()): Promise<string | null> => {
  const changed = await db.updateTable("pools").set({ key_hash: hashKey(key) }).where("id", "=", id).executeTakeFirst();
  return Number(changed.numUpdatedRows) === 1 ? key : null;
};

/** False when there is no such pool. */
export const renamePool = async (db: Kysely<Database>, id: number, title: string): Promise<boolean> => {
  const changed = await db.updateTable("pools").set({ title }).where("id", "=", id).executeTakeFirst();
  return Number(changed.numUpdatedRows) === 1;
};

export class PoolBusy extends Error {}

/**
 * Pool `from` into pool `into`: its cards join `into` (FREE, as cards added), cards found
 * later join by either filter, and `from` and its key are gone. Refused (PoolBusy) while
 * `from` has numbers open: their clients hold them under its key.
 */
export const mergePools = async (db: Kysely<Database>, into: number, from: number): Promise<{ moved: number }> =>
  db.transaction().execute(async (trx) => {
    const pools = await trx.selectFrom("pools").select(["id", "filter"]).where("id", "in", [into, from]).forUpdate().execute();
    const target = pools.find((p) => p.id === into);
    const source = pools.find((p) => p.id === from);
    if (into === from || !target || !source) throw new PoolBusy("choose two different pools");
    const open = await trx.selectFrom("pool_cards").select("iccid").where("pool_id", "=", from).where("used", "=", true).execute();
    if (open.length > 0) throw new PoolBusy(`it has ${open.length} numbers open; close them or restart the pool first`);
    const moved = await sql<{ iccid: string }>`
      insert into pool_cards (pool_id, iccid) select ${into}, iccid from pool_cards where pool_id = ${from}
      on conflict do nothing returning iccid`.execute(trx);
    const filters = [target.filter, source.filter].flatMap((f) => (Array.isArray(f) ? f : [f]));
    await trx.updateTable("pools").set({ filter: JSON.stringify(filters) }).where("id", "=", into).execute();
    await trx.deleteFrom("pools").where("id", "=", from).execute();
    return { moved: moved.rows.length };
  });

/** Adds cards (by ICCID) to a pool, FREE; those already in it stay as they are. How many joined. */
export const addPoolCards = async (db: Kysely<Database>, poolId: number, iccids: readonly string[]): Promise<number> => {
  let added = 0;
  for (let i = 0; i < iccids.length; i += 5000) {
    const chunk = iccids.slice(i, i + 5000);
    if (chunk.length === 0) continue;
    const rows = await db.insertInto("pool_cards").values(chunk.map((iccid) => ({ pool_id: poolId, iccid }))).onConflict((oc) => oc.doNothing()).returning("iccid").execute();
    added += rows.length;
  }
  return added;
};

/** Takes cards out of a pool, except those open (USED) now: a client holds them. */
export const removePoolCards = async (db: Kysely<Database>, poolId: number, iccids: readonly string[]): Promise<{ removed: number; open: number }> => {
  let removed = 0;
  let open = 0;
  for (let i = 0; i < iccids.length; i += 5000) {
    const chunk = iccids.slice(i, i + 5000);
    if (chunk.length === 0) continue;
    const gone = await db.deleteFrom("pool_cards").where("pool_id", "=", poolId).where("iccid", "in", chunk).where("used", "=", false).executeTakeFirst();
    removed += Number(gone.numDeletedRows);
    const held = await db.selectFrom("pool_cards").select((eb) => eb.fn.countAll<number>().as("n")).where("pool_id", "=", poolId).where("iccid", "in", chunk).executeTakeFirstOrThrow();
    open += Number(held.n);
  }
  return { removed, open };
};
