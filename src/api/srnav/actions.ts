/**
 * The seventeen actions of /api/handler.php (../shared/specs/sr-navigator-api.txt), with the
 * shapes and words decided in ../shared/specs/sr-navigator-notes.md. Each takes the checked
 * pool and the request's parameters and returns the exact body: a word, or JSON.
 */
import { Cause, Effect, Exit, Runtime } from "effect";
import { sql, type Kysely, type SelectQueryBuilder } from "kysely";
import type { Directory } from "../../cards/card-directory";
import type { Registry } from "../../devices/registry";
import { enqueueSms } from "../../jobs/sms-sender";
import { unstorable } from "../../store/storable-text";
import type { ServiceScheduler } from "../../scheduler/farm-scheduler";
import type { Database } from "../../store/schema";
import { extractCode, isDigits, panelTime, unixSeconds } from "./format";
import { decodeAction, type ActionName, type Params, type ParamsOf, type SmsNarrowing } from "./params";
import { apiNumber, holderOfPool, liveStatus, poolCards, type PoolCard } from "./pool-cards";

export interface SrNavContext {
  readonly db: Kysely<Database>;
  readonly registry: Registry;
  readonly scheduler: ServiceScheduler;
  /** How long sendSms waits for the modem to take the message (default 60 s). */
  readonly sendWaitMs?: number;
  /** The service's runtime (its logger and log level); Effect's default when not given (tests). */
  readonly runtime?: Runtime.Runtime<never>;
  /** Where the pool's cards are and how they are (the service's CardDirectory). */
  readonly directory: Directory;
}

export type { Params } from "./params";
export type Reply = { readonly kind: "word"; readonly body: string } | { readonly kind: "json"; readonly body: string };

const word = (body: string): Reply => ({ kind: "word", body });
const json = (value: unknown): Reply => ({ kind: "json", body: JSON.stringify(value) });
const DONE = word("DONE");

/**
 * Runs an effect and throws its own defect (a StoreError from enqueueSms, say), not the
 * FiberFailure that Effect.runPromise wraps it in: the handler tells an unreachable database by the error.
 */
const run = async <A, E>(ctx: SrNavContext, effect: Effect.Effect<A, E>): Promise<A> => {
  const exit = await Runtime.runPromiseExit(ctx.runtime ?? Runtime.defaultRuntime)(effect);
  if (Exit.isSuccess(exit)) return exit.value;
  throw Cause.squash(exit.cause);
};

interface Filters {
  readonly devices: string[] | null;
  readonly operators: string[] | null;
  readonly exceptions: string[] | null;
}

/** device_id (or deviceId), operator and phone_exception (or phoneException), as decoded (params.ts). */
const filtersOf = (p: ParamsOf<"getPoolStatus">): Filters => ({
  devices: p.device_id ? [...p.device_id] : null,
  operators: p.operator ? [...p.operator] : null,
  exceptions: p.phone_exception ? [...p.phone_exception] : null,
});

const matches = (f: Filters, card: PoolCard): boolean =>
  (f.devices === null || f.devices.includes(String(card.deviceId))) &&
  (f.operators === null || (card.operator !== null && f.operators.includes(card.operator.toLowerCase()))) &&
  (f.exceptions === null || !f.exceptions.some((prefix) => card.number.startsWith(prefix)));

const operatorName = (card: PoolCard) => card.operator ?? "UNKNOWN";

/** Modems of these devices, this host's and others' (as their hosts recorded them). */
const channelsOf = async (ctx: Pick<SrNavContext, "db">, deviceKeys: Iterable<string>) => {
  const keys = [...new Set(deviceKeys)];
  if (keys.length === 0) return 0;
  const rows = await ctx.db.selectFrom("devices").select(["key", "channels"]).where("key", "in", keys).execute();
  return rows.reduce((total, r) => total + Number(r.channels), 0);
};

const byNumber = (cards: readonly PoolCard[]) => new Map(cards.map((c) => [c.number, c]));

const setUsed = (ctx: SrNavContext, poolId: number, iccids: readonly string[], values: { used: boolean; processed?: boolean; calls?: boolean }) =>
  iccids.length === 0
    ? Promise.resolve()
    : ctx.db
        .updateTable("pool_cards")
        .set({ ...values, ...(values.used ? { opened_at: new Date() } : {}) })
        .where("pool_id", "=", poolId)
        .where("iccid", "in", iccids)
        .execute()
        .then(() => undefined);

