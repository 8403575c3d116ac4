/**
 * Driver tests against simulated modems in this process: a farm of virtual modems and an
 * in-memory line to each (bytes cross asynchronously both ways, as on a serial line), so a
 * test can run many modems without pseudo-terminals.
 */
import { afterEach } from "vitest";
import { Effect, Queue, type Scope } from "effect";
import { makeAtPort, type AtPort, type AtPortOptions } from "../../drivers/at/at-port";
import type { Transport } from "../../drivers/transport/transport";
import { Farm, type FarmSpec } from "../../hil/farm";
import { openSimulated, type LineDevice } from "../../src/devices/simulated-transport";

/** A settled farm, stopped after the test that made it. */
export const useSimFarm = () => {
  const farms: Farm[] = [];
  afterEach(() => {
    for (const farm of farms.splice(0)) farm.stop();
  });
  return async (spec: FarmSpec): Promise<Farm> => {
    const farm = new Farm(spec);
    farms.push(farm);
    farm.start();
    await farm.settled();
    return farm;
  };
};

export const lineTo = (device: LineDevice, target = "sim"): Effect.Effect<Transport> => openSimulated(device, target);

export const portTo = (device: LineDevice, options?: AtPortOptions): Effect.Effect<AtPort, never, Scope.Scope> =>
  Effect.flatMap(lineTo(device), (transport) => makeAtPort(transport, options));

/** Takes from a queue until `match`, failing after timeoutMs. */
export const takeUntil = <A, B extends A>(queue: Queue.Dequeue<A>, match: (a: A) => a is B, timeoutMs = 5_000, what = "event") =>
  Queue.take(queue).pipe(
    Effect.repeat({ until: match }),
    Effect.map((a) => a as B),
    Effect.timeoutFail({ duration: timeoutMs, onTimeout: () => new Error(`no ${what} within ${timeoutMs} ms`) }),
  );
