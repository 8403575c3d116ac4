/** The AT methods: atSend (one command line, as a durable card job) and atList (the log of their answers). */
import { Schema } from "effect";
import { enqueueCardWork } from "../../jobs/card-jobs";
import { method, run } from "./context";
import { CARD_FILTER, ONE_CARD, Checked, namesOneCard, required, RequiredText, unix, windowed, WINDOW } from "./params";
import { listOn, oneCard } from "./scope";

const AtSendParams = namesOneCard(
  Schema.Struct({
    ...ONE_CARD,
    command: required(
      Checked(RequiredText(500), (command) => (!/^AT/i.test(command) || /[\r\n\x1a\x1b]/.test(command) ? "must be one AT command line (AT..., no line breaks)" : null)),
      "one AT line",
    ),
  }),
);

export const atSend = method(AtSendParams, async (ctx, user, params) => {
  const card = await oneCard(ctx, user, params);
  return { at_id: await run(ctx, enqueueCardWork(ctx.db, { kind: "at", iccid: card.iccid, command: params.command })) };
});

export const atList = method(Schema.Struct({ ...CARD_FILTER, ...WINDOW }), async (ctx, user, params) => {
  const rows = await listOn(ctx, user, params, (iccids, p, from, to) => {
    const q = windowed(ctx.db.selectFrom("at_log").select(["id", "iccid", "command", "response", "state", "created_at", "answered_at"]).where("iccid", "in", iccids), "created_at", p, from, to);
    return q.execute().then((rows) => rows.map((r) => ({ ...r, iccid: r.iccid ?? "" })));
  });
  return { at: rows.map(({ row, card }) => ({ at_id: row.id, card_id: card.id, command: row.command, response: row.response, state: row.state, time: unix(row.created_at) })) };
});
