/**
 * The SIM cards page's data: the user's cards through the inventory's own narrowing
 * (src/cards/inventory.ts, as the SimFolder API's cardList), plus what a page of the whole
 * inventory needs: a substring search, filters by device, state, pool and operator, a sort
 * on any column, paging, and per card its live state, modem, pools and place.
 *
 * The live state is read from the modem rows every host writes (modem_state, this host's
 * own included): the same facts the SimFolder API reads for another host's modems, and in
 * SQL, so that a filter or a sort by state pages correctly over 10,000 cards. A card on no
 * connected modem of a live host is "off" (-3), as cardList says.
 */
import { sql, type Kysely, type RawBuilder, type SqlBool } from "kysely";
import { cardConditions, type CardFilter, type CardScope } from "../cards/inventory";
import type { Database } from "../store/schema";
import type { PanelContext } from "./context";
import { visibleDevices, type DeviceRow, type Viewer } from "./farm-view";

export const SORTS = ["iccid", "imsi", "number", "operator", "name", "balance", "state", "comment", "seen", "place"] as const;
export type SortKey = (typeof SORTS)[number];
export const PAGE_SIZES = [25, 50, 100, 200] as const;

/** What the page was asked for: its address's query, checked (anything unknown falls back to the default). */
export interface CardQuery {
  readonly search: string;
  /** A device's key, or "-" for cards placed nowhere. */
  readonly device: string;
  readonly state: number | null;
  readonly pool: number | null;
  readonly operator: string;
  readonly sort: SortKey;
  readonly desc: boolean;
  readonly page: number;
  readonly size: number;
}

const STATES = new Set([-3, -1, 0, 1, 2, 3, 4, 5, 6]);

export const parseCardQuery = (q: URLSearchParams): CardQuery => {
  const int = (name: string) => (/^-?\d{1,9}$/.test(q.get(name) ?? "") ? Number(q.get(name)) : null);
  const state = int("state");
  const sort = q.get("sort") ?? "";
  const size = int("size");
  return {
    search: (q.get("q") ?? "").trim().slice(0, 100),
    device: (q.get("device") ?? "").slice(0, 200),
    state: state !== null && STATES.has(state) ? state : null,
    pool: int("pool"),
    operator: (q.get("operator") ?? "").slice(0, 100),
    sort: (SORTS as readonly string[]).includes(sort) ? (sort as SortKey) : "place",
    desc: q.get("dir") === "desc",
    page: Math.max(1, int("page") ?? 1),
    size: size !== null && (PAGE_SIZES as readonly number[]).includes(size) ? size : 50,
  };
};

/** The query's address (for links that keep the filters), with `changes` applied; defaults are left out. */
export const cardQueryString = (q: CardQuery, changes: Partial<CardQuery> = {}): string => {
  const v = { ...q, ...changes };
  const p = new URLSearchParams();
  if (v.search) p.set("q", v.search);
  if (v.device) p.set("device", v.device);
  if (v.state !== null) p.set("state", String(v.state));
  if (v.pool !== null) p.set("pool", String(v.pool));
  if (v.operator) p.set("operator", v.operator);
  if (v.sort !== "place") p.set("sort", v.sort);
  if (v.desc) p.set("dir", "desc");
  if (v.page !== 1) p.set("page", String(v.page));
  if (v.size !== 50) p.set("size", String(v.size));
  return p.toString();
};

export interface CardRow {
  readonly id: number;
  readonly iccid: string;
  readonly imsi: string | null;
  readonly number: string | null;
  readonly operator: string | null;
  readonly name: string | null;
  readonly balance: number | null;
  readonly balanceAt: Date | null;
  readonly state: number;
  readonly pools: string | null;
  readonly comment: string | null;
  readonly lastSeen: Date | null;
  readonly deviceKey: string | null;
  readonly deviceTitle: string | null;
  readonly place: string | null;
  readonly modem: number | null;
}

/** Who sees what: the devices a user sees (an admin also the cards placed nowhere). */
export const cardScope = async (ctx: PanelContext, user: Viewer & { readonly admin: boolean }): Promise<{ scope: CardScope; devices: DeviceRow[] }> => {
  const devices = await visibleDevices(ctx, user);
  return { scope: { devices: devices.map((d) => d.id), everywhere: user.admin }, devices };
};

/**
 * Each card's live state and modem, from the modem rows of live hosts (this host counts as
 * live: it is the one answering). A card on two rows (a stale one) takes the connected one.
 */
