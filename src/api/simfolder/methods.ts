/**
 * The SimFolder methods (../shared/specs/simfolder-notes.md, "Parameter and payload names").
 * Each checks its parameters first (BAD_PARAM names the parameter, nothing is written), sees
 * only the user's devices and cards, and acts on the real modem path: sends and USSD and AT
 * go through the durable jobs, selections through the scheduler.
 */
import { drivingHostOf, type DrivingHost } from "../../hosts/forward";
import { Cause, Effect, Exit, Option, SubscriptionRef } from "effect";
import { sql, type Kysely, type SelectQueryBuilder } from "kysely";
import { simStatusOf } from "../../../drivers/modem/state";
import type { ModemActor } from "../../../drivers/modem/modem-actor";
import type { Registry } from "../../devices/registry";
import { remoteModems } from "../../devices/live-state";
import { DEFAULT_HOST_TTL_MS } from "../../hosts/host";
import { EVENT_TYPES } from "../../store/events";
import { enqueueCardWork } from "../../jobs/card-jobs";
import { holderOf } from "../../devices/card-holder";
import { enqueueSms } from "../../jobs/sms-sender";
import { deleteRecords } from "../../messages/records";
import { unstorable } from "../../store/storable-text";
import { cardFieldProblem, FIELD_MAX, scopedCards, updateCard, type CardChanges } from "../../cards/inventory";
import type { ServiceScheduler } from "../../scheduler/farm-scheduler";
import type { Database } from "../../store/schema";
import { notifySettings, type NotifySettings } from "../../notify/settings";

export interface SimFolderContext {
  readonly db: Kysely<Database>;
  readonly registry: Registry;
  /** A host whose heartbeat is older is taken for dead (default 30 s). */
  readonly hostTtlMs?: number;
  /** This host's id (SIMGATE_HOST_ID): named on the modems it drives, as other hosts' are. */
  readonly host?: string;
  readonly scheduler: ServiceScheduler;
  readonly version: string;
  /** The Telegram Bot API's base URL (tests point it at a stand-in on loopback). */
  readonly telegramApi?: string;
}

export interface User {
  readonly id: number;
  readonly name: string;
  readonly admin: boolean;
}

export type Params = ReadonlyMap<string, unknown>;

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/**
 * Runs an effect and throws its own failure (a StoreError, say), not the FiberFailure that
 * Effect.runPromise wraps it in: the handler tells an unreachable database by the error.
 */
const run = async <A, E>(effect: Effect.Effect<A, E>): Promise<A> => {
  const exit = await Effect.runPromiseExit(effect);
  if (Exit.isSuccess(exit)) return exit.value;
  throw Cause.squash(exit.cause);
};
const bad = (name: string, why: string): never => {
  throw new ApiError("BAD_PARAM", `${name}: ${why}`);
};

// ---- parameters -------------------------------------------------------------------------

const text = (params: Params, name: string, opts: { required?: boolean; max?: number } = {}): string | undefined => {
  const value = params.get(name);
  if (value === undefined || value === null || value === "") return opts.required ? bad(name, "is required") : undefined;
  if (typeof value !== "string" && typeof value !== "number") return bad(name, "must be text");
  const s = String(value);
  if (s.length > (opts.max ?? 1000)) bad(name, `is longer than ${opts.max ?? 1000} characters`);
  const why = unstorable(s);
  if (why) bad(name, why);
  return s;
};

/** sim_cards and devices ids are PostgreSQL integers; a larger number names no row and must not reach a query. */
const INT4_MAX = 2 ** 31 - 1;

const integer = (params: Params, name: string, opts: { required?: boolean; min?: number; max?: number } = {}): number | undefined => {
  const s = text(params, name, { required: opts.required ?? false, max: 20 });
  if (s === undefined) return undefined;
  if (!/^-?\d+$/.test(s.trim())) return bad(name, "must be a whole number");
  const n = Number(s);
  if (n < (opts.min ?? 0) || n > (opts.max ?? 2 ** 31 - 1)) bad(name, `must be between ${opts.min ?? 0} and ${opts.max ?? 2 ** 31 - 1}`);
  return n;
};

