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

export interface ServiceScheduler extends Scheduler {
  /** The store's numeric device id by configuration id. */
  readonly deviceIds: ReadonlyMap<string, number>;
}

const log = (line: string) => Effect.logWarning(line);

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
