/**
 * What a user may see: their devices (all of them for the admin user), the cards on those,
 * and the records of those cards. Every method reaches devices, cards and records through
 * these, so no method shows or changes another user's.
 */
import { deleteRecords } from "../../messages/records";
import { scopedCards } from "../../cards/inventory";
import type { SimFolderContext, User } from "./context";
import { ApiError, bad, idList, page, text, time, type Page, type Params } from "./params";

export const visibleDevices = async (ctx: SimFolderContext, user: User) => {
  let q = ctx.db.selectFrom("devices").select(["id", "key", "title", "model", "channels", "config"]).orderBy("id");
  if (!user.admin) q = q.where("owner", "=", user.name);
  return q.execute();
};

/** The devices this host drives, by key. */
export const localDevices = (ctx: SimFolderContext) => ctx.registry.devices.map((d) => d.config.id);

/** The user's cards, optionally narrowed by device_id / card_id / number / operator (the inventory's own narrowing). */
export const cardsQuery = async (ctx: SimFolderContext, user: User, params: Params) => {
  const devices = (await visibleDevices(ctx, user)).map((d) => d.id);
  const deviceIds = idList(params, "device_id");
  const cardIds = idList(params, "card_id");
  const number = text(params, "number", { max: 32 })?.replace(/[^\d]/g, "");
  const operator = text(params, "operator", { max: 100 });
  return scopedCards(ctx.db, { devices }, { ...(deviceIds ? { deviceIds } : {}), ...(cardIds ? { cardIds } : {}), ...(number ? { number } : {}), ...(operator ? { operator } : {}) });
};

export type CardRow = Awaited<ReturnType<Awaited<ReturnType<typeof cardsQuery>>["execute"]>>[number];

/** The one card a method acts on: card_id, or the SIM's own number. */
export const oneCard = async (ctx: SimFolderContext, user: User, params: Params): Promise<CardRow> => {
  if (params.get("card_id") === undefined && params.get("number") === undefined) bad("card_id", "is required (or the SIM's number)");
  const rows = await (await cardsQuery(ctx, user, params)).limit(2).execute();
  if (rows.length === 0) throw new ApiError("NOT_FOUND", "no such card among yours");
  if (rows.length > 1) bad("card_id", "names more than one card");
  return rows[0]!;
};

/** A list of one kind of record on the user's cards, filtered and paged. */
export const listOn = async <T extends { id: number; iccid: string }>(
  ctx: SimFolderContext,
  user: User,
  params: Params,
  load: (iccids: string[], p: Page, from?: Date, to?: Date) => Promise<T[]>,
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
export const deleteOn = async (ctx: SimFolderContext, user: User, params: Params, table: "sms_in" | "sms_out" | "ussd" | "calls", idName: string, direction?: string) => {
  const ids = idList(params, idName, { required: true, max: Number.MAX_SAFE_INTEGER })!;
  if (ids.length === 0) bad(idName, "lists no ids");
  const cards = await (await cardsQuery(ctx, user, new Map())).execute();
  return { deleted: await deleteRecords(ctx.db, table, ids, { iccids: cards.map((c) => c.iccid), ...(direction ? { direction } : {}) }) };
};
