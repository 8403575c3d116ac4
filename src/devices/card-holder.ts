/**
 * Which modem of this host holds a card now, and waiting for one to (a switch under way, a
 * modem reconnecting), from the actors' snapshots in memory.
 */
import { Effect, Option, SubscriptionRef } from "effect";
import type { ModemActor } from "../../drivers/modem/modem-actor";
import type { RegisteredModem, Registry } from "./registry";

/** The modem a card is on, with its live actor. */
export interface CardHolder {
  readonly modem: RegisteredModem;
  readonly actor: ModemActor;
}

export const holderOf = (registry: Registry, iccid: string): Effect.Effect<Option.Option<CardHolder>> =>
  Effect.gen(function* () {
    for (const m of registry.modems) {
      const actor = yield* SubscriptionRef.get(m.supervised.actor);
      if (Option.isNone(actor)) continue;
      const s = yield* SubscriptionRef.get(actor.value.state);
      if (s.sim?.iccid === iccid && s.sim.lock === "READY") return Option.some({ modem: m, actor: actor.value });
    }
    return Option.none();
  });

/**
 * Waits for the card to be on a modem and ready (a switch the scheduler started, a modem
 * reconnecting), looking at the actors' snapshots in memory, up to `maxMs`. A job waits
 * here, holding its claim and spending no attempt, instead of going back to the queue.
 */
export const awaitHolder = (registry: Registry, iccid: string, maxMs: number, giveUp: Effect.Effect<boolean> = Effect.succeed(false)) =>
  Effect.gen(function* () {
    for (;;) {
      const holder = yield* holderOf(registry, iccid);
      if (Option.isSome(holder)) return holder;
      // The switch that was to bring the card in failed: back to the queue now, where the
      // next claim asks for it again, rather than waiting out maxMs.
      if (yield* giveUp) return Option.none<CardHolder>();
      yield* Effect.sleep("200 millis");
    }
  }).pipe(Effect.timeoutTo({ duration: maxMs, onTimeout: () => Option.none<CardHolder>(), onSuccess: (h) => h }));