/**
 * `3,4,9` or a JSON array of ids (numbers or their text), each once, in the order given.
 * `max` is the id column's range: record ids (SMS, USSD, calls) are bigints, card and
 * device ids integers.
 */
const idList = (params: Params, name: string, opts: { required?: boolean; max?: number } = {}): number[] | undefined => {
  const value = params.get(name);
  if (value === undefined || value === "") return opts.required ? bad(name, "is required") : undefined;
  const scalar = (v: unknown) => (typeof v === "string" || typeof v === "number" ? String(v) : bad(name, "must be ids (a list of numbers)"));
  const items = Array.isArray(value) ? value.map(scalar) : typeof value === "string" || typeof value === "number" ? String(value).split(",") : bad(name, "must be ids");
  if (items.length > 1000) bad(name, "lists at most 1000 ids");
  const max = opts.max ?? INT4_MAX;
  const ids = items.map((i) => {
    const t = i.trim();
    if (!/^\d{1,16}$/.test(t) || Number(t) > max) bad(name, `${JSON.stringify(t.slice(0, 20))} is not an id (0 to ${max})`);
    return Number(t);
  });
  return [...new Set(ids)];
};

// Years 1-9999: what ISO-8601 writes without an agreed expansion, and inside PostgreSQL's
// range (a Date reaches back to 271821 BC, a timestamp to 4713 BC).
const EARLIEST = Date.parse("0001-01-01T00:00:00Z");
const LATEST = Date.parse("9999-12-31T23:59:59.999Z");

/** Unix seconds or ISO-8601, within years 1-9999. */
const time = (params: Params, name: string): Date | undefined => {
  const s = text(params, name, { max: 40 });
  if (s === undefined) return undefined;
  const d = /^\d{1,12}$/.test(s) ? new Date(Number(s) * 1000) : new Date(s);
  if (Number.isNaN(d.getTime())) return bad(name, "must be unix seconds or an ISO-8601 time");
  return d.getTime() < EARLIEST || d.getTime() > LATEST ? bad(name, "must be a time in the years 1 to 9999") : d;
};

const page = (params: Params) => ({
  limit: integer(params, "limit", { min: 1, max: 1000 }) ?? 100,
  offset: integer(params, "offset", { max: 10_000_000 }) ?? 0,
  afterId: integer(params, "after_id", { max: Number.MAX_SAFE_INTEGER }),
});

const unix = (d: Date | null | undefined) => (d ? Math.floor(d.getTime() / 1000) : null);

/**
 * The list window every *List method shares: from/to on the record's time column, forward
 * paging by after_id (ascending), else newest id first; limit and offset.
 */
const windowed = <Q extends SelectQueryBuilder<Database, any, any>>(q: Q, column: string, p: ReturnType<typeof page>, from?: Date, to?: Date): Q => {
  let w = q;
  if (from) w = w.where(sql.ref(column), ">=", from) as Q;
  if (to) w = w.where(sql.ref(column), "<", to) as Q;
  if (p.afterId !== undefined) w = w.where(sql.ref("id"), ">", p.afterId) as Q;
  return w.orderBy(sql.ref("id"), p.afterId !== undefined ? "asc" : "desc").limit(p.limit).offset(p.offset) as Q;
};

// ---- what a user may see ----------------------------------------------------------------

const visibleDevices = async (ctx: SimFolderContext, user: User) => {
  let q = ctx.db.selectFrom("devices").select(["id", "key", "title", "model", "channels", "config"]).orderBy("id");
  if (!user.admin) q = q.where("owner", "=", user.name);
  return q.execute();
};

/** The user's cards, optionally narrowed by device_id / card_id / number / operator (the inventory's own narrowing). */
const cardsQuery = async (ctx: SimFolderContext, user: User, params: Params) => {
  const devices = (await visibleDevices(ctx, user)).map((d) => d.id);
  const deviceIds = idList(params, "device_id");
  const cardIds = idList(params, "card_id");
  const number = text(params, "number", { max: 32 })?.replace(/[^\d]/g, "");
  const operator = text(params, "operator", { max: 100 });
  return scopedCards(ctx.db, { devices }, { ...(deviceIds ? { deviceIds } : {}), ...(cardIds ? { cardIds } : {}), ...(number ? { number } : {}), ...(operator ? { operator } : {}) });
};

