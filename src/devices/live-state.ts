/**
 * Every modem's live state in the store, so that any host answers for every device: the
 * host that drives a modem writes its state (at once when the card, its status, the
 * connection, the operator or the registration changes; a signal-only change at most every
 * `signalEveryMs`), and readers take a device driven elsewhere from the table. A row whose
 * host stopped beating counts as disconnected.
 */
import { Effect, Option, SubscriptionRef, type Scope } from "effect";
import { sql, type Kysely } from "kysely";
import { simStatusOf, type ModemSnapshot, type SimStatus } from "../../drivers/modem/state";
import { tryStore } from "../store/database";
import type { Database } from "../store/schema";
import type { RegisteredModem, Registry } from "./registry";

export interface LiveModem {
  readonly device: string;
  readonly modem: number;
  readonly host: string | null;
  readonly connected: boolean;
  readonly simStatus: SimStatus;
  readonly iccid: string | null;
  readonly number: string | null;
  readonly operator: string | null;
  readonly registration: string | null;
  readonly signalDbm: number | null;
}

const liveOf = (m: RegisteredModem, host: string | null, s: ModemSnapshot | null): LiveModem => ({
  device: m.device,
  modem: m.position,
  host,
  connected: s !== null && s.port === "ready",
  simStatus: s ? simStatusOf(s) : -3,
  iccid: s?.sim?.lock === "READY" ? s.sim.iccid : null,
  number: s?.sim?.lock === "READY" ? s.sim.number : null,
  operator: s?.operator ?? null,
  registration: s?.registration ?? null,
  signalDbm: s?.signal?.dbm ?? null,
});

/** A modem of this host, from its actor. */
export const localModem = (m: RegisteredModem, host: string | null = null): Effect.Effect<LiveModem> =>
  Effect.gen(function* () {
    const actor = yield* SubscriptionRef.get(m.supervised.actor);
    return liveOf(m, host, Option.isSome(actor) ? yield* SubscriptionRef.get(actor.value.state) : null);
  });

/**
 * The sparkline's history as the row is written: one point per minute (a later write in the
 * same minute replaces that minute's point, so the point is the minute's latest value), and
 * nothing older than 65 minutes. The row stays small however long the modem runs, and
 * writes stay bounded by the signal's own (at most every `signalEveryMs`).
 */
const signalHistoryAfter = (point: ReturnType<typeof sql<string>>) => sql`case
    when (modem_state.signal_history->-1->>0)::bigint / 60 = extract(epoch from now())::bigint / 60
      then jsonb_set(modem_state.signal_history, '{-1}', ${point})
    else (select coalesce(jsonb_agg(p order by n), '[]'::jsonb)
      from jsonb_array_elements(modem_state.signal_history || jsonb_build_array(${point})) with ordinality as e(p, n)
      where (p->>0)::bigint > extract(epoch from now())::bigint - 3900)
  end`;

const keyOf = (l: LiveModem) => `${l.connected}|${l.simStatus}|${l.iccid}|${l.number}|${l.operator}|${l.registration}`;

export const publishModemStates = (
  db: Kysely<Database>,
  registry: Registry,
  host: string,
  options: { readonly signalEveryMs?: number } = {},
): Effect.Effect<void, never, Scope.Scope> =>
  Effect.forEach(
    registry.modems,
    (m) =>
      Effect.gen(function* () {
        const events = yield* m.supervised.events;
        let last: { key: string; signal: number | null; at: number } | null = null;
        const write = Effect.gen(function* () {
          const live = yield* localModem(m, host);
          const key = keyOf(live);
          const now = Date.now();
          if (last && last.key === key && (last.signal === live.signalDbm || now - last.at < (options.signalEveryMs ?? 10_000))) return;
          const values = {
            device: live.device,
            modem: live.modem,
            host,
            connected: live.connected,
            sim_status: live.simStatus,
            iccid: live.iccid,
            number: live.number,
            operator: live.operator,
            registration: live.registration,
            signal_dbm: live.signalDbm,
            updated_at: sql<Date>`now()`,
          };
          const point = sql<string>`jsonb_build_array(extract(epoch from now())::bigint, ${live.signalDbm}::int)`;
          yield* tryStore("writing a modem's state", () =>
            db
              .insertInto("modem_state")
              .values({ ...values, signal_history: sql<string>`jsonb_build_array(${point})` })
              .onConflict((oc) =>
                oc.columns(["device", "modem"]).doUpdateSet({
                  ...values,
                  signal_history: sql<string>`${signalHistoryAfter(point)}`,
                }),
              )
              .execute(),
          ).pipe(
            Effect.tap(() => Effect.sync(() => (last = { key, signal: live.signalDbm, at: now }))),
            // Written again at the next change; the log says the database refused it.
            Effect.catchAll((e) => Effect.logWarning(e.message).pipe(Effect.annotateLogs({ device: m.device, modem: m.position }))),
          );
        });
        yield* write.pipe(Effect.forkScoped);
        yield* Effect.forever(Effect.flatMap(events.take, (event) => (event.type === "state" || event.type === "supervisor" ? write : Effect.void))).pipe(Effect.forkScoped);
      }),
    { discard: true },
  );

/**
 * Modems of devices this host does not drive, from the table. `ttlMs`: a host whose
 * heartbeat is older is taken for dead, and its modems for disconnected.
 */
export const remoteModems = async (db: Kysely<Database>, localDevices: readonly string[], ttlMs: number, only?: { readonly iccid?: string; readonly devices?: readonly string[] }): Promise<LiveModem[]> => {
  let q = db
    .selectFrom("modem_state as s")
    .leftJoin("hosts as h", "h.id", "s.host")
    .select([
      "s.device",
      "s.modem",
      "s.host",
      "s.connected",
      "s.sim_status",
      "s.iccid",
      "s.number",
      "s.operator",
      "s.registration",
      "s.signal_dbm",
      sql<boolean>`coalesce(h.heartbeat_at > now() - ${`${ttlMs} milliseconds`}::interval, false)`.as("alive"),
    ])
    .orderBy("s.device")
    .orderBy("s.modem");
  if (localDevices.length > 0) q = q.where("s.device", "not in", [...localDevices]);
  if (only?.iccid) q = q.where("s.iccid", "=", only.iccid);
  // A long list of devices (an admin's page of a whole farm) is cheaper filtered here than
  // sent as query parameters (bench:panel: 157 devices cost 3 ms more as an IN list).
  const wanted = only?.devices && only.devices.length > 50 ? new Set(only.devices) : null;
  if (only?.devices && !wanted) q = q.where("s.device", "in", only.devices.length ? [...only.devices] : [""]);
  const rows = (await q.execute()).filter((r) => !wanted || wanted.has(r.device));
  return rows.map((r) => ({
    device: r.device,
    modem: r.modem,
    host: r.host,
    connected: r.alive && r.connected,
    simStatus: (r.alive ? r.sim_status : -3) as SimStatus,
    iccid: r.alive ? r.iccid : null,
    number: r.alive ? r.number : null,
    operator: r.alive ? r.operator : null,
    registration: r.alive ? r.registration : null,
    signalDbm: r.alive ? r.signal_dbm : null,
  }));
};
