/**
 * The one place the service wires in the simulator (hil/): the virtual farm behind
 * `"modems": "simulated"` devices and the demo, its SR controllers, the demo's traffic and
 * the /sim/ control routes. Everything else reaches simulated devices through the registry's
 * interfaces, as it reaches real ones.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { Effect, Schedule, type Scope } from "effect";
import { SrController } from "../../hil/bank/sr-controller";
import { controlHandler } from "../../hil/control/http";
import { Farm, type BankSpec, type ModemSpec } from "../../hil/farm";
import { seededRandom } from "../../hil/timing";
import { modelRow } from "../../protocol/bank/models";
import { isSrModel } from "../../protocol/sr/topology";
import type { Config, DeviceConfig } from "../config/config";
import { openSimulated } from "./simulated-transport";

export type { Farm };

/** The virtual farm for the configuration's simulated devices, or null when there are none. */
export const simulatedFarm = (config: Config): Farm | null => {
  const simulated = config.devices.filter((d) => d.modems === "simulated");
  if (simulated.length === 0) return null;
  const banks: BankSpec[] = [];
  const modems: ModemSpec[] = [];
  for (const d of simulated) {
    // Models without a fixed modem count are loose modems; an aggregator comes whole, bank and modems.
    if (!isSrModel(d.model))
      for (let i = 1; i <= (d.count ?? 4); i++)
        modems.push({ id: `${d.id}-m${String(i).padStart(2, "0")}`, personality: d.personality ?? (modelRow(d.model).driver === "quectel-dsim" ? "quectel-ec25-dsim" : "generic") });
    else banks.push({ id: d.id, model: d.model, ...(d.rows ? { rows: d.rows } : {}), ...(d.personality ? { personality: d.personality } : {}) });
  }
  return new Farm({ timing: config.simulatedTiming, modems, banks, seed: config.simulatedSeed });
};

/** The simulated modems of one device, in position order. */
export const simulatedModemsOf = (farm: Farm, device: DeviceConfig) => [...farm.modems.values()].filter((m) => m.id.startsWith(`${device.id}-m`));

/** The line to a simulated bank's SR controller. */
export const openSimulatedBank = (farm: Farm, device: string) => openSimulated(new SrController(farm.banks.get(device)!), `sim://${device}/bank`);

const SENDERS = ["Shop", "MyBank", "+15557001234", "Delivery", "+15557005678"];

/** The demo's traffic: a verification code to a random registered SIM every `everyMs`. */
export const demoTraffic = (farm: Farm, everyMs: number): Effect.Effect<void, never, Scope.Scope> => {
  const random = seededRandom(1);
  return Effect.sync(() => {
    const serving = [...farm.modems.values()].filter((m) => m.registered && m.sim);
    const target = serving[Math.floor(random() * serving.length)];
    if (!target?.sim) return;
    const code = String(1000 + Math.floor(random() * 9000));
    farm.network.sendSms({ to: target.sim.number, from: SENDERS[Math.floor(random() * SENDERS.length)]!, text: `Your code is ${code}` });
  }).pipe(Effect.repeat(Schedule.spaced(everyMs)), Effect.delay(everyMs), Effect.forkScoped, Effect.asVoid);
};

/**
 * The simulator's control routes, served under `prefix` by the service: one entry of the
 * service's route table (written in its shape, as this layer does not import the facades'),
 * every method and path below the prefix answered by the simulator's own table, its 404 and
 * 405 included.
 */
export const simulatorRoutes = (farm: Farm, prefix: string) => {
  const control = controlHandler({ farm }, prefix);
  return [{ methods: "any" as const, path: `${prefix}/*`, handle: async (req: IncomingMessage, res: ServerResponse) => void (await control(req, res)) }];
};
