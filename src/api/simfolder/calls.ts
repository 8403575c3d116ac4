/**
 * The call methods: callBegin (a durable dial job), callAnswer and callEnd straight on the
 * modem that holds the card (or on the host that drives it), and the lists and deletes of
 * incoming and outgoing calls.
 */
import { Effect, Option, Schema } from "effect";
import type { ModemActor } from "../../../drivers/modem/modem-actor";
import { drivingHostOf, type DrivingHost } from "../../hosts/forward";
import { DEFAULT_HOST_TTL_MS } from "../../hosts/host";
import { enqueueCardWork } from "../../jobs/card-jobs";
import { method, run, type SimFolderContext, type User } from "./context";
import { ApiError } from "./errors";
import { CARD_FILTER, CARD_ID_ONLY, ONE_CARD, namesOneCard, PhoneNumber, required, unix, windowed, WINDOW, type CardFilter, type Window } from "./params";
import { DeleteIds, deleteOn, listOn, oneCard } from "./scope";

/** The card is on a modem another host drives: the request is that host's to serve (src/hosts/forward.ts). */
export class OnAnotherHost extends Error {
  constructor(readonly host: DrivingHost) {
    super(`the card is on a modem of host ${host.id}`);
  }
}

const onModem = async (ctx: SimFolderContext, iccid: string, act: (actor: ModemActor) => Effect.Effect<unknown, { message: string }>) => {
  const holder = await run(ctx, ctx.directory.holderOf(iccid));
  if (Option.isNone(holder)) {
    const elsewhere = ctx.host ? await drivingHostOf(ctx.db, iccid, ctx.host, ctx.hostTtlMs ?? DEFAULT_HOST_TTL_MS) : null;
    if (elsewhere) throw new OnAnotherHost(elsewhere);
    throw new ApiError("CARD_NOT_ACTIVE", "the card is in no working modem now (cardSelect brings it online)");
  }
  const outcome = await run(ctx, Effect.either(act(holder.value.actor)));
  if (outcome._tag === "Left") {
    // AT errors carry their words in message; a CallError ("no call is ringing") only in reason.
    const error = outcome.left as { message: string; reason?: unknown };
    throw new ApiError("MODEM_ERROR", error.message || (typeof error.reason === "string" && error.reason) || "the modem refused the command");
  }
  return { done: true };
};

const callsOf = async (ctx: SimFolderContext, user: User, params: CardFilter & Window, direction: "incoming" | "outgoing") => {
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

// `number` is the number to call here, so the card is named by card_id alone.
const CallBeginParams = Schema.Struct({ card_id: CARD_ID_ONLY, number: required(PhoneNumber, "number to call") });

export const callBegin = method(CallBeginParams, async (ctx, user, params) => {
  const card = await oneCard(ctx, user, { card_id: params.card_id });
  const job = await run(ctx, enqueueCardWork(ctx.db, { kind: "dial", iccid: card.iccid, number: params.number }));
  return { job_id: job };
});

const OneCardParams = namesOneCard(Schema.Struct(ONE_CARD));

export const callAnswer = method(OneCardParams, async (ctx, user, params) => {
  const card = await oneCard(ctx, user, params);
  return onModem(ctx, card.iccid, (actor) => actor.answer);
});

export const callEnd = method(OneCardParams, async (ctx, user, params) => {
  const card = await oneCard(ctx, user, params);
  return onModem(ctx, card.iccid, (actor) => actor.hangup);
});

const CallListParams = Schema.Struct({ ...CARD_FILTER, ...WINDOW });
const CallDeleteParams = Schema.Struct({ call_id: required(DeleteIds, "ids") });

export const callList = method(CallListParams, (ctx, user, params) => callsOf(ctx, user, params, "incoming"));
export const callOutgoingList = method(CallListParams, (ctx, user, params) => callsOf(ctx, user, params, "outgoing"));
export const callDelete = method(CallDeleteParams, (ctx, user, params) => deleteOn(ctx, user, params.call_id, "calls", "incoming"));
export const callOutgoingDelete = method(CallDeleteParams, (ctx, user, params) => deleteOn(ctx, user, params.call_id, "calls", "outgoing"));
