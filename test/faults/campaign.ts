/**
 * The fault campaign: the simulated farm on PTYs as real hardware, the service on a
 * throwaway PostgreSQL database as a child process, traffic in and out, and a seeded
 * schedule of every fault the simulator can inject, plus service SIGKILLs and killed
 * database connections. Then a settle phase (every fault cleared, retries and rotation
 * allowed to run) and the comparison of the ledger with what the system holds.
 *
 *   const report = await runCampaign(PROFILES.short, 1234);
 *   console.log(formatSummary(report));
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import { POOL_KEY, ServiceProcess } from "./service";
import { collectEvidence, hardwareBacklog } from "./evidence";
import { clearEverything, injectFault } from "./inject";
import { Ledger, type Origin } from "./ledger";
import type { Profile } from "./profiles";
import { classify, type Report } from "./report";
import { rightfulCard, startRig, type Rig } from "./rig";
import { buildSchedule, type KillEpisode, type HardwareEpisode, type TrafficItem } from "./schedule";
import { openCampaignStore, type CampaignStore } from "./store";
import { Traffic } from "./traffic";

/** The farm's identities are fixed; the seed drives the schedule. */
const FARM_SEED = 7;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

export interface CampaignOptions {
  /** Progress lines (default: none). */
  readonly log?: (line: string) => void;
}

/**
 * Keeps the service running as a process manager would: restarts it after a crash, and
 * serialises planned kills with restarts so two never overlap.
 */
class Keeper {
  private queue: Promise<unknown> = Promise.resolve();
  private stopping = false;
  constructor(
    private readonly service: ServiceProcess,
    private readonly log: (line: string) => void,
  ) {}

  /** Runs a lifecycle step after the ones before it. */
  step<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Starts it unless it runs; a start that fails (its database killed meanwhile) is tried again. */
  ensureUp(): Promise<void> {
    return this.step(async () => {
      for (let attempt = 1; !this.service.running && !this.stopping; attempt++) {
        try {
          await this.service.start();
        } catch (error) {
          if (attempt >= 5) throw error;
          this.log(`service start failed (attempt ${attempt}): ${(error as Error).message.split("\n")[0]}`);
          await sleep(1_000 * attempt);
        }
      }
    });
  }

  crashed(): void {
    if (this.stopping) return;
    void sleep(1_000).then(() => this.ensureUp().catch((e: Error) => this.log(`restart after crash failed: ${e.message}`)));
  }

  async stop(): Promise<void> {
    await this.step(async () => {
      this.stopping = true;
      await this.service.stop();
    });
  }
}

