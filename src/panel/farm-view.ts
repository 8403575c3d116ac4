/**
 * The farm as the panel shows it, read through the services the APIs use: devices a user
 * may see (the admin role sees all, others the devices they own, as in the SimFolder API),
 * every modem's live state (this host's from its actors, other hosts' from modem_state),
 * and a device's SIM bank: positions, the card known at each, the modem on it, its hold.
 */
import { Effect } from "effect";
import { sql } from "kysely";
import { isModel, modelRow } from "../../protocol/bank/models";
import { localModem, remoteModems, type LiveModem } from "../devices/live-state";
import type { Rotation } from "../scheduler/scheduler";
import { consoleLeases, type LeaseView } from "./console-leases";
import { runIn, type PanelContext } from "./context";

export interface Viewer {
  readonly id: number;
  readonly name: string;
  readonly admin: boolean;
}

export interface DeviceRow {
  readonly id: number;
  readonly key: string;
  readonly title: string;
  readonly model: string;
  readonly host: string | null;
}

export const visibleDevices = async (ctx: PanelContext, user: Viewer): Promise<DeviceRow[]> => {
  let q = ctx.db
    .selectFrom("devices as d")
    .leftJoin("device_hosts as h", "h.device", "d.key")
    .select(["d.id", "d.key", sql<string>`coalesce(d.config->>'title', d.title)`.as("title"), "d.model", "h.host"])
    .where("d.key", "is not", null)
    .orderBy("d.id");
  if (!user.admin) q = q.where("d.owner", "=", user.name);
  const rows = await q.execute();
  return rows.map((r) => ({ ...r, key: r.key! }));
};

export interface ModemView extends LiveModem {
  readonly errorsLastHour: number;
  /** Messages queued or being sent from the card on it. */
  readonly queued: number;
  /** The last hour's signal as its host wrote it ([unix seconds, dBm]); filled by withSignalHistory. */
  readonly signalHistory?: ReadonlyArray<readonly [number, number | null]>;
}

/**
 * Messages waiting to go out (queued or sending), per card. Every waiting message is read
 * through the partial index of 0014: the queue is short next to the cards a page may list,
 * so that is cheaper than naming thousands of cards in the query.
 */
export const queuedPerCard = async (ctx: PanelContext): Promise<Map<string, number>> => {
  const rows = await ctx.db
    .selectFrom("sms_out")
    .select(["iccid", sql<number>`count(*)::int`.as("n")])
    .where(sql<boolean>`state in ('queued', 'sending')`)
    .where("iccid", "is not", null)
    .groupBy("iccid")
    .execute();
  return new Map(rows.map((r) => [r.iccid!, r.n]));
};

/**
 * The signal history of the modems a page shows, from the rows their hosts write (this
 * host's too): the sparkline. Asked only for the modems that get a row, so a dashboard of
 * tiles does not read 2,500 histories.
 */
export const withSignalHistory = async (ctx: PanelContext, modems: readonly ModemView[]): Promise<ModemView[]> => {
  if (modems.length === 0) return [];
  const rows = await ctx.db
    .selectFrom("modem_state")
    .select(["device", "modem", "signal_history"])
    .where("device", "in", [...new Set(modems.map((m) => m.device))])
    .where("modem", "in", [...new Set(modems.map((m) => m.modem))])
    .execute();
  const history = new Map(rows.map((r) => [`${r.device}#${r.modem}`, r.signal_history]));
  return modems.map((m) => ({ ...m, signalHistory: history.get(`${m.device}#${m.modem}`) ?? [] }));
};

/** Every modem of these devices, live, with its trouble count over the last hour. */
export const modemsOf = async (ctx: PanelContext, devices: readonly DeviceRow[]): Promise<ModemView[]> => {
  const keys = new Set(devices.map((d) => d.key));
  const local = await runIn(ctx)(Effect.forEach(ctx.registry.modems.filter((m) => keys.has(m.device)), (m) => localModem(m, ctx.host)));
  const localKeys = ctx.registry.devices.map((d) => d.config.id);
  // Three independent reads, at once: on a busy machine each round trip waits its turn.
  const [remote, trouble, queued] = await Promise.all([
    remoteModems(ctx.db, localKeys, ctx.hostTtlMs, { devices: [...keys].filter((k) => !localKeys.includes(k)) }),
    ctx.db
      .selectFrom("events")
      .select(["device", sql<number>`(payload->>'modem')::int`.as("modem"), sql<number>`count(*)::int`.as("n")])
      .where("type", "=", "modemTrouble")
      // A modem coming up is recorded with its troubles, but is none.
      .where(sql<boolean>`payload->>'kind' <> 'connected'`)
      .where(sql<boolean>`at > now() - interval '1 hour'`)
      .groupBy(["device", sql`(payload->>'modem')::int`])
      .execute(),
    queuedPerCard(ctx),
  ]);
  const errors = new Map(trouble.map((t) => [`${t.device}#${t.modem}`, t.n]));
  const order = new Map(devices.map((d, i) => [d.key, i]));
  // Each modem's device rank looked up once, not at every comparison (2,500 modems on a farm page).
  return [...local, ...remote]
    .map((m) => ({ rank: order.get(m.device) ?? 0, view: { ...m, errorsLastHour: errors.get(`${m.device}#${m.modem}`) ?? 0, queued: (m.iccid && queued.get(m.iccid)) || 0 } }))
    .sort((a, b) => a.rank - b.rank || a.view.modem - b.view.modem)
    .map((r) => r.view);
};

