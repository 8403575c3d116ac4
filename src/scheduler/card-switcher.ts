/**
 * How jobs get their card: a claim on the card's position (switched in when it is on no
 * modem), its release, why a switch failed, and whether a technician's console lease is in
 * the way.
 */
import { Effect } from "effect";
import type { Kysely } from "kysely";
import type { Database } from "../store/schema";
import { leaseInTheWay, type Lease } from "./console-leases";
import type { Scheduler } from "./scheduler";

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

/**
 * How a job waiting for a console lease says so (its last_error), and how soon it looks
 * again (`now`: epoch ms, the caller's clock). Only how soon this process looks again is
 * decided here; whether the lease still stands is the database's word, asked each time.
 */
export const waitForLease = (lease: Lease, now: number = Date.now()): { readonly delayMs: number; readonly reason: string } => ({
  delayMs: Math.max(200, Math.min(2_000, lease.until.getTime() - now)),
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
