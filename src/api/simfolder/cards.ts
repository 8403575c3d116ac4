/**
 * The card methods: cardList and cardEdit on the inventory, cardSelect and cardDirect
 * through the scheduler. A card is shown with its live state: the modem it is on, here or
 * on another host.
 */
import { Effect, Option, Schema, SubscriptionRef } from "effect";
import { simStatusOf } from "../../../drivers/modem/state";
import { remoteModems } from "../../devices/live-state";
import { DEFAULT_HOST_TTL_MS } from "../../hosts/host";
import { cardFieldProblem, FIELD_MAX, updateCard, type CardChanges } from "../../cards/inventory";
import { method, run, type SimFolderContext } from "./context";
import { ApiError, badParam } from "./errors";
import { CARD_FILTER, CARD_ID_ONLY, Checked, INT4_MAX, optional, pageOf, required, RequiredIdList, Text, WholeNumber, WINDOW } from "./params";
import { cardsQuery, localDevices, oneCard, visibleDevices, type CardRow } from "./scope";

/** Live state of a card: the modem it is on and its status code, when on one. */
const liveCard = async (ctx: SimFolderContext, iccid: string) => {
  const local = await run(
    ctx,
    Effect.gen(function* () {
      const holder = yield* ctx.directory.holderOf(iccid);
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

const CardListParams = Schema.Struct({ ...CARD_FILTER, state: optional(WholeNumber({ min: -3, max: 6 }), "simStatus code -3..6"), ...WINDOW });

export const cardList = method(CardListParams, async (ctx, user, params) => {
  const p = pageOf(params);
  const state = params.state ?? undefined;
  let q = await cardsQuery(ctx, user, params);
  // Past the integer ids of sim_cards nothing follows; the bound keeps the number within the column's type.
  if (p.afterId !== undefined) q = q.where("id", ">", Math.min(p.afterId, INT4_MAX));
  const rows = await q.orderBy("id").limit(p.limit).offset(p.offset).execute();
  const cards = await Promise.all(rows.map((c) => cardView(ctx, c)));
  return { cards: state === undefined ? cards : cards.filter((c) => c.state === state) };
});

/** A card field as the inventory keeps it; empty clears it. */
const CardField = (field: "name" | "comment" | "number", description: string) => optional(Checked(Text(FIELD_MAX[field]), (v) => cardFieldProblem(field, v)), description);

// `number` is the card's new number here, so the card is named by card_id alone.
const CardEditParams = Schema.Struct({
  card_id: CARD_ID_ONLY,
  name: CardField("name", "the card's name; empty clears it"),
  comment: CardField("comment", "a comment; empty clears it"),
  number: CardField("number", "the SIM's own number as the inventory keeps it; empty clears it"),
});

export const cardEdit = method(CardEditParams, async (ctx, user, params) => {
  const card = await oneCard(ctx, user, { card_id: params.card_id });
  const changes: CardChanges = {};
  for (const field of ["name", "comment", "number"] as const) if (params[field] !== undefined) changes[field] = params[field];
  if (Object.keys(changes).length === 0) throw badParam("name", "nothing to change (name, comment, number)");
  await updateCard(ctx.db, card.id, changes);
  const updated = (await (await cardsQuery(ctx, user, { card_id: [card.id] })).execute())[0]!;
  return { card: await cardView(ctx, updated) };
});

// Selecting nothing is a mistake as an empty delete is (deleteOn); cardDirect differs: its empty list means "all".
const CardSelectParams = Schema.Struct({ card_id: required(RequiredIdList().pipe(Schema.filter((ids) => (ids.length === 0 ? "lists no cards" : undefined))), "card ids") });

export const cardSelect = method(CardSelectParams, async (ctx, user, { card_id: ids }) => {
  const cards = await (await cardsQuery(ctx, user, { card_id: ids })).execute();
  if (cards.length !== ids.length) throw new ApiError("NOT_FOUND", "some card_id is not among your cards");
  const devices = await visibleDevices(ctx, user);
  const out = [];
  for (const c of cards) {
    const key = devices.find((d) => d.id === c.device_id)?.key;
    if (!key || !c.place) throw new ApiError("NOT_FOUND", `card ${c.id} has no known place`);
    const claimed = await run(ctx, ctx.scheduler.claim(key, c.place, `user:${user.id}`).pipe(Effect.either));
    if (claimed._tag === "Left")
      throw new ApiError("CHANNEL_LIMIT", `card ${c.id} cannot be online with the cards already selected: ${claimed.left.message}`, { card_id: c.id });
    out.push({ card_id: c.id, place: c.place, modem: ctx.scheduler.place(key, c.place)?.hold?.state === "online" ? ctx.scheduler.place(key, c.place)!.modem : null, state: ctx.scheduler.place(key, c.place)?.hold?.state ?? "connecting" });
  }
  return { cards: out };
});

const CardDirectParams = Schema.Struct({ card_id: required(RequiredIdList(), "card ids (empty: all again)") });

export const cardDirect = method(CardDirectParams, async (ctx, user, { card_id: ids }) => {
  const cards = ids.length ? await (await cardsQuery(ctx, user, { card_id: ids })).execute() : [];
  if (cards.length !== ids.length) throw new ApiError("NOT_FOUND", "some card_id is not among your cards");
  const devices = await visibleDevices(ctx, user);
  // Each of the user's devices rotates through its chosen cards only (none chosen: all).
  for (const d of devices) {
    const chosen = cards.filter((c) => c.device_id === d.id && c.place).map((c) => c.place!);
    ctx.scheduler.rotateOnly(d.key ?? "", ids.length === 0 || chosen.length === 0 ? null : chosen);
  }
  return { cards: cards.map((c) => ({ card_id: c.id, place: c.place, rotation: true })) };
});
