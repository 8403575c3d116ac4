/**
 * Which card is on which modem, written down as it is seen: a row per stay, its last_seen
 * moved on while the card stays (at most every `everyMs`, and at once when the card
 * changes). This is the evidence for putting a message found in a modem's own memory down
 * to a card (src/store/modem-memory.ts); the database's clock stamps it.
 */
import { Effect, Option, SubscriptionRef, type Scope } from "effect";
import type { ModemSnapshot } from "../../drivers/modem/state";
import type { Kysely } from "kysely";
import { tryStore } from "../store/database";
import type { Database } from "../store/schema";
import { cardSeen } from "../store/modem-memory";
import type { RegisteredModem } from "./registry";

export const recordCardSeen = (db: Kysely<Database>, device: string, modem: number, iccid: string) =>
  tryStore("recording the card on a modem", () => db.transaction().execute((trx) => cardSeen(trx, { device, modem }, iccid)));

export const recordModemCards = (db: Kysely<Database>, modems: readonly RegisteredModem[], options: { readonly everyMs?: number } = {}): Effect.Effect<void, never, Scope.Scope> =>
  Effect.forEach(
    modems,
    (m) =>
      Effect.gen(function* () {
        const events = yield* m.supervised.events;
        let written: { iccid: string; at: number } | null = null;
        const seen = (snapshot: ModemSnapshot): Effect.Effect<void> => {
          if (snapshot.sim?.lock !== "READY" || !snapshot.sim.iccid) return Effect.void;
          const iccid = snapshot.sim.iccid;
          const now = Date.now();
          if (written?.iccid === iccid && now - written.at < (options.everyMs ?? 10_000)) return Effect.void;
          return recordCardSeen(db, m.device, m.position, iccid).pipe(
            Effect.tap(() => Effect.sync(() => (written = { iccid, at: now }))),
            // Not fatal: a missing sighting only makes a later attribution more careful.
            Effect.catchAll((e) => Effect.logWarning(e.message).pipe(Effect.annotateLogs({ device: m.device, modem: m.position }))),
          );
        };
        // The actor's bring-up happens before its events are forwarded: on "connected" (and
        // for a modem that came up before this subscription) its snapshot is read instead.
        const current = Effect.flatMap(SubscriptionRef.get(m.supervised.actor), (actor) =>
          Option.isSome(actor) ? Effect.flatMap(SubscriptionRef.get(actor.value.state), seen) : Effect.void,
        );
        yield* current.pipe(Effect.forkScoped);
        yield* Effect.forever(
          Effect.flatMap(events.take, (event) =>
            event.type === "state" ? seen(event.snapshot) : event.type === "supervisor" && event.step === "connected" ? current : Effect.void,
          ),
        ).pipe(Effect.forkScoped);
      }),
    { discard: true },
  );
