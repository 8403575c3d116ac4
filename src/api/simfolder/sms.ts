/**
 * The SMS methods: smsSend (a durable job), smsList and smsDelete on the received,
 * smsOutgoingList and smsOutgoingDelete on the sent.
 */
import { enqueueSms } from "../../jobs/sms-sender";
import { run, type Method } from "./context";
import { bad, text, unix, windowed } from "./params";
import { deleteOn, listOn, oneCard } from "./scope";

export const smsSend: Method = async (ctx, user, params) => {
  const card = await oneCard(ctx, user, params);
  const addressee = text(params, "addressee", { required: true, max: 32 })!;
  if (!/^\+?\d{3,20}$/.test(addressee.replace(/\s/g, ""))) bad("addressee", "must be a phone number");
  const msg = text(params, "msg", { required: true, max: 1530 })!;
  const report = params.get("report") === "1" || params.get("report") === true;
  const id = await run(enqueueSms(ctx.db, { iccid: card.iccid, to: addressee.replace(/\s/g, ""), text: msg, statusReport: report }));
  return { sms_id: id };
};

export const smsList: Method = async (ctx, user, params) => {
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
};

export const smsDelete: Method = (ctx, user, params) => deleteOn(ctx, user, params, "sms_in", "sms_id");

export const smsOutgoingList: Method = async (ctx, user, params) => {
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
};

export const smsOutgoingDelete: Method = (ctx, user, params) => deleteOn(ctx, user, params, "sms_out", "sms_id");
