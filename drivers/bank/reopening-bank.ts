/**
 * A SIM bank whose controller line can vanish and come back (a USB serial adapter unplugged
 * and replugged, a ser2net link dropped). When the driver reports its line gone, the line is
 * opened again (the path may point to a new tty by then) and the switch is tried once more;
 * until it opens, every switch fails with the reason. Each reopening is reported.
 */
import { Effect, ExecutionStrategy, Exit, Scope } from "effect";
import type { Transport, TransportError } from "../transport/transport";
import { BankError, type SimBankDriver } from "./sim-bank-driver";

export const reopeningBank = (
  open: Effect.Effect<Transport, TransportError, Scope.Scope>,
  make: (line: Transport) => Effect.Effect<SimBankDriver, never, Scope.Scope>,
  report: (detail: string) => Effect.Effect<void>,
): Effect.Effect<SimBankDriver, TransportError, Scope.Scope> =>
  Effect.gen(function* () {
    const outer = yield* Effect.scope;
    const connect = Effect.gen(function* () {
      const scope = yield* Scope.fork(outer, ExecutionStrategy.sequential);
      const driver = yield* Effect.flatMap(open, make).pipe(
        Scope.extend(scope),
        Effect.tapError(() => Scope.close(scope, Exit.void)),
      );
      return { driver, scope };
    });
    let current = yield* connect;
    // One reopening at a time; switches wait for it.
    const lock = yield* Effect.makeSemaphore(1);

    const reopen = (seen: SimBankDriver) =>
      lock.withPermits(1)(
        Effect.gen(function* () {
          // Another switch reopened it meanwhile.
          if (current.driver !== seen) return current.driver;
          yield* report("the controller's line is gone: opening it again");
          yield* Scope.close(current.scope, Exit.void);
          const next = yield* connect.pipe(
            Effect.mapError((e) => new BankError({ reason: "gone", detail: `the line could not be opened again: ${e.message}` })),
            Effect.tapError((e) => report(e.detail)),
          );
          current = next;
          yield* report("the controller's line is open again");
          return next.driver;
        }),
      );

    const first = current.driver;
    return {
      positions: first.positions,
      modems: first.modems,
      reachable: first.reachable,
      preview: first.preview,
      select: (position, modem) =>
        Effect.suspend(() => {
          const driver = current.driver;
          return driver.select(position, modem).pipe(
            Effect.catchIf(
              (e) => e.reason === "gone",
              () => Effect.flatMap(reopen(driver), (fresh) => fresh.select(position, modem)),
            ),
          );
        }),
    } satisfies SimBankDriver;
  });
