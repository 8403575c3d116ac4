/** Settled in-memory farms for simulator tests, stopped after each test. */
import { afterEach } from "vitest";
import { Farm, type FarmSpec } from "../../hil/farm";
import { openDuplex } from "../../hil/transport/duplex";
import { AtSession } from "./at-session";

export const startFarm = async (spec: FarmSpec) => {
  const farm = new Farm(spec);
  farm.start();
  await farm.settled();
  const session = (id: string) => new AtSession(openDuplex(farm.modem(id)));
  return { farm, session };
};

/**
 * For a test file: `start(spec)` gives a settled farm and an AT session on modem "a" with echo
 * off and numeric errors (what drivers set first); the farm stops after each test.
 */
export const useFarm = () => {
  let current: Farm | undefined;
  afterEach(() => {
    current?.stop();
    current = undefined;
  });
  return async (spec: FarmSpec, first = "a") => {
    const started = await startFarm(spec);
    current = started.farm;
    const a = started.session(first);
    await a.command("ATE0;+CMEE=1");
    return { ...started, a, modem: started.farm.modem(first) };
  };
};