/** The card's word, with a ringing call as RING_<number>. */
const statusWord = async (ctx: SrNavContext, poolId: number, card: PoolCard): Promise<string> => {
  const live = await run(ctx, liveStatus(ctx.directory, poolId, card));
  if (live.word === "WAIT_SMS" || live.word === "WAIT_SMS_CALL") {
    const ringing = await ctx.db
      .selectFrom("calls")
      .select("number")
      .where("iccid", "=", card.iccid)
      .where("direction", "=", "incoming")
      .where("state", "=", "ringing")
      .where("ended_at", "is", null)
      .orderBy("id", "desc")
      .executeTakeFirst();
    if (ringing) return `RING_${apiNumber(ringing.number ?? "") || "UNKNOWN"}`;
  }
  return live.word;
};

interface SmsRow {
  id: number;
  iccid: string;
  sender: string;
  text: string;
  sent_at: Date | null;
  received_at: Date;
  read_at: Date | null;
}

/** sender (part of it, any case), period (seconds back) and new=1 (unread only). */
const narrowSms = <Q extends SelectQueryBuilder<Database, "sms_in", any>>(query: Q, params: SmsNarrowing, defaultPeriod: number | null): Q => {
  const sender = params.sender;
  // No stored sender holds a NUL (the store cannot), so such a filter matches nothing; sent
  // to PostgreSQL it would fail the whole query.
  if (sender && unstorable(sender)) query = query.where(sql<boolean>`false`) as Q;
  else if (sender) query = query.where(sql<boolean>`position(lower(${sender}) in lower(sender)) > 0`) as Q;
  const period = params.period ?? defaultPeriod;
  if (period !== null) query = query.where("received_at", ">=", new Date(Date.now() - period * 1000)) as Q;
  if (params.new) query = query.where("read_at", "is", null) as Q;
  return query;
};

const smsQuery = (ctx: SrNavContext, iccids: readonly string[], params: SmsNarrowing, defaultPeriod: number | null) =>
  narrowSms(ctx.db.selectFrom("sms_in").select(["id", "iccid", "sender", "text", "sent_at", "received_at", "read_at"]).where("iccid", "in", iccids), params, defaultPeriod);

const markRead = (ctx: SrNavContext, ids: readonly number[]) =>
  ids.length ? ctx.db.updateTable("sms_in").set({ read_at: new Date() }).where("id", "in", ids).where("read_at", "is", null).execute() : Promise.resolve();

/** Picks cards to open: those on a modem and unheld first, then the rest in pool order. */
const candidates = async (ctx: SrNavContext, poolId: number, cards: readonly PoolCard[]) => {
  const online = await Promise.all(cards.map((c) => run(ctx, liveStatus(ctx.directory, poolId, c)).then((s) => s.online)));
  return cards.map((c, i) => ({ card: c, online: online[i]! })).sort((a, b) => Number(b.online) - Number(a.online));
};

const tryOpen = (ctx: SrNavContext, poolId: number, card: PoolCard): Promise<"opened" | "busy"> =>
  run(
    ctx,
    ctx.scheduler.claim(card.deviceKey, card.place ?? "", holderOfPool(poolId)).pipe(
      Effect.as("opened" as const),
      Effect.catchAll(() => Effect.succeed("busy" as const)),
    ),
  );

/**
 * poolRestart: every open number closed (its hold let go) and every card FREE again; with
 * `keep`, open numbers stay open and only the cards closed since are offered again.
 */
export const restartPool = async (ctx: SrNavContext, poolId: number, keep: boolean): Promise<void> => {
  if (!keep) {
    const open = (await poolCards(ctx.db, poolId)).filter((c) => c.used);
    for (const c of open) if (c.place) await run(ctx, ctx.scheduler.release(c.deviceKey, c.place, holderOfPool(poolId)));
    await ctx.db.updateTable("pool_cards").set({ used: false, processed: false, calls: false, opened_at: null }).where("pool_id", "=", poolId).execute();
  } else await ctx.db.updateTable("pool_cards").set({ processed: false }).where("pool_id", "=", poolId).where("used", "=", false).execute();
};

/** getPoolStatus's counts over these cards: USED (open), FREE (neither open nor processed), the channels of their devices. */
export const poolStatusOf = async (ctx: Pick<SrNavContext, "db">, cards: readonly PoolCard[]) => ({
  total: cards.length,
  used: cards.filter((c) => c.used).length,
  free: cards.filter((c) => !c.used && !c.processed).length,
  channels: await channelsOf(ctx, cards.map((c) => c.deviceKey)),
});

