/**
 * A card's live state in one answer, for whoever shows it (SR-Navigator's status words, the
 * panel's pools page): is it in a modem now, who holds its position and how far that
 * switch got, and how the modem at its position is. A device of this host answers from the
 * scheduler's holds and the actors' snapshots in memory; another host's device from the
 * shared rows that host keeps (holds, modem_state), so every host gives the same answer.
 */
import { Effect, Option, SubscriptionRef } from "effect";
import type { Kysely } from "kysely";
import { simStatusOf } from "../../drivers/modem/state";
import { remoteModems } from "../devices/live-state";
import type { Registry } from "../devices/registry";
import type { HoldState, Scheduler } from "../scheduler/scheduler";
import { tryStore, type StoreError } from "../store/database";
import type { Database } from "../store/schema";

/** The card asked about: its ICCID, and where the inventory places it. */
export interface CardRef {
  readonly iccid: string;
  readonly deviceKey: string;
  /** Its position in a bank; null for a card with no place (a modem of a plain pool). */
  readonly place: string | null;
}

export interface CardLive {
  /** The card is in a modem now: this host's modem reads its ICCID, or another host's modem naming it is connected. */
  readonly online: boolean;
  /** Who holds the card's position and how far its switch got; null when no one does. */
  readonly hold: { readonly holder: string; readonly state: HoldState } | null;
  /** The modem for the card: none at its position (or none naming it), one whose port is down, or one that answers. */
  readonly modem: "none" | "down" | "up";
  /** The modem reads the card and is registered on a network (home or roaming). */
  readonly registered: boolean;
}

/** +CREG's registered states: home network and roaming. */
const REGISTERED = new Set([1, 5]);

const localLive = (registry: Registry, scheduler: Scheduler, card: CardRef): Effect.Effect<CardLive> =>
  Effect.gen(function* () {
    const place = card.place ? scheduler.place(card.deviceKey, card.place) : null;
    const device = registry.devices.find((d) => d.config.id === card.deviceKey);
    const modem = place?.modem ? device?.modems[place.modem - 1] : undefined;
    let snapshot = null;
    if (modem) {
      const actor = yield* SubscriptionRef.get(modem.supervised.actor);
      if (Option.isSome(actor)) snapshot = yield* SubscriptionRef.get(actor.value.state);
    }
    const online = snapshot?.sim?.iccid === card.iccid;
    const hold = place?.hold ? { holder: place.hold.holder, state: place.hold.state } : null;
    // A modem with no actor (its port not open) is as down as one whose port went away.
    const down = modem !== undefined && (snapshot === null || snapshot.port === "gone" || snapshot.port === "unresponsive");
    return { online, hold, modem: !modem ? "none" : down ? "down" : "up", registered: online && snapshot !== null && REGISTERED.has(simStatusOf(snapshot)) };
  });

/** A hold row's state; "requested" (the driving host has not started the switch yet) is under way, as connecting is. */
const holdStateOf = (state: string): HoldState => (state === "online" || state === "failed" ? state : "connecting");

const remoteLive = (db: Kysely<Database>, localDevices: readonly string[], hostTtlMs: number, card: CardRef): Effect.Effect<CardLive, StoreError> =>
  Effect.gen(function* () {
    // A dead host's rows name no card (live-state.ts): its cards read as in no modem.
    const [live] = yield* tryStore("reading another host's modem of a card", () => remoteModems(db, localDevices, hostTtlMs, { iccid: card.iccid }));
    const row = card.place
      ? yield* tryStore("reading a position's hold", () =>
          db.selectFrom("holds").select(["holder", "state"]).where("device", "=", card.deviceKey).where("position", "=", card.place!).executeTakeFirst(),
        )
      : undefined;
    return {
      online: live?.connected === true,
      hold: row ? { holder: row.holder, state: holdStateOf(row.state) } : null,
      modem: !live ? "none" : live.connected ? "up" : "down",
      registered: live !== undefined && REGISTERED.has(live.simStatus),
    };
  });

/** The live state of a card, on whichever host drives its device. */
export const cardLive =
  (db: Kysely<Database>, registry: Registry, scheduler: Scheduler, hostTtlMs: number) =>
  (card: CardRef): Effect.Effect<CardLive, StoreError> =>
    registry.devices.some((d) => d.config.id === card.deviceKey)
      ? localLive(registry, scheduler, card)
      : remoteLive(
          db,
          registry.devices.map((d) => d.config.id),
          hostTtlMs,
          card,
        );
