/**
 * This simgate's place among the hosts that share one database. A host is named by
 * SIMGATE_HOST_ID (default: the machine's hostname) and is alive while its heartbeat, on the
 * database's clock, is younger than the TTL. Each device is driven by exactly one host: a
 * host takes the devices its configuration lists, and refuses to start with one that
 * another live host drives, naming both. At start a host takes back the jobs it had
 * claimed before it stopped, instead of waiting for their leases to run out.
 */
import { hostname } from "node:os";
import { Data, Effect, Schedule, type Scope } from "effect";
import { sql, type Kysely } from "kysely";
import { StoreError, tryStore } from "../store/database";
import type { Database } from "../store/schema";

export class DeviceOwned extends Data.TaggedError("DeviceOwned")<{ readonly device: string; readonly host: string; readonly me: string; readonly secondsAgo: number }> {
  override get message(): string {
    return (
      `device ${this.device} is driven by host ${this.host} (alive: its last heartbeat was ${this.secondsAgo} s ago); this host is ${this.me}. ` +
      `Two hosts must not drive one device: remove it from one configuration, or stop ${this.host} and wait for its heartbeat to expire.`
    );
  }
}

export interface HostOptions {
  readonly id: string;
  readonly version: string;
  /** A host is taken for dead once its heartbeat is older than this (default 30 s). */
  readonly ttlMs: number;
}

export const DEFAULT_HOST_TTL_MS = 30_000;

export const hostOptionsFromEnv = (version: string, env: NodeJS.ProcessEnv = process.env): HostOptions => ({
  id: env.SIMGATE_HOST_ID?.trim() || hostname(),
  version,
  ttlMs: env.SIMGATE_HOST_TTL_S ? Number(env.SIMGATE_HOST_TTL_S) * 1000 : DEFAULT_HOST_TTL_MS,
});

const ttl = (ms: number) => sql`${`${ms} milliseconds`}::interval`;

/** Takes each device for this host unless a live other host drives it. */
export const claimDevices = (db: Kysely<Database>, host: HostOptions, devices: readonly string[]): Effect.Effect<void, StoreError | DeviceOwned> =>
  Effect.forEach(
    devices,
    (device) =>
      Effect.gen(function* () {
        const taken = yield* tryStore("taking a device", () =>
          db
            .insertInto("device_hosts")
            .values({ device, host: host.id })
            .onConflict((oc) =>
              oc.column("device").doUpdateSet({ host: host.id, claimed_at: sql`now()` }).where((eb) =>
                eb.or([
                  eb("device_hosts.host", "=", host.id),
                  eb.not(eb.exists(eb.selectFrom("hosts").select("id").whereRef("hosts.id", "=", "device_hosts.host").where(sql<boolean>`heartbeat_at > now() - ${ttl(host.ttlMs)}`))),
                ]),
              ),
            )
            .returning("host")
            .executeTakeFirst(),
        );
        if (taken) return;
        const owner = yield* tryStore("reading a device's host", () =>
          db
            .selectFrom("device_hosts")
            .innerJoin("hosts", "hosts.id", "device_hosts.host")
            .select(["device_hosts.host", sql<number>`extract(epoch from now() - hosts.heartbeat_at)::int`.as("ago")])
            .where("device_hosts.device", "=", device)
            .executeTakeFirstOrThrow(),
        );
        return yield* Effect.fail(new DeviceOwned({ device, host: owner.host, me: host.id, secondsAgo: Number(owner.ago) }));
      }),
    { discard: true },
  );

/**
 * Registers the host, takes its devices, frees the jobs it claimed before it stopped, and
 * keeps its heartbeat going (every TTL/6) for as long as the scope lasts; when the scope
 * closes, records the stop so that its devices are free at once.
 */
export const startHost = (db: Kysely<Database>, host: HostOptions, devices: readonly string[]): Effect.Effect<void, StoreError | DeviceOwned, Scope.Scope> =>
  Effect.gen(function* () {
    yield* tryStore("registering the host", () =>
      db
        .insertInto("hosts")
        .values({ id: host.id, version: host.version })
        .onConflict((oc) => oc.column("id").doUpdateSet({ version: host.version, started_at: sql`now()`, heartbeat_at: sql`now()` }))
        .execute(),
    );
    yield* claimDevices(db, host, devices);
    // Whatever this host was running when it stopped is not running now.
    yield* tryStore("taking back this host's jobs", () =>
      db.updateTable("jobs").set({ locked_until: sql`now()` }).where("state", "=", "running").where("claimed_by", "=", host.id).execute(),
    );
    // A clean stop says so, so that another host may take the devices at once rather than
    // after the TTL: the heartbeat is moved back past any TTL. Added before the heartbeat's
    // fiber, so it runs after that fiber is stopped (a last beat cannot undo it); by then the
    // devices' ports are closed (the registry is released before this host). A database that
    // does not answer within 5 s leaves it to the TTL, said in the log.
    yield* Effect.addFinalizer(() =>
      tryStore("recording this host's stop", () => db.updateTable("hosts").set({ heartbeat_at: sql`now() - interval '1 day'` }).where("id", "=", host.id).execute()).pipe(
        Effect.timeoutFail({ duration: "5 seconds", onTimeout: () => new StoreError({ reason: "recording this host's stop: no answer in 5 s" }) }),
        Effect.zipRight(Effect.logInfo(`host ${host.id}: stopped; another host may take its devices now`)),
        Effect.catchAll((e) => Effect.logWarning(`host ${host.id}: ${e.message}; its devices are free once its last heartbeat is ${host.ttlMs / 1000} s old`)),
      ),
    );
    const beat = tryStore("heartbeat", () => db.updateTable("hosts").set({ heartbeat_at: sql`now()` }).where("id", "=", host.id).execute()).pipe(
      Effect.catchAll((e) => Effect.logWarning(`host ${host.id}: ${e.message}`)),
    );
    yield* beat.pipe(Effect.repeat(Schedule.spaced(Math.max(1_000, Math.floor(host.ttlMs / 6)))), Effect.forkScoped);
  });

/**
 * SQL: the card's device is driven by `host`, or by no host at all (a card no device holds:
 * the claimer finds out it cannot reach it). A job for another host's card waits for that host.
 */
export const cardIsMine = (iccid: ReturnType<typeof sql>, host: string) => sql<boolean>`coalesce((
    select dh.host from sim_cards sc join devices d on d.id = sc.device_id join device_hosts dh on dh.device = d.key
    where sc.iccid = ${iccid}), ${host}) = ${host}`;
