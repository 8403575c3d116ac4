/**
 * A SIM bank whose controller line can vanish and come back (a USB serial adapter unplugged
 * and replugged, a ser2net link dropped), or is not there yet when the service starts (the
 * adapter plugged in later). When the driver reports its line gone, the line is opened again
 * (the path may point to a new tty by then) and the switch is tried once more; while it
 * cannot be opened, every switch fails with the reason and the next one tries again. The
 * layout (positions, modems) does not depend on the line, so the scheduler and the APIs
 * know the bank before its controller answers. Each opening and each failure is reported.
 */
import { Effect, ExecutionStrategy, Exit, Scope } from "effect";
import type { Transport, TransportError } from "../transport/transport";
import { BankError, type BankLayout, type SimBankDriver } from "./sim-bank-driver";

interface Open {
  readonly driver: SimBankDriver;
  readonly scope: Scope.CloseableScope;
}

export const reopeningBank = (
  layout: BankLayout,
  open: Effect.Effect<Transport, TransportError, Scope.Scope>,
  make: (line: Transport) => Effect.Effect<SimBankDriver, never, Scope.Scope>,
  report: (detail: string) => Effect.Effect<void>,
): Effect.Effect<SimBankDriver, never, Scope.Scope> =>
  Effect.gen(function* () {
    const outer = yield* Effect.scope;
    const connect = Effect.gen(function* () {
      const scope = yield* Scope.fork(outer, ExecutionStrategy.sequential);
      const driver = yield* Effect.flatMap(open, make).pipe(
        Scope.extend(scope),
        Effect.tapError(() => Scope.close(scope, Exit.void)),
      );
      return { driver, scope } satisfies Open;
    });
    // One opening at a time; switches wait for it.
    const lock = yield* Effect.makeSemaphore(1);
    let current: Open | null = null;
    let wasOpen = false;

    /** Opens the line (closing the one that went away, `seen`); fails with why it could not. */
    const reopen = (seen: Open | null) =>
      lock.withPermits(1)(
        Effect.gen(function* () {
          // Another switch opened it meanwhile.
          if (current !== seen && current !== null) return current.driver;
          if (seen) {
            yield* report("the controller's line is gone: opening it again");
            yield* Scope.close(seen.scope, Exit.void);
            current = null;
          }
          const next = yield* connect.pipe(
            Effect.mapError((e) => new BankError({ reason: "gone", detail: `the controller's line could not be opened${wasOpen ? " again" : ""}: ${e.message}` })),
            Effect.tapError((e) => report(e.detail)),
          );
          current = next;
          yield* report(wasOpen ? "the controller's line is open again" : "the controller's line is open");
          wasOpen = true;
          return next.driver;
        }),
      );

    // Opened now if it can be; a line that is not there yet is opened by the first switch.
    yield* reopen(null).pipe(Effect.ignore);

    return {
      ...layout,
      select: (position, modem) =>
        Effect.suspend(() => {
          const seen = current;
          const driver = seen ? Effect.succeed(seen.driver) : reopen(null);
          return Effect.flatMap(driver, (d) =>
            d.select(position, modem).pipe(
              Effect.catchIf(
                (e) => e.reason === "gone",
                () => Effect.flatMap(reopen(current), (fresh) => fresh.select(position, modem)),
              ),
            ),
          );
        }),
    } satisfies SimBankDriver;
  });
