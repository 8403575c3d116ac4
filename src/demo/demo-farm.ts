/**
 * The demo farm `npm start` runs when nothing is configured: an SR-Train-like aggregator
 * (16 modems, 4 rows of 8 SIMs) on the virtual network, every modem supervised and writing
 * what it receives into the store, and a network that sends a verification code now and then.
 */
import { Effect, Schedule, type Scope } from "effect";
import type { Kysely } from "kysely";
import { superviseModem } from "../../drivers/modem/supervisor";
import { Farm } from "../../hil/farm";
import { seededRandom, type TimingModel } from "../../hil/timing";
import { openSimulated } from "../devices/simulated-transport";
import type { Database } from "../store/schema";
import { makeStoreSink, releaseIncomplete } from "../store/sms-sink";

export interface DemoOptions {
  readonly db: Kysely<Database>;
  readonly timing: "instant" | "realistic" | Partial<TimingModel>;
  /** A code SMS to a random SIM this often; 0 turns it off. */
  readonly smsEveryMs: number;
  readonly seed: number;
}

const SENDERS = ["Shop", "MyBank", "+15557001234", "Delivery", "+15557005678"];

export const startDemoFarm = (options: DemoOptions): Effect.Effect<Farm, never, Scope.Scope> =>
  Effect.gen(function* () {
    const farm = new Farm({ seed: options.seed, timing: options.timing, banks: [{ id: "train", model: "sr-train", rows: 4, personality: "simcom-sim800" }] });
    yield* Effect.addFinalizer(() => Effect.sync(() => farm.stop()));
    farm.start();
    const sink = makeStoreSink(options.db);
    for (const modem of farm.modems.values())
      yield* superviseModem({ open: openSimulated(modem, `sim://${modem.id}`), sink, healthEveryMs: 30_000, backoff: { minMs: 1_000, maxMs: 30_000 } });
    // Messages whose last part never came are released with the gap marked.
    yield* releaseIncomplete(options.db, 600_000).pipe(Effect.ignore, Effect.repeat(Schedule.spaced(60_000)), Effect.forkScoped);
    if (options.smsEveryMs > 0) {
      const random = seededRandom(options.seed);
      yield* Effect.sync(() => {
        const serving = [...farm.modems.values()].filter((m) => m.registered && m.sim);
        const target = serving[Math.floor(random() * serving.length)];
        if (!target?.sim) return;
        const code = String(1000 + Math.floor(random() * 9000));
        farm.network.sendSms({ to: target.sim.number, from: SENDERS[Math.floor(random() * SENDERS.length)]!, text: `Your code is ${code}` });
      }).pipe(Effect.repeat(Schedule.spaced(options.smsEveryMs)), Effect.delay(options.smsEveryMs), Effect.forkScoped);
    }
    return farm;
  });