type CardRow = Awaited<ReturnType<Awaited<ReturnType<typeof cardsQuery>>["execute"]>>[number];

/** The one card a method acts on: card_id, or the SIM's own number. */
const oneCard = async (ctx: SimFolderContext, user: User, params: Params): Promise<CardRow> => {
  if (params.get("card_id") === undefined && params.get("number") === undefined) bad("card_id", "is required (or the SIM's number)");
  const rows = await (await cardsQuery(ctx, user, params)).limit(2).execute();
  if (rows.length === 0) throw new ApiError("NOT_FOUND", "no such card among yours");
  if (rows.length > 1) bad("card_id", "names more than one card");
  return rows[0]!;
};

/** Live state of a card: the modem it is on and its status code, when on one. */
const liveCard = async (ctx: SimFolderContext, iccid: string) => {
  const local = await run(
    Effect.gen(function* () {
      const holder = yield* holderOf(ctx.registry, iccid);
      if (Option.isNone(holder)) return null;
      const s = yield* SubscriptionRef.get(holder.value.actor.state);
      return { device: holder.value.modem.device, modem: holder.value.modem.position, state: simStatusOf(s), signal: s.signal, operator: s.operator };
    }),
  );
  if (local) return local;
  // On a modem another host drives: as that host last wrote it.
  const [remote] = await remoteModems(ctx.db, localDevices(ctx), ctx.hostTtlMs ?? DEFAULT_HOST_TTL_MS, { iccid });
  return remote?.connected ? { device: remote.device, modem: remote.modem, state: remote.simStatus, signal: remote.signalDbm === null ? null : { dbm: remote.signalDbm }, operator: remote.operator } : null;
};

const localDevices = (ctx: SimFolderContext) => ctx.registry.devices.map((d) => d.config.id);

const cardView = async (ctx: SimFolderContext, c: CardRow) => {
  const live = await liveCard(ctx, c.iccid);
  return {
    card_id: c.id,
    device_id: c.device_id,
    place: c.place,
    iccid: c.iccid,
    imsi: c.imsi,
    number: c.number,
    name: c.name,
    operator: c.operator,
    balance: c.balance === null ? null : Number(c.balance),
    state: live?.state ?? -3,
    comment: c.comment,
    modem: live?.modem ?? null,
  };
};

/** A list of one kind of record on the user's cards, filtered and paged. */
const listOn = async <T extends { id: number; iccid: string }>(
  ctx: SimFolderContext,
  user: User,
  params: Params,
  load: (iccids: string[], p: ReturnType<typeof page>, from?: Date, to?: Date) => Promise<T[]>,
) => {
  // Checked before anything is read, so a bad window is BAD_PARAM for a user with no cards too.
  const window = { p: page(params), from: time(params, "from"), to: time(params, "to") };
  const cards = await (await cardsQuery(ctx, user, params)).execute();
  const byIccid = new Map(cards.map((c) => [c.iccid, c]));
  const rows = cards.length ? await load([...byIccid.keys()], window.p, window.from, window.to) : [];
  return rows.map((r) => ({ row: r, card: byIccid.get(r.iccid)! }));
};

/**
 * The five deletes. An id list that names nothing (`[]` in JSON) is BAD_PARAM, like an
 * empty or missing value in a form or query, which cannot tell an empty list from a
 * forgotten one: the three transports answer alike, and a client whose list came out empty
 * by mistake hears so instead of a `deleted: 0` that looks like "those were not yours".
 */
const deleteOn = async (ctx: SimFolderContext, user: User, params: Params, table: "sms_in" | "sms_out" | "ussd" | "calls", idName: string, direction?: string) => {
  const ids = idList(params, idName, { required: true, max: Number.MAX_SAFE_INTEGER })!;
  if (ids.length === 0) bad(idName, "lists no ids");
  const cards = await (await cardsQuery(ctx, user, new Map())).execute();
  return { deleted: await deleteRecords(ctx.db, table, ids, { iccids: cards.map((c) => c.iccid), ...(direction ? { direction } : {}) }) };
};

// ---- the methods ------------------------------------------------------------------------

