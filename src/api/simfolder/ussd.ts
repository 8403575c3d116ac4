/** The USSD methods: ussdSend (a durable card job: a code, or the answer in an open session), ussdList, ussdDelete. */
import { Schema } from "effect";
import { enqueueCardWork } from "../../jobs/card-jobs";
import { method, run } from "./context";
import { CARD_FILTER, ONE_CARD, Checked, namesOneCard, required, RequiredText, unix, windowed, WINDOW } from "./params";
import { DeleteIds, deleteOn, listOn, oneCard } from "./scope";

const UssdSendParams = namesOneCard(
  Schema.Struct({
    ...ONE_CARD,
    code: required(
      Checked(RequiredText(160), (code) => (/^[0-9*#+]{1,160}$/.test(code) ? null : "must be a USSD code or a session answer (digits, *, #, +)")),
      "digits, * # +",
    ),
  }),
);

export const ussdSend = method(UssdSendParams, async (ctx, user, params) => {
  const card = await oneCard(ctx, user, params);
  return { ussd_id: await run(ctx, enqueueCardWork(ctx.db, { kind: "ussd", iccid: card.iccid, code: params.code })) };
});

export const ussdList = method(Schema.Struct({ ...CARD_FILTER, ...WINDOW }), async (ctx, user, params) => {
  const rows = await listOn(ctx, user, params, (iccids, p, from, to) => {
    return windowed(ctx.db.selectFrom("ussd").selectAll().where("iccid", "in", iccids), "created_at", p, from, to).execute();
  });
  return { ussd: rows.map(({ row, card }) => ({ ussd_id: row.id, card_id: card.id, code: row.request, msg: row.reply, status: row.status, state: row.state, time: unix(row.created_at) })) };
});

export const ussdDelete = method(Schema.Struct({ ussd_id: required(DeleteIds, "ids") }), (ctx, user, params) => deleteOn(ctx, user, params.ussd_id, "ussd"));
