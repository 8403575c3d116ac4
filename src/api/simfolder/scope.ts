/**
 * What a user may see: their devices (all of them for the admin user), the cards on those,
 * and the records of those cards. Every method reaches devices, cards and records through
 * these, so no method shows or changes another user's.
 */
import { deleteRecords } from "../../messages/records";
import { scopedCards } from "../../cards/inventory";
import type { SimFolderContext, User } from "./context";
import { ApiError, badParam } from "./errors";
import { Schema } from "effect";
import { pageOf, RequiredIdList, type CardFilter, type Page, type Window } from "./params";

export const visibleDevices = async (ctx: SimFolderContext, user: User) => {
  let q = ctx.db.selectFrom("devices").select(["id", "key", "title", "model", "channels", "config"]).orderBy("id");
  if (!user.admin) q = q.where("owner", "=", user.name);
  return q.execute();
};

/** The devices this host drives, by key. */
export const localDevices = (ctx: SimFolderContext) => ctx.registry.devices.map((d) => d.config.id);

/** The user's cards, optionally narrowed by device_id / card_id / number / operator (the inventory's own narrowing). */
export const cardsQuery = async (ctx: SimFolderContext, user: User, filter: CardFilter) => {
  const devices = (await visibleDevices(ctx, user)).map((d) => d.id);
  const deviceIds = filter.device_id ? [...filter.device_id] : undefined;
  const cardIds = filter.card_id ? [...filter.card_id] : undefined;
  const number = filter.number?.replace(/[^\d]/g, "");
  const operator = filter.operator ?? undefined;
  return scopedCards(ctx.db, { devices }, { ...(deviceIds ? { deviceIds } : {}), ...(cardIds ? { cardIds } : {}), ...(number ? { number } : {}), ...(operator ? { operator } : {}) });
};

export type CardRow = Awaited<ReturnType<Awaited<ReturnType<typeof cardsQuery>>["execute"]>>[number];

/** The one card a method acts on: card_id, or the SIM's own number (its Schema requires one: `namesOneCard`). */
export const oneCard = async (ctx: SimFolderContext, user: User, filter: CardFilter): Promise<CardRow> => {
  const rows = await (await cardsQuery(ctx, user, filter)).limit(2).execute();
  if (rows.length === 0) throw new ApiError("NOT_FOUND", "no such card among yours");
  if (rows.length > 1) throw badParam("card_id", "names more than one card");
  return rows[0]!;
};

/** A list of one kind of record on the user's cards, filtered and paged. */
export const listOn = async <T extends { id: number; iccid: string }>(
  ctx: SimFolderContext,
  user: User,
  params: CardFilter & Window,
  load: (iccids: string[], p: Page, from: Date | null, to: Date | null) => Promise<T[]>,
) => {
  const cards = await (await cardsQuery(ctx, user, params)).execute();
  const byIccid = new Map(cards.map((c) => [c.iccid, c]));
  const rows = cards.length ? await load([...byIccid.keys()], pageOf(params), params.from ?? null, params.to ?? null) : [];
  return rows.map((r) => ({ row: r, card: byIccid.get(r.iccid)! }));
};

/**
 * The five deletes. An id list that names nothing (`[]` in JSON) is BAD_PARAM, like an
 * empty or missing value in a form or query, which cannot tell an empty list from a
 * forgotten one: the three transports answer alike, and a client whose list came out empty
 * by mistake hears so instead of a `deleted: 0` that looks like "those were not yours".
 */
export const deleteOn = async (ctx: SimFolderContext, user: User, ids: readonly number[], table: "sms_in" | "sms_out" | "ussd" | "calls", direction?: string) => {
  const cards = await (await cardsQuery(ctx, user, {})).execute();
  return { deleted: await deleteRecords(ctx.db, table, [...ids], { iccids: cards.map((c) => c.iccid), ...(direction ? { direction } : {}) }) };
};

/** The ids a delete names (the record's id column is a bigint); a list of none is refused, as said above. */
export const DeleteIds = RequiredIdList(Number.MAX_SAFE_INTEGER).pipe(Schema.filter((ids) => (ids.length === 0 ? "lists no ids" : undefined)));
