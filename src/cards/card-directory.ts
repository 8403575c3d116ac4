/**
 * Where a card is, as one service: the modem of this host that holds it now (from the
 * actors' snapshots), another host's modem (from the shared modem_state rows), or no modem
 * (its place in a bank, from the inventory); its live state (who holds its position, how
 * its modem is: card-live.ts); and how a job asks for it to be brought in (the scheduler's
 * claims, ../scheduler/card-switcher.ts).
 */
import { Context, Effect, Layer, Option } from "effect";
import type { Kysely } from "kysely";
import { awaitHolder, holderOf, type CardHolder } from "../devices/card-holder";
import { remoteModems } from "../devices/live-state";
import type { Registry } from "../devices/registry";
import { DeviceRegistry } from "../devices/registry-service";
import { DEFAULT_HOST_TTL_MS } from "../hosts/host";
import { ThisHost } from "../hosts/this-host";
import { cardSwitcher, type CardSwitcher } from "../scheduler/card-switcher";
import { FarmScheduler } from "../scheduler/scheduler-service";
import type { Scheduler } from "../scheduler/scheduler";
import { tryStore, type StoreError } from "../store/database";
import type { Database } from "../store/schema";
import { Store } from "../store/store-service";
import { cardLive, type CardLive, type CardRef } from "./card-live";

export type Whereabouts =
  /** On a modem of this host, ready. */
  | { readonly kind: "here"; readonly device: string; readonly modem: number; readonly holder: CardHolder }
  /** On a modem of another live host's device (`connected`: that modem's port is up). */
  | { readonly kind: "elsewhere"; readonly device: string; readonly modem: number; readonly host: string | null; readonly connected: boolean }
  /** In no modem: its last known place in a bank, if it has one. */
  | { readonly kind: "nowhere"; readonly place: { readonly device: string; readonly position: string } | null };

export interface Directory {
  readonly holderOf: (iccid: string) => Effect.Effect<Option.Option<CardHolder>>;
  /** Waits up to `maxMs` for the card to be on a modem of this host and ready. */
  readonly awaitHolder: (iccid: string, maxMs: number, giveUp?: Effect.Effect<boolean>) => Effect.Effect<Option.Option<CardHolder>>;
  readonly whereIs: (iccid: string) => Effect.Effect<Whereabouts, StoreError>;
  /** Is the card in a modem now, who holds its position, how is its modem. */
  readonly liveOf: (card: CardRef) => Effect.Effect<CardLive, StoreError>;
  /** Claims and releases cards for jobs, switching them in. */
  readonly switcher: CardSwitcher;
}

export class CardDirectory extends Context.Tag("simgate/CardDirectory")<CardDirectory, Directory>() {}

export const cardDirectory = (db: Kysely<Database>, registry: Registry, scheduler: Scheduler, hostTtlMs: number): Directory => ({
  holderOf: (iccid) => holderOf(registry, iccid),
  awaitHolder: (iccid, maxMs, giveUp) => awaitHolder(registry, iccid, maxMs, giveUp),
  whereIs: (iccid) =>
    Effect.gen(function* () {
      const here = yield* holderOf(registry, iccid);
      if (Option.isSome(here)) return { kind: "here", device: here.value.modem.device, modem: here.value.modem.position, holder: here.value } as const;
      const local = registry.devices.map((d) => d.config.id);
      const [remote] = yield* tryStore("finding a card on another host", () => remoteModems(db, local, hostTtlMs, { iccid }));
      // A dead host's rows name no card (live-state.ts), so a card seen there counts as in no modem.
      if (remote?.iccid === iccid) return { kind: "elsewhere", device: remote.device, modem: remote.modem, host: remote.host, connected: remote.connected } as const;
      const placed = yield* tryStore("reading a card's place", () =>
        db
          .selectFrom("sim_cards")
          .innerJoin("devices", "devices.id", "sim_cards.device_id")
          .select(["devices.key", "sim_cards.place"])
          .where("sim_cards.iccid", "=", iccid)
          .executeTakeFirst(),
      );
      return { kind: "nowhere", place: placed?.key && placed.place ? { device: placed.key, position: placed.place } : null } as const;
    }),
  liveOf: cardLive(db, registry, scheduler, hostTtlMs),
  switcher: cardSwitcher(db, scheduler),
});

/**
 * A facade's pieces with the service's CardDirectory (HttpLive passes it), or with one over
 * the same pieces when a test builds the facade by hand.
 */
export const withDirectory = <C extends { readonly db: Kysely<Database>; readonly registry: Registry; readonly scheduler: Scheduler; readonly hostTtlMs?: number; readonly directory?: Directory }>(
  ctx: C,
): C & { readonly directory: Directory } =>
  ctx.directory ? (ctx as C & { readonly directory: Directory }) : { ...ctx, directory: cardDirectory(ctx.db, ctx.registry, ctx.scheduler, ctx.hostTtlMs ?? DEFAULT_HOST_TTL_MS) };

export const CardDirectoryLive: Layer.Layer<CardDirectory, never, Store | DeviceRegistry | FarmScheduler | ThisHost> = Layer.effect(
  CardDirectory,
  Effect.gen(function* () {
    return cardDirectory(yield* Store, yield* DeviceRegistry, yield* FarmScheduler, (yield* ThisHost).ttlMs);
  }),
);
