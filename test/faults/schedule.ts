/**
 * The seeded fault schedule: which fault hits which modem when, for how long, and what
 * traffic goes through it. Everything random is drawn here, up front, from one seed, so a
 * failing run is replayed by giving the same seed and profile (the service's own timing
 * still varies between runs; the faults and the traffic do not).
 */
import { seededRandom } from "../../hil/timing";
import type { Profile } from "./profiles";

/** Faults on one modem, each what the simulator can inject (hil/control/http.ts, hil/modem/faults.ts). */
export const MODEM_FAULTS = [
  "hang",
  "late-within",
  "late-beyond",
  "garbage",
  "urc-in-response",
  "urc-at-prompt",
  "fail-send",
  "command-fault",
  "send-without-reference",
  "reboot",
  "power",
  "unplug",
  "sim-pull",
  "storage-full",
  "registration-loss",
] as const;
/** Faults on the SIM bank's controller (hil/bank/sr-controller.ts). */
export const CONTROLLER_FAULTS = ["controller-hang", "controller-unplug"] as const;
export const HARDWARE_FAULTS = [...MODEM_FAULTS, ...CONTROLLER_FAULTS] as const;
export type HardwareFault = (typeof HARDWARE_FAULTS)[number];
export type ServiceFault = "service-kill" | "db-kill";
/** What a message is filed under in the report: the fault it was sent into, or none. */
export type FaultKind = HardwareFault | ServiceFault | "none";
export const FAULT_KINDS: readonly FaultKind[] = [...HARDWARE_FAULTS, "service-kill", "db-kill", "none"];

export type MessageKind = "short" | "multipart" | "ucs2" | "sim-to-sim";

export interface TrafficItem {
  /** in: to the card (from the network, or from another farm SIM); out: from the card. */
  readonly direction: "in" | "out";
  readonly kind: MessageKind;
  /** Outbound (and SIM-to-SIM) sends go through one of the two APIs. */
  readonly api: "simfolder" | "srnav";
  /** From the episode's start. */
  readonly offsetMs: number;
  /** Picks the other card of a SIM-to-SIM message, or the card of background traffic. */
  readonly pick: number;
  /** Picks the sender name of a network message. */
  readonly senderPick: number;
}

/** A fault on one modem, or on the bank's controller. */
export interface HardwareEpisode {
  readonly id: number;
  readonly kind: HardwareFault;
  /** The modem, or the controller (the bank's id). */
  readonly modem: string;
  readonly atMs: number;
  readonly durationMs: number;
  /** lateMs for the late faults. */
  readonly lateMs: number;
  /** registration-loss: what the network gives meanwhile. */
  readonly registration: "none" | "searching";
  /** fail-send: which send from now fails (+CMS ERROR: 500); send-without-reference: how many. */
  readonly failNth: number;
  /** command-fault: which of the command faults (inject.ts), as a number in [0, 1). */
  readonly variant: number;
  /** garbage bursts, or URC lines to slip in. */
  readonly repeats: number;
  /** The URC slipped into a reply or before a prompt. */
  readonly urc: string;
  readonly traffic: readonly TrafficItem[];
}

export interface KillEpisode {
  readonly id: number;
  readonly kind: ServiceFault;
  /** Traffic starts here; the kill follows after killDelayMs. */
  readonly atMs: number;
  readonly killDelayMs: number;
  /** service-kill: how long the service stays down. */
  readonly downMs: number;
  readonly traffic: readonly TrafficItem[];
}

export interface BackgroundItem {
  readonly atMs: number;
  readonly item: TrafficItem;
}

export interface Schedule {
  readonly seed: number;
  readonly episodes: readonly (HardwareEpisode | KillEpisode)[];
  readonly background: readonly BackgroundItem[];
}

/** Lines a modem might slip in: registration, signal, a new-message index that may be empty. */
const URCS = ["+CREG: 1", '+CMTI: "SM",0', "+CSQ: 17,99", "RING", '+CMTI: "ME",1', "+CGREG: 1"];

const SIMULTANEOUS_FAULT_GAP_MS = 1_000;

/** A modem and the class it stands for: its personality, or the bank. */
export interface ScheduledModem {
  readonly id: string;
  readonly group: string;
}

