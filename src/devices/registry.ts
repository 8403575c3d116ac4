/**
 * Every configured modem gets a supervised actor that stores what it receives. Real modems
 * are opened by path or tcp:// address; simulated devices share one virtual network (so
 * their SIMs can text each other) and are reached in process.
 */
import { Effect, Option, SubscriptionRef, type Scope } from "effect";
import type { Kysely } from "kysely";
import { superviseModem, type SupervisedModem } from "../../drivers/modem/supervisor";
import { openSerial } from "../../drivers/transport/serial";
import { openTcp } from "../../drivers/transport/tcp";
import { simStatusOf, type SimStatus } from "../../drivers/modem/state";
import { fixedBank, type SimBankDriver } from "../../drivers/bank/sim-bank-driver";
import { makeSrSerialBank, srBankLayout } from "../../drivers/bank/sr-serial";
import { reopeningBank } from "../../drivers/bank/reopening-bank";
import { quectelDsimBank } from "../../drivers/bank/quectel-dsim";
import { layoutOf, modelRow, reachable, rowsOf } from "../../protocol/bank/models";
import { isSrModel } from "../../protocol/sr/topology";
import type { Config, DeviceConfig } from "../config/config";
import type { Database } from "../store/schema";
import { INCOMPLETE_RELEASE, makeStoreSink, releaseIncompleteEvery } from "../store/sms-sink";
import { openSimulated } from "./simulated-transport";
import { demoTraffic, openSimulatedBank, simulatedFarm, simulatedModemsOf, type Farm } from "./simulated";
import { recordModemCards } from "./modem-cards";

export interface RegisteredModem {
  readonly device: string;
  /** 1-based within its device. */
  readonly position: number;
  readonly target: string;
  readonly supervised: SupervisedModem;
}

/** A device with its SIM bank, as the scheduler drives it. */
export interface RegisteredDevice {
  readonly config: DeviceConfig;
  readonly driver: SimBankDriver;
  /** Modem n is modems[n - 1]. */
  readonly modems: readonly RegisteredModem[];
  /** Where the modems stand at start, when the bank cannot move (one SIM per modem). */
  readonly initial?: ReadonlyArray<readonly [number, string]>;
}

export interface Registry {
  readonly modems: readonly RegisteredModem[];
  readonly devices: readonly RegisteredDevice[];
  /** The virtual network of the simulated devices, when there are any. */
  readonly farm: Farm | null;
}

export const startRegistry = (config: Config, db: Kysely<Database>): Effect.Effect<Registry, never, Scope.Scope> =>
  Effect.gen(function* () {
    const farm = simulatedFarm(config);
    if (farm) {
      yield* Effect.addFinalizer(() => Effect.sync(() => farm.stop()));
      farm.start();
    }
    const actorOptions = { ownNumberCodes: config.ownNumberCodes, healthEveryMs: 30_000, backoff: { minMs: 1_000, maxMs: 10_000 } };
    const modems: RegisteredModem[] = [];
    const devices: RegisteredDevice[] = [];
    for (const device of config.devices) {
      const own: RegisteredModem[] = [];
      if (device.modems === "simulated") {
        for (const [i, modem] of simulatedModemsOf(farm!, device).entries()) {
          const target = `sim://${modem.id}`;
          const sink = makeStoreSink(db, { device: device.id, modem: i + 1 });
          own.push({ device: device.id, position: i + 1, target, supervised: yield* superviseModem({ ...actorOptions, sink, open: openSimulated(modem, target) }) });
        }
      } else
        for (const [i, m] of device.modems.entries()) {
          const target = m.kind === "serial" ? m.path : m.url;
          const open = m.kind === "serial" ? openSerial(m.path) : openTcp(m.url);
          const sink = makeStoreSink(db, { device: device.id, modem: i + 1 });
          own.push({ device: device.id, position: i + 1, target, supervised: yield* superviseModem({ ...actorOptions, sink, open }) });
        }
      modems.push(...own);
      devices.push(yield* bankOf(device, own, farm));
    }
    // Which card sits on which modem, for messages found in a modem's own memory.
    yield* recordModemCards(db, modems);
    // Messages whose last part never came are released with the gap marked.
    yield* releaseIncompleteEvery(db, INCOMPLETE_RELEASE).pipe(Effect.forkScoped);
    if (farm && config.demoSmsEveryMs > 0) yield* demoTraffic(farm, config.demoSmsEveryMs);
    return { modems, devices, farm };
  });

/** The device's SIM bank, by its model's driver: the SR controller (simulated, or on its line), AT+QDSIM, or one SIM per modem. */
const bankOf = (device: DeviceConfig, modems: readonly RegisteredModem[], farm: Farm | null): Effect.Effect<RegisteredDevice, never, Scope.Scope> =>
  Effect.gen(function* () {
    const model = device.model;
    switch (modelRow(model).driver) {
      case "quectel-dsim":
        // Which slot a dual-SIM modem is on is not assumed (it persists across power cycles): the scan finds out.
        return { config: device, driver: quectelDsimBank(modems.length), modems };
      case "fixed": {
        const layout = layoutOf(model, rowsOf(model), modems.length);
        const label = (n: number) => reachable(layout, n)[0]!;
        const driver = fixedBank(modems.length, label);
        return { config: device, driver, modems, initial: modems.map((_, i) => [i + 1, label(i + 1)] as const) };
      }
      case "sr-serial": {
        if (!isSrModel(model)) return yield* Effect.die(new Error(`${model}: the SR controller drives only aggregators with a fixed modem count`));
        const rows = device.modems === "simulated" ? farm!.banks.get(device.id)!.rows : rowsOf(model, device.rows);
        const open =
          device.modems === "simulated"
            ? Effect.suspend(() => openSimulatedBank(farm!, device.id))
            : device.bank!.kind === "serial"
              ? openSerial(device.bank!.path)
              : openTcp(device.bank!.url);
        // The controller's line is opened again whenever it vanished (a USB adapter replugged),
        // and later when it is not there at start: the modems work meanwhile.
        const driver = yield* reopeningBank(srBankLayout(model, rows), open, (line) => makeSrSerialBank(line, { model, rows }), (detail) =>
          Effect.logInfo(`SIM bank: ${detail}`).pipe(Effect.annotateLogs({ device: device.id })),
        );
        return { config: device, driver, modems };
      }
    }
  });

export interface ModemStatus {
  readonly device: string;
  readonly position: number;
  readonly target: string;
  readonly connected: boolean;
  readonly simStatus: SimStatus;
  readonly iccid: string | null;
  readonly number: string | null;
  readonly operator: string | null;
}

export const modemStatuses = (registry: Registry): Effect.Effect<ModemStatus[]> =>
  Effect.forEach(registry.modems, (m) =>
    Effect.gen(function* () {
      const actor = yield* SubscriptionRef.get(m.supervised.actor);
      if (Option.isNone(actor)) return { device: m.device, position: m.position, target: m.target, connected: false, simStatus: -3 as SimStatus, iccid: null, number: null, operator: null };
      const s = yield* SubscriptionRef.get(actor.value.state);
      return { device: m.device, position: m.position, target: m.target, connected: true, simStatus: simStatusOf(s), iccid: s.sim?.iccid ?? null, number: s.sim?.number ?? null, operator: s.operator };
    }),
  );
