/**
 * Records what the modems report as events: a device going online (its first modem up) or
 * offline (its last one gone), every change of a modem's SIM status code, and the calls
 * (incoming ringing, answered, ended; outgoing started).
 */
import { Effect, Option, SubscriptionRef, type Scope } from "effect";
import type { Kysely } from "kysely";
import { simStatusOf, type SimStatus } from "../../drivers/modem/state";
import type { Registry } from "../devices/registry";
import type { Database } from "../store/schema";
import { recordEvent, type EventSubject, type EventType } from "../store/events";

const quietly = (what: string, run: () => Promise<void>) =>
  Effect.tryPromise(run).pipe(Effect.catchAll((e) => Effect.logWarning(`events: ${what}: ${String(e.error)}`)));

export const recordModemEvents = (db: Kysely<Database>, registry: Registry): Effect.Effect<void, never, Scope.Scope> =>
  Effect.gen(function* () {
    const connected = new Map<string, Set<number>>();
    const record = (type: EventType, subject: EventSubject, fields: Record<string, unknown>) => quietly(type, () => recordEvent(db, type, subject, fields));
    for (const m of registry.modems) {
      const events = yield* m.supervised.events;
      let status: SimStatus | null = null;
      let iccid: string | null = null;
      const phases = new Map<number, string>();
      /** The card and status as they are now (bring-up reads them before its events flow here). */
      const current = Effect.gen(function* () {
        const actor = yield* SubscriptionRef.get(m.supervised.actor);
        if (Option.isNone(actor)) return;
        const snapshot = yield* SubscriptionRef.get(actor.value.state);
        iccid = snapshot.sim?.iccid ?? iccid;
        const now = simStatusOf(snapshot);
        if (now === status) return;
        status = now;
        yield* record("simStatus", { device: m.device, iccid }, { state: now, modem: m.position });
      });
      const deviceUp = () => {
        const up = connected.get(m.device) ?? new Set<number>();
        connected.set(m.device, up);
        return up;
      };
      // A modem that came up before this subscription.
      if (Option.isSome(yield* SubscriptionRef.get(m.supervised.actor))) {
        if (deviceUp().size === 0) yield* record("deviceState", { device: m.device }, { state: "online" });
        deviceUp().add(m.position);
        yield* current;
      }
      yield* Effect.forever(
        Effect.flatMap(events.take, (event): Effect.Effect<void> => {
          if (event.type === "supervisor") {
            const up = deviceUp();
            const before = up.size;
            if (event.step === "connected") up.add(m.position);
            else if (["lost", "unresponsive", "open-failed", "bring-up-failed"].includes(event.step)) up.delete(m.position);
            else return Effect.void;
            if (event.step === "connected") phases.clear();
            const device =
              before === 0 && up.size > 0
                ? record("deviceState", { device: m.device }, { state: "online" })
                : before > 0 && up.size === 0
                  ? record("deviceState", { device: m.device }, { state: "offline" })
                  : Effect.void;
            if (event.step !== "connected") {
              // Off: -3 until the modem is back.
              const off = status === -3 ? Effect.void : Effect.zipRight(Effect.sync(() => (status = -3)), record("simStatus", { device: m.device, iccid }, { state: -3, modem: m.position }));
              return Effect.zipRight(device, off);
            }
            return Effect.zipRight(device, current);
          }
          if (event.type === "state") {
            const card = event.snapshot.sim?.iccid ?? null;
            if (card) iccid = card;
            const now = simStatusOf(event.snapshot);
            if (now === status) return Effect.void;
            status = now;
            return record("simStatus", { device: m.device, iccid }, { state: now, modem: m.position });
          }
          if (event.type === "call") {
            const c = event.call;
            // One event per phase of a call (the actor reports a call on every poll).
            const phase = c.direction === "outgoing" ? (c.state === "dialing" || c.state === "alerting" ? "callOutgoing" : null) : c.state === "ringing" ? (c.number ? "callIncoming" : null) : c.state === "active" ? "callBegin" : c.state === "ended" ? "callEnd" : null;
            if (!phase || phases.get(c.id) === phase || (phase === "callOutgoing" && phases.has(c.id))) return Effect.void;
            // An ended call that was never seen ringing with a number still ends.
            phases.set(c.id, phase);
            const subject = { device: m.device, iccid: iccid };
            return c.direction === "outgoing" ? record(phase, subject, { outgoing: c.number }) : record(phase, subject, { incoming: c.number });
          }
          return Effect.void;
        }),
      ).pipe(Effect.forkScoped);
    }
  });
