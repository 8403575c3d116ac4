/**
 * What happened on the modems, kept in the store: every call (from the actors' call events,
 * one row per call, updated as it rings, connects and ends), and every USSD exchange run
 * through `runUssd` (request, decoded reply and the raw payload).
 */
import { Effect, Option, SubscriptionRef, type Scope } from "effect";
import type { Kysely } from "kysely";
import type { AtError } from "../../drivers/at/errors";
import type { UssdError, UssdReply } from "../../drivers/modem/ussd";
import { holderOf } from "../devices/card-holder";
import type { Registry } from "../devices/registry";
import type { Database } from "../store/schema";
import { StoreError, tryStore } from "../store/database";
import { recordEvent } from "../store/events";

const store = tryStore;

/** Records every call of every registered modem. */
export const recordCalls = (db: Kysely<Database>, registry: Registry): Effect.Effect<void, never, Scope.Scope> =>
  Effect.gen(function* () {
    for (const m of registry.modems) {
      // The actor numbers its calls per session; rows are found by (session, call id).
      let rows = new Map<number, number>();
      const events = yield* m.supervised.events;
      /** The card in the modem now: a call belongs to the SIM it rang on. */
      const currentIccid = Effect.gen(function* () {
        const actor = yield* SubscriptionRef.get(m.supervised.actor);
        if (Option.isNone(actor)) return null;
        return (yield* SubscriptionRef.get(actor.value.state)).sim?.iccid ?? null;
      });
      yield* Effect.forever(
        Effect.flatMap(events.take, (event) => {
          if (event.type === "supervisor" && event.step === "connected") return Effect.sync(() => (rows = new Map()));
          if (event.type !== "call") return Effect.void;
          const c = event.call;
          const known = rows.get(c.id);
          const values = { state: c.state, number: c.number, answered_at: c.answeredAt, ended_at: c.endedAt, end_reason: c.endReason };
          return Effect.flatMap(known === undefined ? currentIccid : Effect.succeed(null), (iccid) => store("recording a call", async () => {
            if (known !== undefined) await db.updateTable("calls").set(values).where("id", "=", known).execute();
            else {
              const row = await db
                .insertInto("calls")
                .values({ iccid: iccid ?? "unknown", direction: c.direction, started_at: c.startedAt, ...values })
                .returning("id")
                .executeTakeFirstOrThrow();
              rows.set(c.id, row.id);
            }
          })).pipe(Effect.ignore);
        }),
      ).pipe(Effect.forkScoped);
    }
  });

export class CardNotOnline extends Error {
  readonly _tag = "CardNotOnline";
}

/** Runs a USSD code (or a session answer) on the card's modem and records the exchange. */
export const runUssd = (
  db: Kysely<Database>,
  registry: Registry,
  iccid: string,
  request: string,
): Effect.Effect<{ id: number; reply: UssdReply | null; error: string | null }, StoreError | CardNotOnline> =>
  Effect.gen(function* () {
    const holder = yield* holderOf(registry, iccid);
    if (Option.isNone(holder)) return yield* Effect.fail(new CardNotOnline(`card ${iccid} is not in a working modem`));
    const row = yield* store("recording a USSD request", () => db.insertInto("ussd").values({ iccid, request }).returning("id").executeTakeFirstOrThrow());
    const outcome = yield* holder.value.actor.ussd(request).pipe(Effect.either);
    const reply = outcome._tag === "Right" ? outcome.right : null;
    const error = outcome._tag === "Left" ? (outcome.left as UssdError | AtError).message : null;
    yield* store("recording a USSD reply", () =>
      db.transaction().execute(async (trx) => {
        await trx
          .updateTable("ussd")
          .set({ reply: reply?.text ?? null, raw: reply?.raw ?? null, status: reply?.status ?? `error: ${error}`, answered_at: new Date() })
          .where("id", "=", row.id)
          .execute();
        if (reply) await recordEvent(trx, "ussdReceived", { device: holder.value.modem.device, iccid }, { ussd_id: row.id, msg: reply.text, status: reply.status });
      }),
    );
    return { id: row.id, reply, error };
  });