const liveCards = (ctx: PanelContext) => sql`(
  select distinct on (s.iccid) s.iccid, s.modem, case when s.connected then s.sim_status else -3 end as state
  from modem_state s left join hosts h on h.id = s.host
  where s.iccid is not null and (s.host = ${ctx.host} or h.heartbeat_at > now() - ${`${ctx.hostTtlMs} milliseconds`}::interval)
  order by s.iccid, s.connected desc, s.updated_at desc)`;

const ORDER: Record<SortKey, RawBuilder<unknown>[]> = {
  iccid: [sql`c.iccid`],
  imsi: [sql`c.imsi`],
  number: [sql`c.number`],
  operator: [sql`lower(c.operator)`],
  name: [sql`lower(c.name)`],
  balance: [sql`c.balance`],
  state: [sql`coalesce(l.state, -3)`],
  comment: [sql`lower(c.comment)`],
  seen: [sql`c.last_seen_at`],
  place: [sql`c.device_id`, sql`length(c.place)`, sql`c.place`],
};

/** The filter of the page as the inventory's narrowing, and the device it names (undefined: none of the user's). */
const filterOf = (q: CardQuery, devices: readonly DeviceRow[]): CardFilter | null => {
  const device = q.device === "-" ? null : q.device ? devices.find((d) => d.key === q.device) : undefined;
  if (device === undefined && q.device && q.device !== "-") return null;
  return {
    ...(q.search ? { search: q.search } : {}),
    ...(q.operator ? { operator: q.operator } : {}),
    ...(q.pool !== null ? { poolId: q.pool } : {}),
    ...(q.device === "-" ? { nowhere: true } : device ? { deviceIds: [device.id] } : {}),
  };
};

const where = (scope: CardScope, filter: CardFilter, state: number | null): RawBuilder<SqlBool> => {
  const conditions = cardConditions(scope, filter, "c");
  if (state !== null) conditions.push(sql<SqlBool>`coalesce(l.state, -3) = ${state}`);
  return sql<SqlBool>`${sql.join(conditions, sql` and `)}`;
};

const fromCards = (ctx: PanelContext, live: boolean) => (live ? sql`sim_cards c left join ${liveCards(ctx)} l on l.iccid = c.iccid` : sql`sim_cards c`);

/**
 * The ids of the matching cards, in the page's order, with how many match in all: one page
 * of them, or all of them (the CSV export reads the rows in batches by these ids, so a long
 * export holds no transaction open: an open transaction would hold back every tab's live feed).
 */
export const cardIds = async (ctx: PanelContext, scope: CardScope, devices: readonly DeviceRow[], q: CardQuery, window: { limit: number; offset: number } | "all"): Promise<{ ids: number[]; total: number | null }> => {
  const filter = filterOf(q, devices);
  if (!filter) return { ids: [], total: 0 };
  const needsLive = q.state !== null || q.sort === "state";
  const dir = q.desc ? sql`desc` : sql`asc`;
  const order = sql.join([...ORDER[q.sort].map((o) => sql`${o} ${dir} nulls last`), sql`c.id ${dir}`]);
  const limit = window === "all" ? sql`` : sql`limit ${window.limit} offset ${window.offset}`;
  // The total with the page (a window count): one scan instead of two.
  const rows = await sql<{ id: number; total: number }>`select c.id, count(*) over ()::int as total from ${fromCards(ctx, needsLive)} where ${where(scope, filter, q.state)} order by ${order} ${limit}`.execute(ctx.db);
  return { ids: rows.rows.map((r) => r.id), total: rows.rows[0]?.total ?? null };
};

export const countCards = async (ctx: PanelContext, scope: CardScope, devices: readonly DeviceRow[], q: CardQuery): Promise<number> => {
  const filter = filterOf(q, devices);
  if (!filter) return 0;
  const rows = await sql<{ n: number }>`select count(*)::int as n from ${fromCards(ctx, q.state !== null)} where ${where(scope, filter, q.state)}`.execute(ctx.db);
  return rows.rows[0]?.n ?? 0;
};