/**
 * One action: its parameters are decoded first (params.ts), and a refusal ends it with its
 * word before anything is read or written.
 */
export type Action = (ctx: SrNavContext, poolId: number, params: Params) => Promise<Reply>;

export const ACTIONS: Record<ActionName, Action> = {
  async poolRestart(ctx, poolId, params) {
    const p = decodeAction("poolRestart", params);
    await restartPool(ctx, poolId, p.keep !== undefined);
    return DONE;
  },

  async getAgregators(ctx, poolId, params) {
    const f = { ...filtersOf(decodeAction("getAgregators", params)), devices: null };
    const cards = (await poolCards(ctx.db, poolId)).filter((c) => matches(f, c));
    const devices = new Map<number, { key: string; model: string; numbers: number }>();
    for (const c of cards) {
      const d = devices.get(c.deviceId) ?? { key: c.deviceKey, model: c.model, numbers: 0 };
      if (!c.used) d.numbers++;
      devices.set(c.deviceId, d);
    }
    const rows = [];
    for (const [id, d] of devices) rows.push({ id: String(id), model: d.model, numbers: d.numbers, channels: await channelsOf(ctx, [d.key]) });
    return json(rows);
  },

  async getOperators(ctx, poolId, params) {
    const f = { ...filtersOf(decodeAction("getOperators", params)), operators: null };
    const counts = new Map<string, number>();
    for (const c of (await poolCards(ctx.db, poolId)).filter((c) => matches(f, c))) counts.set(operatorName(c), (counts.get(operatorName(c)) ?? 0) + (c.used ? 0 : 1));
    return json([...counts].map(([name, numbers]) => ({ name, numbers })));
  },

  async getPoolStatus(ctx, poolId, params) {
    const f = filtersOf(decodeAction("getPoolStatus", params));
    return json([await poolStatusOf(ctx, (await poolCards(ctx.db, poolId)).filter((c) => matches(f, c)))]);
  },

  async getNumbers(ctx, poolId, params) {
    const p = decodeAction("getNumbers", params);
    const f = filtersOf(p);
    const onlyOnline = p.position ?? false;
    const rows = [];
    for (const c of (await poolCards(ctx.db, poolId)).filter((c) => matches(f, c))) {
      const { online } = await run(ctx, liveStatus(ctx.directory, poolId, c));
      if (onlyOnline && !online) continue;
      rows.push({ number: c.number, place: c.place ?? "", device_id: String(c.deviceId), model: c.model, operator: operatorName(c), status: c.used ? "USED" : "FREE", position: online ? "ONLINE" : "HOLD" });
    }
    return rows.length ? json(rows) : word("NO_NUMBERS");
  },

  async openNumber(ctx, poolId, params) {
    const p = decodeAction("openNumber", params);
    const f = filtersOf(p);
    const repeat = p.mode ?? false;
    const wanted = p.number ?? null;
    const cards = (await poolCards(ctx.db, poolId)).filter((c) => matches(f, c) && (wanted === null || c.number === wanted));
    // Asking again for a number this pool already holds open gives it again.
    const already = wanted !== null ? cards.find((c) => c.used) : undefined;
    if (already) return word(already.number);
    const open = cards.filter((c) => !c.used && (repeat || !c.processed) && c.place);
    if (open.length === 0) return word("NO_NUMBERS");
    for (const { card } of await candidates(ctx, poolId, open)) {
      if ((await tryOpen(ctx, poolId, card)) === "busy") continue;
      await setUsed(ctx, poolId, [card.iccid], { used: true, processed: true });
      return word(card.number);
    }
    return word("BUSY");
  },

  async openNumbers(ctx, poolId, params) {
    const p = decodeAction("openNumbers", params);
    const f = filtersOf(p);
    const repeat = p.mode ?? false;
    const minimum = p.channels ?? 1;
    const wanted = p.number ?? null;
    const cards = (await poolCards(ctx.db, poolId)).filter((c) => matches(f, c) && (wanted === null || wanted.includes(c.number)));
    const open = cards.filter((c) => !c.used && (repeat || !c.processed) && c.place);
    if (open.length === 0) return word("NO_NUMBERS");
    const opened: PoolCard[] = [];
    for (const { card } of await candidates(ctx, poolId, open)) if ((await tryOpen(ctx, poolId, card)) === "opened") opened.push(card);
    if (opened.length < minimum) {
      for (const c of opened) await run(ctx, ctx.scheduler.release(c.deviceKey, c.place!, holderOfPool(poolId)));
      return word(opened.length === 0 ? "BUSY" : "NO_CHANNELS");
    }
    await setUsed(ctx, poolId, opened.map((c) => c.iccid), { used: true, processed: true });
    return json({ total: opened.length, numbers: opened.map((c) => c.number).join(",") });
  },

  async closeNumber(ctx, poolId, params) {
    const numbers = decodeAction("closeNumber", params).number;
    const cards = byNumber(await poolCards(ctx.db, poolId));
    const found = numbers.map((n) => cards.get(n));
    if (found.some((c) => !c)) return word("BAD_NUMBER");
    for (const c of found) if (c!.place) await run(ctx, ctx.scheduler.release(c!.deviceKey, c!.place, holderOfPool(poolId)));
    await setUsed(ctx, poolId, found.map((c) => c!.iccid), { used: false, calls: false });
    return DONE;
  },

  async getSimStatus(ctx, poolId, params) {
    const numbers = decodeAction("getSimStatus", params).number;
    const cards = byNumber(await poolCards(ctx.db, poolId));
    if (numbers.some((n) => !cards.has(n))) return word("NOT_FOUND");
    const out = [];
    for (const n of numbers) out.push({ number: n, status: await statusWord(ctx, poolId, cards.get(n)!) });
    return json(out);
  },

  async getLastSms(ctx, poolId, params) {
    const p = decodeAction("getLastSms", params);
    // The clients' polling path: the card and its messages in one indexed query.
    const number = p.number[0]!;
    if (!isDigits(number, 1, 20)) return word("NOT_FOUND");
    const code = p.code ?? null;
    const cardIccids = ctx.db
      .selectFrom("pool_cards")
      .innerJoin("sim_cards", "sim_cards.iccid", "pool_cards.iccid")
      .select("sim_cards.iccid")
      .where("pool_cards.pool_id", "=", poolId)
      .where("sim_cards.number", "in", [number, `+${number}`]);
    let query = ctx.db.selectFrom("sms_in").select(["id", "text", "read_at"]).where("iccid", "in", cardIccids);
    query = narrowSms(query, p, null);
    const rows = await query.orderBy("received_at", "desc").orderBy("id", "desc").limit(50).execute();
    for (const sms of rows) {
      const text = code === null ? sms.text : extractCode(sms.text, code);
      if (text === null) continue;
      if (!sms.read_at) await markRead(ctx, [sms.id]);
      return word(text);
    }
    return word("NOT_FOUND");
  },

  async getSms(ctx, poolId, params) {
    const p = decodeAction("getSms", params);
    const numbers = p.number;
    const cards = byNumber(await poolCards(ctx.db, poolId));
    const code = p.code ?? null;
    const out = [];
    for (const n of numbers) {
      const card = cards.get(n);
      if (!card) continue;
      const rows: SmsRow[] = await smsQuery(ctx, [card.iccid], p, 60).orderBy("received_at", "desc").orderBy("id", "desc").limit(500).execute();
      const sms = rows
        .map((r) => ({ row: r, text: code === null ? r.text : extractCode(r.text, code) }))
        .filter((s) => s.text !== null)
        .map(({ row, text }) => {
          const at = row.sent_at ?? row.received_at;
          return { id: String(row.id), sender: row.sender, text: text!, time: panelTime(at), timestamp: unixSeconds(at), status: row.read_at ? "READED" : "NEW" };
        });
      const base = await statusWord(ctx, poolId, card);
      const status = sms.some((s) => s.status === "NEW") && !base.startsWith("RING_") ? "NEW_SMS" : base;
      await markRead(ctx, sms.filter((s) => s.status === "NEW").map((s) => Number(s.id)));
      out.push({ number: n, status, sms_counter: sms.length, sms });
    }
    return json(out);
  },

  async deleteSms(ctx, poolId, params) {
    const id = decodeAction("deleteSms", params).sms_id;
    const cards = await poolCards(ctx.db, poolId);
    if (cards.length === 0) return word("BAD_ID");
    const deleted = await ctx.db.deleteFrom("sms_in").where("id", "=", id).where("iccid", "in", cards.map((c) => c.iccid)).executeTakeFirst();
    return Number(deleted.numDeletedRows) === 1 ? DONE : word("BAD_ID");
  },

  async clearSimStorage(ctx, poolId) {
    // Every message on the pool's connected cards is stored, then deleted from the SIM:
    // nothing is deleted that the database does not have.
    let failed = false;
    for (const card of await poolCards(ctx.db, poolId)) {
      const place = card.place ? ctx.scheduler.place(card.deviceKey, card.place) : null;
      const modem = place?.modem ? ctx.registry.devices.find((d) => d.config.id === card.deviceKey)?.modems[place.modem - 1] : undefined;
      if (!modem) continue;
      const outcome = await run(
        ctx,
        Effect.gen(function* () {
          const actor = yield* modem.supervised.actor.get;
          if (actor._tag === "None") return true;
          const state = yield* actor.value.state.get;
          if (state.sim?.iccid !== card.iccid) return true;
          return yield* actor.value.sweep.pipe(
            Effect.as(true),
            Effect.orElseSucceed(() => false),
          );
        }),
      );
      failed ||= !outcome;
    }
    return word(failed ? "ERROR" : "DONE");
  },

  async sendSms(ctx, poolId, params) {
    const { number: numbers, recipient, text } = decodeAction("sendSms", params);
    const card = byNumber(await poolCards(ctx.db, poolId)).get(numbers[0]!);
    if (!card) return word("NOT_FOUND");
    const live = await run(ctx, liveStatus(ctx.directory, poolId, card));
    if (live.word !== "WAIT_SMS" && live.word !== "WAIT_SMS_CALL") return json({ number: card.number, status: live.word === "OFFLINE" ? "ERROR" : live.word });
    const id = await run(ctx, enqueueSms(ctx.db, { iccid: card.iccid, to: `+${recipient}`, text }).pipe(Effect.orDie));
    const deadline = Date.now() + (ctx.sendWaitMs ?? 60_000);
    for (;;) {
      const row = await ctx.db.selectFrom("sms_out").select("state").where("id", "=", id).executeTakeFirstOrThrow();
      if (row.state === "sent" || row.state === "delivered") return json({ number: card.number, status: "SENT" });
      if (row.state === "failed" || row.state === "undelivered") return json({ number: card.number, status: "ERROR" });
      // Still with the modem: the job goes on and its outcome is stored; the client is told.
      if (Date.now() > deadline) return json({ number: card.number, status: "SENDING" });
      await new Promise((r) => setTimeout(r, 100));
    }
  },

  async getCall(ctx, poolId, params) {
    const p = decodeAction("getCall", params);
    const numbers = p.number;
    const cards = byNumber(await poolCards(ctx.db, poolId));
    const period = p.period ?? 60;
    const out = [];
    for (const n of numbers) {
      const card = cards.get(n);
      if (!card) continue;
      const rows = await ctx.db
        .selectFrom("calls")
        .select(["id", "number", "started_at", "read_at"])
        .where("iccid", "=", card.iccid)
        .where("direction", "=", "incoming")
        .where("started_at", ">=", new Date(Date.now() - period * 1000))
        .orderBy("started_at", "desc")
        .limit(500)
        .execute();
      const call = rows.map((r) => ({
        id: String(r.id),
        incoming_number: apiNumber(r.number ?? ""),
        time: panelTime(r.started_at),
        timestamp: unixSeconds(r.started_at),
        status: r.read_at ? "READED" : "NEW",
      }));
      const ids = rows.filter((r) => !r.read_at).map((r) => r.id);
      if (ids.length) await ctx.db.updateTable("calls").set({ read_at: new Date() }).where("id", "in", ids).execute();
      out.push({ number: n, status: await statusWord(ctx, poolId, card), call_counter: call.length, call });
    }
    return json(out);
  },

  async grabCall(ctx, poolId, params) {
    const numbers = decodeAction("grabCall", params).number;
    const cards = byNumber(await poolCards(ctx.db, poolId));
    const found = numbers.map((n) => cards.get(n));
    // The numbers must be open (openNumber/openNumbers) in this pool.
    if (found.some((c) => !c || !c.used)) return word("ERROR");
    await ctx.db.updateTable("pool_cards").set({ calls: true }).where("pool_id", "=", poolId).where("iccid", "in", found.map((c) => c!.iccid)).execute();
    return DONE;
  },

  async deleteCall(ctx, poolId, params) {
    const id = decodeAction("deleteCall", params).call_id;
    const cards = await poolCards(ctx.db, poolId);
    if (cards.length === 0) return word("BAD_ID");
    const deleted = await ctx.db.deleteFrom("calls").where("id", "=", id).where("iccid", "in", cards.map((c) => c.iccid)).executeTakeFirst();
    // "Done", as the API text writes it for this action alone.
    return Number(deleted.numDeletedRows) === 1 ? word("Done") : word("BAD_ID");
  },
};

export { ApiWord } from "./errors";
