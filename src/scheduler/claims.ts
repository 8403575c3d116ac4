/**
 * Holds on positions: claiming one (checked at once against every other hold, then switched
 * in in the background under the device's lock), waiting for it to be online, sharing it,
 * letting it go, and the questions the APIs ask about them.
 */
import { Deferred, Effect } from "effect";
import { conflicts, modemAt, type Hold, type HoldState, type SchedulerEnv } from "./device-runtime";
import { Busy, NoSuchPosition, SwitchFailed } from "./errors";
import { switchIn } from "./switching";

export interface CardPlace {
  readonly device: string;
  readonly position: string;
  readonly modem: number | null;
  readonly hold: { readonly holder: string; readonly state: HoldState; readonly error: string | null } | null;
}

export const claim = (env: SchedulerEnv, key: string, position: string, holder: string, claimOptions: { readonly share?: boolean } = {}) =>
  Effect.gen(function* () {
    const rt = env.runtime(key);
    const preview = rt?.device.driver.preview(position);
    if (!rt || !preview) return yield* Effect.fail(new NoSuchPosition({ device: key, position }));
    const existing = rt.holds.get(position);
    if (existing && existing.holder === holder && existing.state !== "failed") return;
    if (existing && existing.state !== "failed" && claimOptions.share) {
      existing.sharers.add(holder);
      return;
    }
    if (existing && existing.holder !== holder && existing.state !== "failed")
      return yield* Effect.fail(new Busy({ detail: `${key} ${position} is held by ${existing.holder}` }));
    const blocking = conflicts(rt, position, holder);
    if (blocking.length) return yield* Effect.fail(new Busy({ detail: `switching ${key} ${position} would move ${blocking.join(", ")}` }));
    const hold: Hold = { holder, modem: modemAt(rt, position) ?? preview.modem, state: "connecting", error: null, settled: yield* Deferred.make<void>(), sharers: new Set<string>() };
    rt.holds.set(position, hold);
    yield* rt.lock
      .withPermits(1)(Effect.suspend(() => (rt.holds.get(position) === hold ? switchIn(env, rt, position, holder) : Effect.succeed(0))))
      .pipe(
        Effect.matchEffect({
          onSuccess: () => Effect.sync(() => void (hold.state = "online")),
          onFailure: (error) =>
            Effect.zipRight(
              Effect.sync(() => {
                hold.state = "failed";
                hold.error = error.message;
              }),
              env.onProblem?.(key, `${position} for ${holder}: ${error.message}`) ?? Effect.void,
            ),
        }),
        Effect.ensuring(Deferred.succeed(hold.settled, undefined)),
        Effect.forkIn(env.scope),
      );
  });

export const hold = (env: SchedulerEnv, key: string, position: string, holder: string) =>
  Effect.gen(function* () {
    yield* claim(env, key, position, holder);
    const rt = env.runtime(key)!;
    const claimed = rt.holds.get(position);
    if (claimed) yield* Deferred.await(claimed.settled);
    const h = rt.holds.get(position);
    if (!h || h.holder !== holder) return yield* Effect.fail(new SwitchFailed({ detail: `${key} ${position} was released meanwhile` }));
    if (h.state === "failed") return yield* Effect.fail(new SwitchFailed({ detail: h.error ?? "unknown" }));
    return h.modem;
  });

export const release = (env: SchedulerEnv, key: string, position: string, holder: string) =>
  Effect.sync(() => {
    const h = env.runtime(key)?.holds.get(position);
    if (!h) return;
    if (h.sharers.delete(holder)) return;
    if (h.holder !== holder) return;
    // A sharer carries the hold on; the card stays where it is.
    const next = h.sharers.values().next();
    if (next.done) env.runtime(key)!.holds.delete(position);
    else {
      h.sharers.delete(next.value);
      h.holder = next.value;
    }
  });

/** Where a position is now: on which modem, and who holds it. */
export const placeOf = (env: SchedulerEnv, key: string, position: string): CardPlace | null => {
  const rt = env.runtime(key);
  if (!rt || !rt.device.driver.preview(position)) return null;
  const h = rt.holds.get(position);
  return { device: key, position, modem: modemAt(rt, position), hold: h ? { holder: h.holder, state: h.state, error: h.error } : null };
};

/** Would a claim be refused now? */
export const wouldBeBusy = (env: SchedulerEnv, key: string, position: string, holder: string): boolean => {
  const rt = env.runtime(key);
  if (!rt) return true;
  const existing = rt.holds.get(position);
  return (existing !== undefined && existing.holder !== holder && existing.state !== "failed") || conflicts(rt, position, holder).length > 0;
};