export interface GridCell {
  readonly position: string;
  readonly card: { readonly iccid: string; readonly number: string | null; readonly operator: string | null; readonly queued: number } | null;
  /** The modem the position is on now, if any. */
  readonly modem: number | null;
  readonly hold: { readonly holder: string; readonly holderName: string; readonly state: string; readonly error: string | null; readonly mine: boolean } | null;
}

export interface Grid {
  readonly device: DeviceRow;
  readonly rows: ReadonlyArray<{ readonly label: string; readonly cells: readonly GridCell[] }>;
  /** Driven by this host (else another host's device, shown from the rows it writes). */
  readonly local: boolean;
  readonly modems: readonly ModemView[];
  /** This host's rotation of the device (null: another host's). */
  readonly rotation: Rotation | null;
  /** The console leases standing on its modems, by `device#modem`. */
  readonly leases: ReadonlyMap<string, LeaseView>;
}

/**
 * How a model's positions fall into rows, as the hardware is laid out: an SR-Train's `row-place`
 * and a bank box's `<letter><row>` by row, a dual-SIM modem's `<modem>-<slot>` by slot (an
 * SR-Organizer's `<modem>-<card>` by card), a fixed bank in one row.
 */
export const gridRows = (model: string, positions: readonly string[]): Array<{ label: string; positions: string[] }> => {
  // By the model's place format (protocol/bank/models.ts): modems stand in columns.
  const place = isModel(model) ? modelRow(model).place : null;
  const rowOf = (p: string): string => {
    if (place === "row-place") return p.split("-")[0]!;
    if (place === "modem-card") return p.split("-")[1] ?? "1";
    if (place === "letter-row") return p.slice(1);
    return "1";
  };
  const rows = new Map<string, string[]>();
  for (const p of positions) rows.set(rowOf(p), [...(rows.get(rowOf(p)) ?? []), p]);
  return [...rows].map(([label, ps]) => ({ label, positions: ps }));
};

export const holderName = async (ctx: PanelContext, holder: string): Promise<string> => {
  const user = /^user:(\d+)$/.exec(holder);
  if (user) return (await ctx.db.selectFrom("api_users").select("name").where("id", "=", Number(user[1])).executeTakeFirst())?.name ?? holder;
  const pool = /^sr-pool:(\d+)$/.exec(holder);
  if (pool) return `pool ${(await ctx.db.selectFrom("pools").select("title").where("id", "=", Number(pool[1])).executeTakeFirst())?.title ?? pool[1]}`;
  // A console lease holds the card where it is (src/console/leases.ts names the hold after the modem): who holds the lease.
  const lease = /^console:([^/]+)\/(\d+)$/.exec(holder);
  if (lease) {
    const row = await ctx.db.selectFrom("console_leases").select("holder").where("device", "=", lease[1]!).where("modem", "=", Number(lease[2])).executeTakeFirst();
    return `console of ${row?.holder ?? "?"}`;
  }
  return holder;
};

const naturally = (a: string, b: string) => a.localeCompare(b, "en", { numeric: true });

export const deviceGrid = async (ctx: PanelContext, user: Viewer, key: string): Promise<Grid | null> => {
  const device = (await visibleDevices(ctx, user)).find((d) => d.key === key);
  if (!device) return null;
  const modems = await withSignalHistory(ctx, await modemsOf(ctx, [device]));
  const queued = await queuedPerCard(ctx);
  const cards = await ctx.db.selectFrom("sim_cards").select(["place", "iccid", "number", "operator"]).where("device_id", "=", device.id).execute();
  const cardAt = new Map(cards.map((c) => [c.place, c]));
  const registered = ctx.registry.devices.find((d) => d.config.id === key);
  const mine = `user:${user.id}`;
  // This host's devices: the bank's own positions and the scheduler's view. Another host's:
  // the positions its scan recorded, the modems' live state and the hold rows it follows.
  let positions: readonly string[];
  let onModem: Map<string, number>;
  let holdAt: (position: string) => { holder: string; state: string; error: string | null } | null;
  if (registered) {
    positions = registered.driver.positions;
    onModem = new Map([...ctx.scheduler.positions(key)].map(([modem, position]) => [position, modem]));
    holdAt = (position) => ctx.scheduler.place(key, position)?.hold ?? null;
  } else {
    positions = cards.flatMap((c) => (c.place ? [c.place] : [])).sort(naturally);
    const placeOf = new Map(cards.map((c) => [c.iccid, c.place]));
    onModem = new Map(modems.flatMap((m) => (m.iccid && placeOf.get(m.iccid) ? [[placeOf.get(m.iccid)!, m.modem] as const] : [])));
    const holds = await ctx.db.selectFrom("holds").select(["position", "holder", "state", "error"]).where("device", "=", key).execute();
    const byPosition = new Map(holds.map((h) => [h.position, h]));
    holdAt = (position) => byPosition.get(position) ?? null;
  }
  const names = new Map<string, string>();
  const rows = [];
  for (const row of gridRows(device.model, positions)) {
    const cells: GridCell[] = [];
    for (const position of row.positions) {
      const hold = holdAt(position);
      const card = cardAt.get(position);
      if (hold && !names.has(hold.holder)) names.set(hold.holder, await holderName(ctx, hold.holder));
      cells.push({
        position,
        card: card ? { iccid: card.iccid, number: card.number, operator: card.operator, queued: queued.get(card.iccid) ?? 0 } : null,
        modem: onModem.get(position) ?? null,
        hold: hold ? { ...hold, holderName: names.get(hold.holder)!, mine: hold.holder === mine } : null,
      });
    }
    rows.push({ label: row.label, cells });
  }
  const leases = await consoleLeases(ctx, [key]);
  return { device, rows, local: registered !== undefined, modems, rotation: registered ? ctx.scheduler.rotation(key) : null, leases };
};
