/**
 * SR pools: a set of cards behind one pool_key. A pool is made from a filter (devices,
 * operators, ICCIDs); cards that match it now are added at once, cards found later join
 * when the inventory first records them.
 */
import type { Kysely, Transaction } from "kysely";
import { hashKey, newKey, plausibleKey, sameHash } from "../access/keys";
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

/** Adds a card to every pool whose filter it matches (a no-op where it already is). */
export const joinPools = async (db: Db, card: CardFacts): Promise<void> => {
  const pools = await db.selectFrom("pools").select(["id", "filter"]).execute();
  const ids = pools.filter((p) => poolFilterMatches(p.filter as PoolFilter, card)).map((p) => p.id);
  if (ids.length === 0) return;
  await db
    .insertInto("pool_cards")
    .values(ids.map((pool_id) => ({ pool_id, iccid: card.iccid })))
    .onConflict((oc) => oc.doNothing())
    .execute();
};

/** Creates a pool with the cards known now that match; its key is returned once, here. */
export const createPool = async (db: Db, title: string, filter: PoolFilter, key: string = newKey()): Promise<{ id: number; key: string; cards: number }> =>
  inTransaction(db, async (trx) => {
    const pool = await trx.insertInto("pools").values({ title, key_hash: hashKey(key), filter: JSON.stringify(filter) }).returning("id").executeTakeFirstOrThrow();
    const cards = await trx
      .selectFrom("sim_cards")
      .leftJoin("devices", "devices.id", "sim_cards.device_id")
      .select(["sim_cards.iccid", "devices.key as device", "sim_cards.operator"])
      .execute();
    const members = cards.filter((c) => poolFilterMatches(filter, c));
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
