/**
 * The scheduler as the service runs it: over the registry's devices, recording every card it
 * reads in the store's inventory, and switching cards in for jobs that need them.
 */
import { Effect, type Scope } from "effect";
import type { Kysely } from "kysely";
import type { Registry } from "../devices/registry";
import type { StoreError } from "../store/database";
import type { Database } from "../store/schema";
import { recordCard, syncDevices } from "./inventory";
import { startScheduler, type Scheduler } from "./scheduler";
import { sharedHolds } from "./shared-holds";
import type { Wakeups } from "../store/wakeups";
import { leaseInTheWay, type Lease } from "./console-leases";

export interface ServiceScheduler extends Scheduler {
  /** The store's numeric device id by configuration id. */
  readonly deviceIds: ReadonlyMap<string, number>;
}

const log = (line: string) => Effect.sync(() => void process.stderr.write(`${line}\n`));

export const startServiceScheduler = (
  db: Kysely<Database>,
  registry: Registry,
  options: {
    readonly cardTimeoutMs?: number;
    readonly settleMs?: number;
    readonly quietMs?: number;
    readonly wakeups?: Wakeups;
    /** The hold follower's fallback poll (src/scheduler/shared-holds.ts). */
    readonly holdsFollowEveryMs?: number;
  } = {},
): Effect.Effect<ServiceScheduler, StoreError, Scope.Scope> =>
  Effect.gen(function* () {
    const deviceIds = yield* syncDevices(db, registry.devices);
    const scheduler = yield* startScheduler(
      registry.devices.map((d) => ({ key: d.config.id, driver: d.driver, modems: d.modems, rotateEveryMs: d.config.rotateEveryMs, ...(d.initial ? { initial: d.initial } : {}) })),
      {
        ...(options.cardTimeoutMs !== undefined ? { cardTimeoutMs: options.cardTimeoutMs } : {}),
        ...(options.settleMs !== undefined ? { settleMs: options.settleMs } : {}),
        ...(options.quietMs !== undefined ? { quietMs: options.quietMs } : {}),
        onCard: (device, position, snapshot) =>
          recordCard(db, deviceIds.get(device)!, device, position, snapshot).pipe(Effect.catchAll((e) => log(`inventory: ${device} ${position}: ${e.message}`))),
        onProblem: (device, detail) => log(`scheduler: ${device}: ${detail}`),
      },
    );
    // Clients' holds are rows: kept across restarts, taken by any host, followed here for
    // this host's devices.
    const shared = sharedHolds(db, scheduler, {
      ...(options.wakeups ? { wakeups: options.wakeups } : {}),
      ...(options.holdsFollowEveryMs !== undefined ? { followEveryMs: options.holdsFollowEveryMs } : {}),
    });
    yield* shared.follow;
    return { ...scheduler, claim: shared.claim, hold: shared.hold, release: shared.release, deviceIds };
  });

/** For jobs: asks for a card to be switched in, and lets it go when done. */
export interface CardSwitcher {
  /**
   * Claims the card for `holder` (switching it in if it is on no modem): "held" once the
   * claim is ours, "busy" when another hold stands in the way, "unmanaged" for a card the
   * scheduler does not know (then nothing protects it; the caller uses it as it finds it).
   */
  readonly request: (iccid: string, holder: string) => Effect.Effect<"held" | "busy" | "unmanaged">;
  readonly release: (iccid: string, holder: string) => Effect.Effect<void>;
  /** Why the switch that would bring the card in failed, if it did (then asking again retries it). */
  readonly switchFailed: (iccid: string) => Effect.Effect<string | null>;
  /**
   * A technician's console lease that keeps the card from `holder` (its modem is leased, or
   * bringing it in would switch a leased modem): the job waits, without failing or counting
   * an attempt.
   */
  readonly leased: (iccid: string, holder: string) => Effect.Effect<Lease | null>;
}

/** How a job waiting for a console lease says so (its last_error), and how soon it looks again. */
export const waitForLease = (lease: Lease): { readonly delayMs: number; readonly reason: string } => ({
  delayMs: Math.max(200, Math.min(2_000, lease.until.getTime() - Date.now())),
  reason: `waiting for ${lease.holder}'s console lease on ${lease.device}/${lease.modem} (until ${lease.until.toISOString()})`,
});

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
    switchFailed: (iccid) =>
      Effect.map(placeOf(iccid), (row) => {
        const hold = row?.key && row.place ? scheduler.place(row.key, row.place)?.hold : null;
        return hold?.state === "failed" ? (hold.error ?? "the switch failed") : null;
      }),
    leased: (iccid, holder) => Effect.flatMap(placeOf(iccid), (row) => (row?.key && row.place ? leaseInTheWay(db, scheduler, row.key, row.place, holder) : Effect.succeed(null))),
  };
};
