/**
 * The SMS methods: smsSend (a durable job), smsList and smsDelete on the received,
 * smsOutgoingList and smsOutgoingDelete on the sent.
 */
import { Schema } from "effect";
import { enqueueSms } from "../../jobs/sms-sender";
import { method, run } from "./context";
import { CARD_FILTER, ONE_CARD, Flag, namesOneCard, optional, PhoneNumber, required, RequiredText, unix, windowed, WINDOW } from "./params";
import { DeleteIds, deleteOn, listOn, oneCard } from "./scope";

const SmsSendParams = namesOneCard(
  Schema.Struct({
    ...ONE_CARD,
    addressee: required(PhoneNumber, "recipient number"),
    msg: required(RequiredText(1530), "text, up to 1530 characters"),
    report: optional(Flag("1", true), "1: ask for a delivery report"),
  }),
);

export const smsSend = method(SmsSendParams, async (ctx, user, params) => {
  const card = await oneCard(ctx, user, params);
  const id = await run(ctx, enqueueSms(ctx.db, { iccid: card.iccid, to: params.addressee, text: params.msg, statusReport: params.report ?? false }));
  return { sms_id: id };
});

const SmsListParams = Schema.Struct({
  ...CARD_FILTER,
  ...WINDOW,
  new: optional(Flag("1", 1), "1: unread only"),
  mark_read: optional(Flag("1"), "1: mark what is returned as read"),
});

export const smsList = method(SmsListParams, async (ctx, user, params) => {
  const unread = params.new ?? false;
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
  if (params.mark_read && ids.length) await ctx.db.updateTable("sms_in").set({ read_at: new Date() }).where("id", "in", ids).execute();
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
});

export const smsDelete = method(Schema.Struct({ sms_id: required(DeleteIds, "ids") }), (ctx, user, params) => deleteOn(ctx, user, params.sms_id, "sms_in"));

export const smsOutgoingList = method(Schema.Struct({ ...CARD_FILTER, ...WINDOW }), async (ctx, user, params) => {
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
});

export const smsOutgoingDelete = method(Schema.Struct({ sms_id: required(DeleteIds, "ids") }), (ctx, user, params) => deleteOn(ctx, user, params.sms_id, "sms_out"));
