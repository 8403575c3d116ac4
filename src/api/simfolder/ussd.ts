/** The USSD methods: ussdSend (a durable card job: a code, or the answer in an open session), ussdList, ussdDelete. */
import { enqueueCardWork } from "../../jobs/card-jobs";
import { run, type Method } from "./context";
import { bad, text, unix, windowed } from "./params";
import { deleteOn, listOn, oneCard } from "./scope";

export const ussdSend: Method = async (ctx, user, params) => {
  const card = await oneCard(ctx, user, params);
  const code = text(params, "code", { required: true, max: 160 })!;
  if (!/^[0-9*#+]{1,160}$/.test(code)) bad("code", "must be a USSD code or a session answer (digits, *, #, +)");
  return { ussd_id: await run(enqueueCardWork(ctx.db, { kind: "ussd", iccid: card.iccid, code })) };
};

export const ussdList: Method = async (ctx, user, params) => {
  const rows = await listOn(ctx, user, params, (iccids, p, from, to) => {
    return windowed(ctx.db.selectFrom("ussd").selectAll().where("iccid", "in", iccids), "created_at", p, from, to).execute();
  });
  return { ussd: rows.map(({ row, card }) => ({ ussd_id: row.id, card_id: card.id, code: row.request, msg: row.reply, status: row.status, state: row.state, time: unix(row.created_at) })) };
};

export const ussdDelete: Method = (ctx, user, params) => deleteOn(ctx, user, params, "ussd", "ussd_id");