export const buildSchedule = (profile: Profile, seed: number, modems: readonly ScheduledModem[], controllers: readonly string[]): Schedule => {
  const random = seededRandom(seed);
  const between = (lo: number, hi: number) => Math.round(lo + random() * (hi - lo));
  const pickOf = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const scale = (ms: number) => Math.round(ms * profile.durationScale);
  const phase = profile.faultPhaseMs;

  const item = (direction: "in" | "out", offsetMs: number, kinds: readonly MessageKind[] = ["short", "short", "multipart", "ucs2", "sim-to-sim"]): TrafficItem => ({
    direction,
    kind: pickOf(kinds),
    api: random() < 0.25 ? "srnav" : "simfolder",
    offsetMs,
    pick: random(),
    senderPick: random(),
  });

  // Every kind equally often, in a seeded order: a short profile still sees each of them.
  const kinds: HardwareFault[] = [];
  while (kinds.length < profile.faults) kinds.push(...HARDWARE_FAULTS);
  kinds.length = profile.faults;
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!];
  }
  const starts = kinds.map(() => between(phase * 0.03, phase * 0.9)).sort((a, b) => a - b);

  // Each modem fault goes round the groups (every plain personality, and the bank) in turn,
  // so five of a kind hit each group once: a Quectel reboot, a SIMCom SIM pull, a bank hang.
  const groups = [...new Set(modems.map((m) => m.group))];
  const turn = new Map(MODEM_FAULTS.map((k) => [k, Math.floor(random() * groups.length)]));
  const controllerFault = new Set<string>(CONTROLLER_FAULTS);
  const busyUntil = new Map([...modems.map((m) => m.id), ...controllers].map((id) => [id, 0]));
  const episodes: (HardwareEpisode | KillEpisode)[] = [];
  let id = 0;
  kinds.forEach((kind, i) => {
    let members: string[];
    if (controllerFault.has(kind)) members = [...controllers];
    else {
      const n = turn.get(kind as (typeof MODEM_FAULTS)[number])!;
      turn.set(kind as (typeof MODEM_FAULTS)[number], n + 1);
      members = modems.filter((m) => m.group === groups[n % groups.length]).map((m) => m.id);
    }
    // One fault per modem at a time: a second would hide the first's effect. When the whole
    // group is busy the fault waits for the first of them to be free.
    const freeAt = (m: string) => busyUntil.get(m)! + SIMULTANEOUS_FAULT_GAP_MS;
    const at = Math.max(starts[i]!, Math.min(...members.map(freeAt)));
    const modem = pickOf(members.filter((m) => freeAt(m) <= at));
    const duration = scale(
      {
        hang: between(2_000, 15_000),
        "late-within": between(4_000, 12_000),
        "late-beyond": between(8_000, 20_000),
        garbage: between(2_000, 4_000),
        "urc-in-response": between(1_000, 3_000),
        "urc-at-prompt": between(3_000, 8_000),
        "fail-send": between(3_000, 8_000),
        "command-fault": between(3_000, 10_000),
        "send-without-reference": between(3_000, 8_000),
        reboot: 3_000,
        power: between(2_000, 12_000),
        unplug: between(2_000, 12_000),
        "sim-pull": between(2_000, 12_000),
        "storage-full": between(3_000, 15_000),
        "registration-loss": between(3_000, 15_000),
        "controller-hang": between(2_000, 8_000),
        "controller-unplug": between(2_000, 8_000),
      }[kind],
    );
    busyUntil.set(modem, at + duration);
    // Traffic lands while the fault holds: the first item right away, the rest within it.
    const within = () => between(0, Math.min(duration, scale(3_000)));
    const traffic: TrafficItem[] = [];
    const inbound = between(1, 2);
    for (let n = 0; n < inbound; n++) traffic.push(item("in", n === 0 ? 0 : within()));
    // The send-path faults need a send through the faulted modem.
    const outbound = kind === "fail-send" || kind === "urc-at-prompt" || kind === "send-without-reference" ? between(1, 2) : random() < 0.4 ? 1 : 0;
    for (let n = 0; n < outbound; n++) traffic.push(item("out", n === 0 ? between(0, 300) : within(), ["short", "short", "multipart", "ucs2", "sim-to-sim"]));
    episodes.push({
      id: ++id,
      kind,
      modem,
      atMs: at,
      durationMs: duration,
      // Within: under the 5 s query timeout. Beyond: past it (but under +CMGS's 60 s).
      lateMs: kind === "late-within" ? between(300, 3_000) : kind === "late-beyond" ? between(5_500, 9_000) : 0,
      registration: random() < 0.5 ? "none" : "searching",
      failNth: between(1, 2),
      variant: random(),
      repeats: between(1, 3),
      urc: pickOf(URCS),
      traffic: traffic.sort((a, b) => a.offsetMs - b.offsetMs),
    });
  });

  // Service kills spread evenly (with jitter), each preceded by a burst of sends so some are
  // in flight when the process dies, and inbound traffic while it is down.
  for (let k = 0; k < profile.serviceKills; k++) {
    const slot = phase / profile.serviceKills;
    const killDelayMs = between(200, 1_500);
    const downMs = between(profile.downMs[0], profile.downMs[1]);
    const traffic: TrafficItem[] = [];
    const sends = between(3, 5);
    for (let n = 0; n < sends; n++) traffic.push(item("out", between(0, killDelayMs)));
    for (let n = 0; n < 2; n++) traffic.push(item("in", between(0, killDelayMs + downMs)));
    episodes.push({ id: ++id, kind: "service-kill", atMs: Math.round(slot * k + slot * (0.3 + random() * 0.4)), killDelayMs, downMs, traffic: traffic.sort((a, b) => a.offsetMs - b.offsetMs) });
  }
  for (let k = 0; k < profile.dbKills; k++) {
    const killDelayMs = between(100, 1_000);
    const traffic: TrafficItem[] = [];
    const sends = between(2, 4);
    for (let n = 0; n < sends; n++) traffic.push(item("out", between(0, killDelayMs)));
    traffic.push(item("in", between(0, killDelayMs)));
    episodes.push({ id: ++id, kind: "db-kill", atMs: between(phase * 0.05, phase * 0.95), killDelayMs, downMs: 0, traffic: traffic.sort((a, b) => a.offsetMs - b.offsetMs) });
  }

  const background: BackgroundItem[] = [];
  for (let at = profile.backgroundEveryMs; at < phase; at += between(profile.backgroundEveryMs * 0.5, profile.backgroundEveryMs * 1.5))
    background.push({ atMs: at, item: item(random() < 0.6 ? "in" : "out", 0) });

  return { seed, episodes: episodes.sort((a, b) => a.atMs - b.atMs), background };
};
