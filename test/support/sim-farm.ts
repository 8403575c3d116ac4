/** A settled in-memory farm with one AT session per modem, for simulator tests. */
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
