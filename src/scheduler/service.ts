/**
 * The scheduler as the service runs it: over the registry's devices, recording every card it
 * reads in the store's inventory, and switching cards in for jobs that need them.
 */
import { Effect, type Scope } from "effect";
import type { Kysely } from "kysely";
import type { Registry } from "../devices/registry";
import { tryStore, type StoreError } from "../store/database";
import type { Database } from "../store/schema";
import { recordCard, syncDevices } from "./inventory";
import { startScheduler, type Scheduler } from "./scheduler";

export interface ServiceScheduler extends Scheduler {
  /** The store's numeric device id by configuration id. */
  readonly deviceIds: ReadonlyMap<string, number>;
}

const log = (line: string) => Effect.sync(() => void process.stderr.write(`${line}\n`));

export const startServiceScheduler = (
  db: Kysely<Database>,
  registry: Registry,
  options: { readonly cardTimeoutMs?: number; readonly settleMs?: number; readonly quietMs?: number } = {},
): Effect.Effect<ServiceScheduler, StoreError, Scope.Scope> =>
  Effect.gen(function* () {
    const deviceIds = yield* syncDevices(db, registry.devices);
    const scheduler = yield* startScheduler(
      registry.devices.map((d) => ({ key: d.config.id, driver: d.driver, modems: d.modems, rotateEveryMs: d.config.rotateEveryMs, ...(d.initial ? { initial: d.initial } : {}) })),
      {
        ...options,
        onCard: (device, position, snapshot) =>
          recordCard(db, deviceIds.get(device)!, device, position, snapshot).pipe(Effect.catchAll((e) => log(`inventory: ${device} ${position}: ${e.message}`))),
        onProblem: (device, detail) => log(`scheduler: ${device}: ${detail}`),
      },
    );
    const kept = keptHolds(db, scheduler);
    // The clients' holds from before the restart, taken again once the start-up scan knows
    // where every card is (a hold that cannot be had now is logged and dropped).
    yield* Effect.gen(function* () {
      yield* scheduler.scanned;
      const rows = yield* tryStore("reading the kept holds", () => db.selectFrom("holds").selectAll().where("device", "in", [...deviceIds.keys(), ""]).execute());
      for (const h of rows)
        yield* scheduler.claim(h.device, h.position, h.holder).pipe(
          Effect.catchAll((e) =>
            Effect.zipRight(
              log(`scheduler: ${h.device} ${h.position}: the hold of ${h.holder} from before the restart cannot be had: ${e.message}`),
              Effect.ignore(tryStore("dropping a hold", () => db.deleteFrom("holds").where("device", "=", h.device).where("position", "=", h.position).where("holder", "=", h.holder).execute())),
            ),
          ),
        );
    }).pipe(
      Effect.catchAll((e) => log(`scheduler: ${e.message}`)),
      Effect.forkScoped,
    );
    return { ...scheduler, ...kept, deviceIds };
  });

/** Holders whose holds outlive a restart: SR-Navigator pools and SimFolder users. */
const KEPT_HOLDER = /^(sr-pool|user):/;

/**
 * claim, hold and release as the clients use them, with their holds written to the store
 * (after the scheduler granted them; removed when let go).
 */
const keptHolds = (db: Kysely<Database>, scheduler: Scheduler): Pick<Scheduler, "claim" | "hold" | "release"> => {
  const keep = (device: string, position: string, holder: string) =>
    KEPT_HOLDER.test(holder)
      ? tryStore("keeping a hold", () => db.insertInto("holds").values({ device, position, holder }).onConflict((oc) => oc.doNothing()).execute()).pipe(Effect.asVoid)
      : Effect.void;
  const drop = (device: string, position: string, holder: string) =>
    KEPT_HOLDER.test(holder)
      ? tryStore("letting a hold go", () => db.deleteFrom("holds").where("device", "=", device).where("position", "=", position).where("holder", "=", holder).execute()).pipe(
          Effect.catchAll((e) => log(`scheduler: ${e.message}`)),
          Effect.asVoid,
        )
      : Effect.void;
  return {
    // A hold the store cannot record is still granted (the client has its number); it is
    // said in the log, as it will not survive a restart.
    claim: (device, position, holder, options) =>
      Effect.tap(scheduler.claim(device, position, holder, options), () => keep(device, position, holder).pipe(Effect.catchAll((e) => log(`scheduler: ${e.message}`)))),
    hold: (device, position, holder) =>
      Effect.tap(scheduler.hold(device, position, holder), () => keep(device, position, holder).pipe(Effect.catchAll((e) => log(`scheduler: ${e.message}`)))),
    release: (device, position, holder) => Effect.zipRight(scheduler.release(device, position, holder), drop(device, position, holder)),
  };
};

/** For jobs: asks for a card to be switched in, and lets it go when done. */
export interface CardSwitcher {
  /**
   * Claims the card for `holder` (switching it in if it is on no modem): "held" once the
   * claim is ours, "busy" when another hold stands in the way, "unmanaged" for a card the
   * scheduler does not know (then nothing protects it; the caller uses it as it finds it).
   */
  readonly request: (iccid: string, holder: string) => Effect.Effect<"held" | "busy" | "unmanaged">;
  readonly release: (iccid: string, holder: string) => Effect.Effect<void>;
}

export const cardSwitcher = (db: Kysely<Database>, scheduler: Scheduler): CardSwitcher => {
  const placeOf = (iccid: string) =>
    Effect.tryPromise(() =>
      db
        .selectFrom("sim_cards")
        .innerJoin("devices", "devices.id", "sim_cards.device_id")
        .select(["devices.key", "sim_cards.place"])
        .where("sim_cards.iccid", "=", iccid)
        .executeTakeFirst(),
    ).pipe(Effect.orElseSucceed(() => undefined));
  return {
    request: (iccid, holder) =>
      Effect.flatMap(placeOf(iccid), (row) =>
        row?.key && row.place
          ? scheduler.claim(row.key, row.place, holder, { share: true }).pipe(
              Effect.as("held" as const),
              Effect.orElseSucceed(() => "busy" as const),
            )
          : Effect.succeed("unmanaged" as const),
      ),
    release: (iccid, holder) => Effect.flatMap(placeOf(iccid), (row) => (row?.key && row.place ? scheduler.release(row.key, row.place, holder) : Effect.void)),
  };
};