/** The cards of these ids, in this order, with their live state, pools and place. */
export const cardRows = async (ctx: PanelContext, ids: readonly number[]): Promise<CardRow[]> => {
  if (ids.length === 0) return [];
  const rows = await sql<{
    id: number;
    iccid: string;
    imsi: string | null;
    number: string | null;
    operator: string | null;
    name: string | null;
    balance: string | null;
    balance_at: Date | null;
    state: number;
    pools: string | null;
    comment: string | null;
    last_seen_at: Date | null;
    device_key: string | null;
    device_title: string | null;
    place: string | null;
    modem: number | null;
  }>`
    select c.id, c.iccid, c.imsi, c.number, c.operator, c.name, c.balance, c.balance_at, coalesce(l.state, -3)::int as state,
      (select string_agg(p.title, ', ' order by p.title) from pool_cards pc join pools p on p.id = pc.pool_id where pc.iccid = c.iccid) as pools,
      c.comment, c.last_seen_at, d.key as device_key, coalesce(d.config->>'title', d.title) as device_title, c.place, l.modem
    from sim_cards c
      left join devices d on d.id = c.device_id
      left join ${liveCards(ctx)} l on l.iccid = c.iccid
    where c.id in (${sql.join([...ids])})`.execute(ctx.db);
  const byId = new Map(rows.rows.map((r) => [r.id, r]));
  return ids.flatMap((id) => {
    const r = byId.get(id);
    if (!r) return [];
    return [
      {
        id: r.id,
        iccid: r.iccid,
        imsi: r.imsi,
        number: r.number,
        operator: r.operator,
        name: r.name,
        balance: r.balance === null ? null : Number(r.balance),
        balanceAt: r.balance_at,
        state: r.state,
        pools: r.pools,
        comment: r.comment,
        lastSeen: r.last_seen_at,
        deviceKey: r.device_key,
        deviceTitle: r.device_title,
        place: r.place,
        modem: r.modem,
      },
    ];
  });
};

export interface CardPage {
  readonly query: CardQuery;
  readonly rows: readonly CardRow[];
  readonly total: number;
  readonly devices: readonly DeviceRow[];
  readonly pools: ReadonlyArray<{ readonly id: number; readonly title: string }>;
  readonly operators: readonly string[];
  /** Every pool (the bulk actions' choice: a pool may have none of the user's cards yet). */
  readonly allPools: ReadonlyArray<{ readonly id: number; readonly title: string }>;
  /** Whether the user sees cards placed nowhere (admins). */
  readonly everywhere: boolean;
}

export const cardPage = async (ctx: PanelContext, user: Viewer & { readonly admin: boolean }, q: CardQuery): Promise<CardPage> => {
  const { scope, devices } = await cardScope(ctx, user);
  const all = cardConditions(scope, {}, "c");
  const whereAll = sql<SqlBool>`${sql.join(all, sql` and `)}`;
  const [first, pools, operators, allPools] = await Promise.all([
    cardIds(ctx, scope, devices, q, { limit: q.size, offset: (q.page - 1) * q.size }),
    sql<{ id: number; title: string }>`select p.id, p.title from pools p where exists (select 1 from pool_cards pc join sim_cards c on c.iccid = pc.iccid where pc.pool_id = p.id and ${whereAll}) order by p.title`.execute(ctx.db),
    sql<{ operator: string }>`select distinct c.operator from sim_cards c where c.operator is not null and ${whereAll} order by 1`.execute(ctx.db),
    sql<{ id: number; title: string }>`select id, title from pools order by lower(title), id`.execute(ctx.db),
  ]);
  let query = q;
  let { ids, total } = first;
  if (total === null) {
    // A page past the end (the list shrank, or an old link): the last page instead.
    total = q.page > 1 ? await countCards(ctx, scope, devices, q) : 0;
    const last = Math.max(1, Math.ceil(total / q.size));
    if (q.page > last && total > 0) {
      query = { ...q, page: last };
      ids = (await cardIds(ctx, scope, devices, query, { limit: query.size, offset: (last - 1) * query.size })).ids;
    } else if (total === 0) query = { ...q, page: 1 };
  }
  return { query, rows: await cardRows(ctx, ids), total, devices, pools: pools.rows, operators: operators.rows.map((o) => o.operator), allPools: allPools.rows, everywhere: scope.everywhere ?? false };
};

/** One card of the user's, by id (null: not theirs). */
export const oneCard = async (db: Kysely<Database>, scope: CardScope, id: number) => {
  let q = db.selectFrom("sim_cards as c").leftJoin("devices as d", "d.id", "c.device_id").select(["c.id", "c.iccid", "c.name", "c.comment", "c.number", "c.place", "d.key as device"]).where("c.id", "=", id);
  for (const c of cardConditions(scope, {}, "c")) q = q.where(c);
  return (await q.executeTakeFirst()) ?? null;
};