export const runCampaign = async (profile: Profile, seed: number, options: CampaignOptions = {}): Promise<Report> => {
  const log = options.log ?? (() => {});
  const t0 = Date.now();
  const timings: Record<string, number> = {};
  const notes: string[] = [];
  const ledger = new Ledger();
  let store: CampaignStore | null = null;
  let rig: Rig | null = null;
  let keeper: Keeper | null = null;
  try {
    store = await openCampaignStore(profile.database);
    const db = store;
    log(`database: ${profile.database === "server" ? "PostgreSQL server" : "embedded (PGlite)"}`);
    rig = await startRig(profile, FARM_SEED);
    const theRig = rig;
    // The service's whole output, for reading a failure afterwards.
    const logFile = join(tmpdir(), `simgate-faults-${profile.name}-${seed}-${process.pid}.log`);
    log(`service output: ${logFile}`);
    const service = new ServiceProcess({
      databaseEnv: db.serviceEnv,
      configFile: rig.configFile,
      logFile,
      onCrash: (detail) => {
        log(`service crashed: ${detail.split("\n")[0]}`);
        // Read before the restart the keeper is about to make (the embedded database is
        // one process's at a time).
        void keeper
          ?.step(() => db.inFlightWhileDown().catch(() => [] as number[]))
          .then((ids) => ledger.addKill({ kind: "crash", at: Date.now(), inFlight: ids, detail }));
        keeper?.crashed();
      },
    });
    keeper = new Keeper(service, log);
    const up = keeper;
    await up.ensureUp();
    // The start-up scan reads every card (the bank's by switching through its rows).
    const cards = rig.cards.length;
    const scanDeadline = Date.now() + (profile.timing === "realistic" ? 600_000 : 180_000);
    for (;;) {
      const known = await db.knownCards(service.url);
      if (known >= cards) break;
      if (Date.now() > scanDeadline) throw new Error(`the service's scan found ${known} of ${cards} cards:\n${service.tail()}`);
      await sleep(250);
    }
    timings.setup = Date.now() - t0;
    log(`service up, ${cards} cards scanned in ${(timings.setup / 1000).toFixed(1)} s`);

    // ---- the fault phase -----------------------------------------------------------------
    // The embedded database has no connections to kill.
    const schedule = buildSchedule(
      db.kind === "embedded" ? { ...profile, dbKills: 0 } : profile,
      seed,
      rig.modems.map((m) => ({ id: m.id, group: theRig.bank.modemList.includes(m) ? "bank" : m.personality.name })),
      [...rig.served.controllers.keys()],
    );
    const traffic = new Traffic(rig, ledger, service, profile.timing === "realistic" ? 90_000 : 30_000);
    const phaseStart = Date.now();
    const running = new Set<Promise<void>>();
    const track = (work: Promise<void>, what: string) => {
      const p = work.catch((error: Error) => void notes.push(`${what}: ${error.message.split("\n")[0]}`));
      running.add(p);
      void p.finally(() => running.delete(p));
    };
    const sendTraffic = (items: readonly TrafficItem[], card: () => ReturnType<typeof traffic.pickCard> | null, origin: Origin) => {
      for (const item of items)
        setTimeout(() => traffic.run(item, card() ?? traffic.pickCard(item.pick), origin), item.offsetMs);
    };

    const bankCards = rig.bank.layout.positions.map((p) => theRig.bank.cardAt(p)!);
    const hardwareEpisode = async (ep: HardwareEpisode) => {
      const modem = theRig.farm.modems.get(ep.modem);
      // The card as the fault hits: a pulled card still gets its messages (the SMSC keeps
      // them). A controller fault: cards of its bank, most of them waiting for a switch.
      const card = modem ? (modem.sim ?? rightfulCard(theRig, modem)) : null;
      const pick = modem ? () => card : null;
      const record = ledger.addFault({ fault: ep.kind, episode: ep.id, modem: ep.modem, at: Date.now(), card: card?.iccid ?? null, cleared: null });
      const clear = await injectFault(theRig, ep);
      if (pick) sendTraffic(ep.traffic, pick, { fault: ep.kind, episode: ep.id, modem: ep.modem });
      else for (const item of ep.traffic) setTimeout(() => traffic.run(item, bankCards[Math.floor(item.pick * bankCards.length)]!, { fault: ep.kind, episode: ep.id, modem: ep.modem }), item.offsetMs);
      await sleep(ep.durationMs);
      await clear();
      record.cleared = Date.now();
    };

    const killEpisode = async (ep: KillEpisode) => {
      // Each send gets its own random card; a burst of them is in flight when the kill lands.
      sendTraffic(ep.traffic, () => null, { fault: ep.kind, episode: ep.id, modem: null });
      await sleep(ep.killDelayMs);
      if (ep.kind === "service-kill") {
        await up.step(async () => {
          await service.kill();
          ledger.addKill({ kind: "service-kill", at: Date.now(), inFlight: await db.inFlightWhileDown(), detail: `episode ${ep.id}` });
          log(`service killed (episode ${ep.id}), down for ${ep.downMs} ms`);
        });
        await sleep(ep.downMs);
        await up.ensureUp();
      } else {
        const killed = await db.killConnections();
        ledger.addKill({ kind: "db-kill", at: Date.now(), inFlight: await db.inFlightWhileDown(), detail: `episode ${ep.id}: ${killed} connections` });
      }
    };

    const timeline = [
      ...schedule.episodes.map((ep) => ({ at: ep.atMs, run: () => track(ep.kind === "service-kill" || ep.kind === "db-kill" ? killEpisode(ep as KillEpisode) : hardwareEpisode(ep as HardwareEpisode), `episode ${ep.id} (${ep.kind})`) })),
      ...schedule.background.map((b) => ({ at: b.atMs, run: () => traffic.run(b.item, traffic.pickCard(b.item.pick), { fault: "none", episode: null, modem: null }) })),
    ].sort((a, b) => a.at - b.at);
    let lastLog = Date.now();
    for (const event of timeline) {
      await sleep(phaseStart + event.at - Date.now());
      event.run();
      if (Date.now() - lastLog > 15_000) {
        lastLog = Date.now();
        log(`t+${Math.round((Date.now() - phaseStart) / 1000)} s: ${ledger.faults.length} faults, ${ledger.kills.length} kills, ${ledger.inbound.length} in, ${ledger.outbound.length} out`);
      }
    }
    while (running.size > 0) await Promise.race(running);
    timings.faults = Date.now() - phaseStart;

    // ---- settle --------------------------------------------------------------------------
    const settleStart = Date.now();
    await clearEverything(rig);
    await up.ensureUp();
    await traffic.drain(profile.timing === "realistic" ? 120_000 : 75_000);
    // SR-Navigator clients that lost their close to a kill leave cards held: let them go.
    if (service.url) await fetch(`${service.url}/api/handler.php?pool_key=${POOL_KEY}&action=poolRestart`).catch(() => undefined);
    const deadline = settleStart + profile.settleMs;
    let quietSince: number | null = null;
    let backlogText = "";
    while (Date.now() < deadline) {
      await up.ensureUp().catch(() => undefined);
      const backlog = hardwareBacklog(rig);
      const open = await db.openSends(service.url);
      backlogText = `${backlog.atSmsc} at the SMSC, ${backlog.onSims} on SIMs, ${backlog.inModems} in modem memory, ${open ?? "?"} sends open`;
      if (open === 0 && backlog.atSmsc + backlog.onSims + backlog.inModems === 0) {
        quietSince ??= Date.now();
        // A little longer: a status report, an assembly, a retry may still be on its way.
        if (Date.now() - quietSince >= 5_000) break;
      } else quietSince = null;
      await sleep(1_000);
    }
    if (quietSince === null) notes.push(`settle phase ended at its deadline (${profile.settleMs / 1000} s) with ${backlogText}`);
    timings.settle = Date.now() - settleStart;
    log(`settled in ${(timings.settle / 1000).toFixed(1)} s: ${backlogText}`);

    // The service stops before the evidence is read, so nothing moves while it is.
    await up.stop();
    const evidence = await db.whileDown((client) => collectEvidence(theRig, client));
    timings.total = Date.now() - t0;
    return classify({ profile: profile.name, seed, ledger, evidence, timings, notes });
  } finally {
    await keeper?.stop().catch(() => undefined);
    await rig?.stop().catch(() => undefined);
    await store?.close().catch(() => undefined);
  }
};
