/**
 * The hardware: a simulated SR-Box-Bank (8 modems and its controller) and a pool of plain
 * modems of several personalities, all on pseudo-terminals with stable symlinks (like
 * /dev/serial/by-id, so a replugged modem that comes back on another tty is found again),
 * and the simgate.config.json that describes them to the service as real hardware.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Farm } from "../../hil/farm";
import type { VirtualModem } from "../../hil/modem/modem";
import type { SimCard } from "../../hil/network/sim-card";
import { ServedFarm } from "../../hil/serve";
import type { SimBank } from "../../hil/bank/sim-bank";
import type { Profile } from "./profiles";

export interface Rig {
  readonly farm: Farm;
  readonly served: ServedFarm;
  readonly bank: SimBank;
  readonly poolModems: readonly VirtualModem[];
  readonly modems: readonly VirtualModem[];
  readonly cards: readonly SimCard[];
  /** Where each pool modem's own card lives (a pulled card goes back there). */
  readonly homeCard: ReadonlyMap<string, SimCard>;
  readonly configFile: string;
  readonly stop: () => Promise<void>;
}

const BANK = "bank";
const POOL = "pool";

export const startRig = async (profile: Profile, farmSeed: number): Promise<Rig> => {
  const poolIds = profile.poolPersonalities.map((_, i) => `${POOL}-m${String(i + 1).padStart(2, "0")}`);
  const farm = new Farm({
    seed: farmSeed,
    timing: profile.timing,
    modems: profile.poolPersonalities.map((personality, i) => ({ id: poolIds[i]!, personality })),
    banks: [{ id: BANK, model: "sr-box-bank", rows: profile.bankRows, personality: profile.bankPersonality }],
  });
  const dir = mkdtempSync(join(tmpdir(), "simgate-faults-"));
  const linkDir = join(dir, "serial");
  const served = await ServedFarm.start(farm, { linkDir });
  await farm.settled(30_000);
  const bank = farm.banks.get(BANK)!;
  const poolModems = poolIds.map((id) => farm.modem(id));
  const link = (id: string) => join(linkDir, id);
  const configFile = join(dir, "simgate.config.json");
  writeFileSync(
    configFile,
    JSON.stringify(
      {
        devices: [
          { id: BANK, model: "sr-box-bank", rows: profile.bankRows, modems: bank.modemList.map((m) => link(m.id)), bank: link(BANK), rotateEveryMs: profile.rotateEveryMs },
          { id: POOL, model: "pool", modems: poolIds.map(link) },
        ],
        demo: { smsEveryMs: 0 },
      },
      null,
      2,
    ),
  );
  return {
    farm,
    served,
    bank,
    poolModems,
    modems: [...farm.modems.values()],
    cards: [...farm.network.sims.values()],
    homeCard: new Map(poolModems.map((m) => [m.id, m.sim!])),
    configFile,
    stop: async () => {
      await served.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

/** The card a modem should hold: a pool modem its own, a bank modem its position's. */
export const rightfulCard = (rig: Rig, modem: VirtualModem): SimCard | null => {
  const home = rig.homeCard.get(modem.id);
  if (home) return home;
  const n = rig.bank.modemList.indexOf(modem) + 1;
  // A modem whose contacts the service opened (modem>disconnect) rightly holds nothing.
  if (n === 0 || !rig.bank.isConnected(n)) return null;
  return rig.bank.cardAt(rig.bank.positionOf(n)) ?? null;
};