export const METHODS: Record<string, (ctx: SimFolderContext, user: User, params: Params) => Promise<Record<string, unknown>>> = {
  async version(ctx) {
    return { version: ctx.version, api: "simfolder", methods: Object.keys(METHODS) };
  },

  async deviceList(ctx, user, params) {
    const only = idList(params, "device_id");
    const devices = (await visibleDevices(ctx, user)).filter((d) => !only || only.includes(d.id));
    return {
      devices: devices.map((d) => ({
        device_id: d.id,
        device_title: (d.config as { title?: string }).title ?? d.title,
        key: d.key,
        model: d.model,
        channels: d.channels,
        positions: (d.config as { positions?: number }).positions ?? null,
      })),
    };
  },

  async deviceState(ctx, user, params) {
    const only = idList(params, "device_id");
    const devices = (await visibleDevices(ctx, user)).filter((d) => !only || only.includes(d.id));
    const modems = [];
    // Devices another host drives: their modems as that host last wrote them.
    const elsewhere = devices.filter((d) => !ctx.registry.devices.some((r) => r.config.id === d.key));
    const remote = elsewhere.length ? await remoteModems(ctx.db, localDevices(ctx), ctx.hostTtlMs ?? DEFAULT_HOST_TTL_MS, { devices: elsewhere.map((d) => d.key ?? "") }) : [];
    for (const d of devices) {
      for (const r of remote.filter((m) => m.device === d.key)) {
        const card = r.iccid ? await ctx.db.selectFrom("sim_cards").select(["id", "place"]).where("iccid", "=", r.iccid).executeTakeFirst() : undefined;
        modems.push({
          device_id: d.id,
          modem: r.modem,
          state: r.connected ? "online" : "offline",
          place: card?.place ?? null,
          card_id: card?.id ?? null,
          iccid: r.iccid,
          sim_state: r.simStatus,
          signal: r.signalDbm === null ? null : { dbm: r.signalDbm },
          registration: r.registration,
          operator: r.operator,
          host: r.host,
        });
      }
      const device = ctx.registry.devices.find((r) => r.config.id === d.key);
      for (const m of device?.modems ?? []) {
        const actor = await run(SubscriptionRef.get(m.supervised.actor));
        const s = Option.isSome(actor) ? await run(SubscriptionRef.get(actor.value.state)) : null;
        const card = s?.sim?.iccid ? await ctx.db.selectFrom("sim_cards").select("id").where("iccid", "=", s.sim.iccid).executeTakeFirst() : undefined;
        modems.push({
          device_id: d.id,
          modem: m.position,
          state: s && s.port === "ready" ? "online" : "offline",
          place: ctx.scheduler.positions(d.key ?? "").get(m.position) ?? null,
          card_id: card?.id ?? null,
          iccid: s?.sim?.iccid ?? null,
          sim_state: s ? simStatusOf(s) : -3,
          signal: s?.signal ?? null,
          registration: s?.registration ?? null,
          operator: s?.operator ?? null,
          host: ctx.host ?? null,
        });
      }
    }
    return { modems };
  },

  async cardList(ctx, user, params) {
    const p = page(params);
    const state = integer(params, "state", { min: -3, max: 6 });
    let q = await cardsQuery(ctx, user, params);
    // Past the integer ids of sim_cards nothing follows; the bound keeps the number within the column's type.
    if (p.afterId !== undefined) q = q.where("id", ">", Math.min(p.afterId, INT4_MAX));
    const rows = await q.orderBy("id").limit(p.limit).offset(p.offset).execute();
    const cards = await Promise.all(rows.map((c) => cardView(ctx, c)));
    return { cards: state === undefined ? cards : cards.filter((c) => c.state === state) };
  },

  async cardEdit(ctx, user, params) {
    const card = await oneCard(ctx, user, new Map([["card_id", params.get("card_id")]]));
    const changes: CardChanges = {};
    for (const field of ["name", "comment", "number"] as const) {
      if (!params.has(field)) continue;
      const value = text(params, field, { max: FIELD_MAX[field] });
      const why = value === undefined ? null : cardFieldProblem(field, value);
      if (why) bad(field, why);
      changes[field] = value ?? null;
    }
    if (Object.keys(changes).length === 0) bad("name", "nothing to change (name, comment, number)");
    await updateCard(ctx.db, card.id, changes);
    const updated = (await (await cardsQuery(ctx, user, new Map([["card_id", String(card.id)]]))).execute())[0]!;
    return { card: await cardView(ctx, updated) };
  },

  async cardSelect(ctx, user, params) {
    const ids = idList(params, "card_id", { required: true })!;
    // Selecting nothing is a mistake as an empty delete is (deleteOn); cardDirect differs: its empty list means "all".
    if (ids.length === 0) bad("card_id", "lists no cards");
    const cards = await (await cardsQuery(ctx, user, new Map([["card_id", ids]]))).execute();
    if (cards.length !== ids.length) throw new ApiError("NOT_FOUND", "some card_id is not among your cards");
    const devices = await visibleDevices(ctx, user);
    const out = [];
    for (const c of cards) {
      const key = devices.find((d) => d.id === c.device_id)?.key;
      if (!key || !c.place) throw new ApiError("NOT_FOUND", `card ${c.id} has no known place`);
      const claimed = await run(ctx.scheduler.claim(key, c.place, `user:${user.id}`).pipe(Effect.either));
      if (claimed._tag === "Left")
        throw new ApiError("CHANNEL_LIMIT", `card ${c.id} cannot be online with the cards already selected: ${claimed.left.message}`, { card_id: c.id });
      out.push({ card_id: c.id, place: c.place, modem: ctx.scheduler.place(key, c.place)?.hold?.state === "online" ? ctx.scheduler.place(key, c.place)!.modem : null, state: ctx.scheduler.place(key, c.place)?.hold?.state ?? "connecting" });
    }
    return { cards: out };
  },

  async cardDirect(ctx, user, params) {
    const ids = idList(params, "card_id", { required: true })!;
    const cards = ids.length ? await (await cardsQuery(ctx, user, new Map([["card_id", ids]]))).execute() : [];
    if (cards.length !== ids.length) throw new ApiError("NOT_FOUND", "some card_id is not among your cards");
    const devices = await visibleDevices(ctx, user);
    // Each of the user's devices rotates through its chosen cards only (none chosen: all).
    for (const d of devices) {
      const chosen = cards.filter((c) => c.device_id === d.id && c.place).map((c) => c.place!);
      ctx.scheduler.rotateOnly(d.key ?? "", ids.length === 0 || chosen.length === 0 ? null : chosen);
    }
    return { cards: cards.map((c) => ({ card_id: c.id, place: c.place, rotation: true })) };
  },

  async deviceEdit(ctx, user, params) {
    const id = integer(params, "device_id", { required: true })!;
    const title = text(params, "title", { required: true, max: 200 })!;
    const device = (await visibleDevices(ctx, user)).find((d) => d.id === id);
    if (!device) throw new ApiError("NOT_FOUND", "no such device among yours");
    await ctx.db.updateTable("devices").set({ config: sql`config || ${JSON.stringify({ title })}::jsonb` as never }).where("id", "=", id).execute();
    return { device: { device_id: id, device_title: title } };
  },

  async operatorEdit(ctx, user, params) {
    if (!user.admin) throw new ApiError("FORBIDDEN", "operators are shared: only the admin user edits them");
    const name = text(params, "name", { required: true, max: 100 })!;
    const codes: { balance_ussd?: string | null; number_ussd?: string | null } = {};
    for (const field of ["balance_ussd", "number_ussd"] as const) {
      if (!params.has(field)) continue;
      const code = text(params, field, { max: 40 }) ?? null;
      if (code !== null && !/^[0-9*#]{2,40}$/.test(code)) bad(field, "must be a USSD code (digits, * and #)");
      codes[field] = code;
    }
    const row = await ctx.db
      .insertInto("operators")
      .values({ name, ...codes })
      .onConflict((oc) => oc.column("name").doUpdateSet(codes.balance_ussd === undefined && codes.number_ussd === undefined ? { name } : codes))
      .returningAll()
      .executeTakeFirstOrThrow();
    return { operator: { operator_id: row.id, name: row.name, balance_ussd: row.balance_ussd, number_ussd: row.number_ussd } };
  },

  async telegramSend(ctx, user, params) {
    const msg = text(params, "msg", { required: true, max: 4096 })!;
    const s = await notifySettings(ctx.db, user.id);
    if (!s.telegram.token || !s.telegram.chatId) bad("msg", "no Telegram bot yet: settingsSet telegram_token and telegram_chat_id first");
    const base = (ctx.telegramApi ?? "https://api.telegram.org").replace(/\/$/, "");
    let answer: { ok?: boolean; description?: string } = {};
    try {
      const res = await fetch(`${base}/bot${s.telegram.token}/sendMessage`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ chat_id: s.telegram.chatId, text: msg }),
        signal: AbortSignal.timeout(10_000),
      });
      answer = (await res.json().catch(() => ({}))) as typeof answer;
      if (!res.ok || !answer.ok) throw new ApiError("TELEGRAM_ERROR", `Telegram refused the message: ${answer.description ?? `HTTP ${res.status}`}`);
    } catch (error) {
      if (error instanceof ApiError) throw error;
      throw new ApiError("TELEGRAM_ERROR", `Telegram could not be reached: ${(error as Error).message}`);
    }
    return { sent: true };
  },

  async operatorList(ctx, user, params) {
    const cards = await (await cardsQuery(ctx, user, params)).execute();
    const names = [...new Set(cards.map((c) => c.operator).filter((o): o is string => o !== null))].sort();
    const known = await ctx.db.selectFrom("operators").selectAll().execute();
    return {
      operators: names.map((name) => {
        const op = known.find((k) => k.name.toLowerCase() === name.toLowerCase());
        return { operator_id: op?.id ?? null, name, cards: cards.filter((c) => c.operator === name).length, balance_ussd: op?.balance_ussd ?? null, number_ussd: op?.number_ussd ?? null };
      }),
    };
  },

  async smsSend(ctx, user, params) {
    const card = await oneCard(ctx, user, params);
    const addressee = text(params, "addressee", { required: true, max: 32 })!;
    if (!/^\+?\d{3,20}$/.test(addressee.replace(/\s/g, ""))) bad("addressee", "must be a phone number");
    const msg = text(params, "msg", { required: true, max: 1530 })!;
    const report = params.get("report") === "1" || params.get("report") === true;
    const id = await run(enqueueSms(ctx.db, { iccid: card.iccid, to: addressee.replace(/\s/g, ""), text: msg, statusReport: report }));
    return { sms_id: id };
  },

  async smsList(ctx, user, params) {
    const unread = params.get("new") === "1" || params.get("new") === 1;
    const rows = await listOn(ctx, user, params, (iccids, p, from, to) => {
      let q = ctx.db.selectFrom("sms_in").select(["id", "iccid", "sender", "text", "parts", "missing", "sent_at", "received_at", "read_at"]).where("iccid", "in", iccids);
      if (from) q = q.where("received_at", ">=", from);
      if (to) q = q.where("received_at", "<", to);
      if (unread) q = q.where("read_at", "is", null);
      // Forward paging by id; otherwise newest first, along the (card, time) index.
      if (p.afterId !== undefined) return q.where("id", ">", p.afterId).orderBy("id", "asc").limit(p.limit).offset(p.offset).execute();
      return q.orderBy("received_at", "desc").orderBy("id", "desc").limit(p.limit).offset(p.offset).execute();
    });
    const ids = rows.filter((r) => !r.row.read_at).map((r) => r.row.id);
    if (params.get("mark_read") === "1" && ids.length) await ctx.db.updateTable("sms_in").set({ read_at: new Date() }).where("id", "in", ids).execute();
    return {
      sms: rows.map(({ row, card }) => ({
        sms_id: row.id,
        card_id: card.id,
        device_id: card.device_id,
        number: card.number,
        sender: row.sender,
        msg: row.text,
        parts: row.parts,
        missing: row.missing,
        time: unix(row.received_at),
        sent: unix(row.sent_at),
        new: row.read_at === null,
      })),
    };
  },

  smsDelete: (ctx, user, params) => deleteOn(ctx, user, params, "sms_in", "sms_id"),

  async smsOutgoingList(ctx, user, params) {
    const rows = await listOn(ctx, user, params, (iccids, p, from, to) => {
      const q = windowed(ctx.db.selectFrom("sms_out").selectAll().where("iccid", "in", iccids), "created_at", p, from, to);
      return q.execute().then((rows) => rows.map((r) => ({ ...r, iccid: r.iccid ?? "" })));
    });
    return {
      sms: rows.map(({ row, card }) => ({
        sms_id: row.id,
        card_id: card.id,
        device_id: card.device_id,
        number: card.number,
        addressee: row.addressee,
        msg: row.text,
        state: row.state,
        status: row.outcome,
        error: row.error,
        modem_error: row.modem_error,
        time: unix(row.created_at),
      })),
    };
  },

  smsOutgoingDelete: (ctx, user, params) => deleteOn(ctx, user, params, "sms_out", "sms_id"),

  async ussdSend(ctx, user, params) {
    const card = await oneCard(ctx, user, params);
    const code = text(params, "code", { required: true, max: 160 })!;
    if (!/^[0-9*#+]{1,160}$/.test(code)) bad("code", "must be a USSD code or a session answer (digits, *, #, +)");
    return { ussd_id: await run(enqueueCardWork(ctx.db, { kind: "ussd", iccid: card.iccid, code })) };
  },

  async ussdList(ctx, user, params) {
    const rows = await listOn(ctx, user, params, (iccids, p, from, to) => {
      return windowed(ctx.db.selectFrom("ussd").selectAll().where("iccid", "in", iccids), "created_at", p, from, to).execute();
    });
    return { ussd: rows.map(({ row, card }) => ({ ussd_id: row.id, card_id: card.id, code: row.request, msg: row.reply, status: row.status, state: row.state, time: unix(row.created_at) })) };
  },

  ussdDelete: (ctx, user, params) => deleteOn(ctx, user, params, "ussd", "ussd_id"),

  async atSend(ctx, user, params) {
    const card = await oneCard(ctx, user, params);
    const command = text(params, "command", { required: true, max: 500 })!;
    if (!/^AT/i.test(command) || /[\r\n\x1a\x1b]/.test(command)) bad("command", "must be one AT command line (AT..., no line breaks)");
    return { at_id: await run(enqueueCardWork(ctx.db, { kind: "at", iccid: card.iccid, command })) };
  },

  async atList(ctx, user, params) {
    const rows = await listOn(ctx, user, params, (iccids, p, from, to) => {
      const q = windowed(ctx.db.selectFrom("at_log").select(["id", "iccid", "command", "response", "state", "created_at", "answered_at"]).where("iccid", "in", iccids), "created_at", p, from, to);
      return q.execute().then((rows) => rows.map((r) => ({ ...r, iccid: r.iccid ?? "" })));
    });
    return { at: rows.map(({ row, card }) => ({ at_id: row.id, card_id: card.id, command: row.command, response: row.response, state: row.state, time: unix(row.created_at) })) };
  },

  async callBegin(ctx, user, params) {
    const card = await oneCard(ctx, user, new Map([["card_id", params.get("card_id")]]));
    const number = text(params, "number", { required: true, max: 32 })!.replace(/\s/g, "");
    if (!/^\+?\d{3,20}$/.test(number)) bad("number", "must be a phone number");
    const job = await run(enqueueCardWork(ctx.db, { kind: "dial", iccid: card.iccid, number }));
    return { job_id: job };
  },

  async callAnswer(ctx, user, params) {
    const card = await oneCard(ctx, user, params);
    return onModem(ctx, card.iccid, (actor) => actor.answer);
  },

  async callEnd(ctx, user, params) {
    const card = await oneCard(ctx, user, params);
    return onModem(ctx, card.iccid, (actor) => actor.hangup);
  },

  callList: (ctx, user, params) => callList(ctx, user, params, "incoming"),
  callOutgoingList: (ctx, user, params) => callList(ctx, user, params, "outgoing"),
  callDelete: (ctx, user, params) => deleteOn(ctx, user, params, "calls", "call_id", "incoming"),
  callOutgoingDelete: (ctx, user, params) => deleteOn(ctx, user, params, "calls", "call_id", "outgoing"),

  async settingsGet(ctx, user) {
    return { settings: shown(await notifySettings(ctx.db, user.id)) };
  },

  async settingsSet(ctx, user, params) {
    const current = await notifySettings(ctx.db, user.id);
    const url = params.has("url") ? (text(params, "url", { max: 2000 }) ?? null) : current.url;
    if (url !== null && !/^https?:\/\/[^\s]+$/i.test(url)) bad("url", "must be an http:// or https:// URL");
    const format = params.has("format") ? text(params, "format", { max: 10 }) : current.format;
    if (format !== "form" && format !== "json") bad("format", 'must be "form" or "json"');
    const events = { ...current.events };
    for (const name of EVENT_TYPES) {
      if (!params.has(name)) continue;
      const raw = params.get(name);
      const v = typeof raw === "string" || typeof raw === "number" || typeof raw === "boolean" ? String(raw) : "";
      if (v !== "0" && v !== "1" && v !== "true" && v !== "false") bad(name, "must be 1 or 0");
      events[name] = v === "1" || v === "true";
    }
    const telegram = { ...current.telegram };
    if (params.has("telegram_token")) {
      const token = text(params, "telegram_token", { max: 100 }) ?? null;
      if (token !== null && !/^\d+:[\w-]{20,}$/.test(token)) bad("telegram_token", "must be a bot token (123456:ABC...)");
      telegram.token = token;
    }
    if (params.has("telegram_chat_id")) {
      const chat = text(params, "telegram_chat_id", { max: 40 }) ?? null;
      if (chat !== null && !/^-?\d{1,20}$|^@\w{4,}$/.test(chat)) bad("telegram_chat_id", "must be a chat id or @channel");
      telegram.chatId = chat;
    }
    const value = { url, format: format as "form" | "json", events, telegram };
    await ctx.db
      .insertInto("settings")
      .values({ key: `notify:${user.id}`, value: JSON.stringify(value) })
      .onConflict((oc) => oc.column("key").doUpdateSet({ value: JSON.stringify(value) }))
      .execute();
    return { settings: shown(await notifySettings(ctx.db, user.id)) };
  },
};

/** Settings as the API shows them: the bot token masked. */
const shown = (s: NotifySettings) => ({ ...s, telegram: { chatId: s.telegram.chatId, token: s.telegram.token ? `${s.telegram.token.slice(0, 4)}...` : null } });

/** The card is on a modem another host drives: the request is that host's to serve (src/hosts/forward.ts). */
export class OnAnotherHost extends Error {
  constructor(readonly host: DrivingHost) {
    super(`the card is on a modem of host ${host.id}`);
  }
}

const onModem = async (ctx: SimFolderContext, iccid: string, act: (actor: ModemActor) => Effect.Effect<unknown, { message: string }>) => {
  const holder = await run(holderOf(ctx.registry, iccid));
  if (Option.isNone(holder)) {
    const elsewhere = ctx.host ? await drivingHostOf(ctx.db, iccid, ctx.host, ctx.hostTtlMs ?? DEFAULT_HOST_TTL_MS) : null;
    if (elsewhere) throw new OnAnotherHost(elsewhere);
    throw new ApiError("CARD_NOT_ACTIVE", "the card is in no working modem now (cardSelect brings it online)");
  }
  const outcome = await run(Effect.either(act(holder.value.actor)));
  if (outcome._tag === "Left") {
    // AT errors carry their words in message; a CallError ("no call is ringing") only in reason.
    const error = outcome.left as { message: string; reason?: unknown };
    throw new ApiError("MODEM_ERROR", error.message || (typeof error.reason === "string" && error.reason) || "the modem refused the command");
  }
  return { done: true };
};

const callList = async (ctx: SimFolderContext, user: User, params: Params, direction: "incoming" | "outgoing") => {
  const rows = await listOn(ctx, user, params, (iccids, p, from, to) => {
    return windowed(ctx.db.selectFrom("calls").selectAll().where("iccid", "in", iccids).where("direction", "=", direction), "started_at", p, from, to).execute();
  });
  return {
    calls: rows.map(({ row, card }) => ({
      call_id: row.id,
      card_id: card.id,
      number: card.number,
      [direction]: row.number,
      state: row.state,
      time: unix(row.started_at),
      answered: unix(row.answered_at),
      ended: unix(row.ended_at),
      end_reason: row.end_reason,
    })),
  };
};
