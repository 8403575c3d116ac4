/**
 * The call methods: callBegin (a durable dial job), callAnswer and callEnd straight on the
 * modem that holds the card (or on the host that drives it), and the lists and deletes of
 * incoming and outgoing calls.
 */
import { Effect, Option } from "effect";
import type { ModemActor } from "../../../drivers/modem/modem-actor";
import { drivingHostOf, type DrivingHost } from "../../hosts/forward";
import { DEFAULT_HOST_TTL_MS } from "../../hosts/host";
import { enqueueCardWork } from "../../jobs/card-jobs";
import { holderOf } from "../../devices/card-holder";
import { run, type Method, type SimFolderContext, type User } from "./context";
import { ApiError, bad, text, unix, windowed, type Params } from "./params";
import { deleteOn, listOn, oneCard } from "./scope";

/** The card is on a modem another host drives: the request is that host's to serve (src/hosts/forward.ts). */
export class OnAnotherHost extends Error {
  constructor(readonly host: DrivingHost) {
    super(`the card is on a modem of host ${host.id}`);
  }
}

const onModem = async (ctx: SimFolderContext, iccid: string, act: (actor: ModemActor) => Effect.Effect<unknown, { message: string }>) => {
  const holder = await run(holderOf(ctx.registry, iccid));
  if (Option.isNone(holder)) {
    const elsewhere = ctx.host ? await drivingHostOf(ctx.db, iccid, ctx.host, ctx.hostTtlMs ?? DEFAULT_HOST_TTL_MS) : null;
    if (elsewhere) throw new OnAnotherHost(elsewhere);
    throw new ApiError("CARD_NOT_ACTIVE", "the card is in no working modem now (cardSelect brings it online)");
  }
  const outcome = await run(Effect.either(act(holder.value.actor)));
  if (outcome._tag === "Left") {
    // AT errors carry their words in message; a CallError ("no call is ringing") only in reason.
    const error = outcome.left as { message: string; reason?: unknown };
    throw new ApiError("MODEM_ERROR", error.message || (typeof error.reason === "string" && error.reason) || "the modem refused the command");
  }
  return { done: true };
};

const callsOf = async (ctx: SimFolderContext, user: User, params: Params, direction: "incoming" | "outgoing") => {
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

export const callBegin: Method = async (ctx, user, params) => {
  const card = await oneCard(ctx, user, new Map([["card_id", params.get("card_id")]]));
  const number = text(params, "number", { required: true, max: 32 })!.replace(/\s/g, "");
  if (!/^\+?\d{3,20}$/.test(number)) bad("number", "must be a phone number");
  const job = await run(enqueueCardWork(ctx.db, { kind: "dial", iccid: card.iccid, number }));
  return { job_id: job };
};

export const callAnswer: Method = async (ctx, user, params) => {
  const card = await oneCard(ctx, user, params);
  return onModem(ctx, card.iccid, (actor) => actor.answer);
};

export const callEnd: Method = async (ctx, user, params) => {
  const card = await oneCard(ctx, user, params);
  return onModem(ctx, card.iccid, (actor) => actor.hangup);
};

export const callList: Method = (ctx, user, params) => callsOf(ctx, user, params, "incoming");
export const callOutgoingList: Method = (ctx, user, params) => callsOf(ctx, user, params, "outgoing");
export const callDelete: Method = (ctx, user, params) => deleteOn(ctx, user, params, "calls", "call_id", "incoming");
export const callOutgoingDelete: Method = (ctx, user, params) => deleteOn(ctx, user, params, "calls", "call_id", "outgoing");
