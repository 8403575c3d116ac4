/**
 * Puts each modem fault on the simulated hardware and takes it off again, the way the
 * simulator's control routes do (hil/control/http.ts), and puts the whole farm back in order
 * for the settle phase.
 */
import type { CommandFault } from "../../hil/modem/faults";
import type { VirtualModem } from "../../hil/modem/modem";
import { rightfulCard, type Rig } from "./rig";
import type { HardwareEpisode } from "./schedule";

const REGISTRATION = { none: 0, searching: 2 } as const;

/**
 * Commands answered otherwise, as modems in the field do: an error where the prompt should
 * be, a listing or a delete that fails, a read that answers past the query timeout, a SIM
 * still being read, a storage selection refused (a Quectel then stays on ME), a probe
 * answered ERROR.
 */
export const COMMAND_FAULTS: readonly CommandFault[] = [
  { command: "+CMGS=", reply: { lines: [], final: { cms: 330 } }, times: 1 },
  { command: "+CMGR=", delayMs: 6_000, times: 1 },
  { command: "+CMGL=", reply: { lines: [], final: "ERROR" }, times: 1 },
  { command: "+CMGD=", reply: { lines: [], final: "ERROR" }, times: 2 },
  { command: "+CPMS=", reply: { lines: [], final: { cms: 302 } }, times: 1 },
  { command: "+CPIN?", delayMs: 3_000, times: 2 },
  { command: "+CNMI=", reply: { lines: [], final: "ERROR" }, times: 1 },
  { command: "AT", reply: { lines: [], final: "ERROR" }, times: 1 },
];

/** Injects the episode's fault; the returned function clears it (idempotent). */
export const injectFault = async (rig: Rig, episode: HardwareEpisode): Promise<() => Promise<void>> => {
  if (episode.kind === "controller-unplug") {
    // The controller's USB-serial line vanishes and comes back on another tty.
    await rig.served.unplug(episode.modem);
    return () => rig.served.replug(episode.modem);
  }
  if (episode.kind === "controller-hang") {
    // The controller reads its commands and answers none: every switch on the bank fails.
    const controller = rig.served.controllers.get(episode.modem)!;
    controller.hanging = true;
    return async () => void (controller.hanging = false);
  }
  const modem = rig.farm.modem(episode.modem);
  const f = modem.faults;
  // One-shot faults that did not fire while the fault held are taken back with it, so a
  // later message is not put down to this episode (one fault per modem: nothing else is lost).
  const oneShot = async () => f.clear();
  switch (episode.kind) {
    case "hang":
      f.hanging = true;
      return async () => void (f.hanging = false);
    case "late-within":
    case "late-beyond":
      f.lateMs = episode.lateMs;
      return async () => void (f.lateMs = 0);
    case "garbage": {
      // Noise now and again while the fault lasts, some of it in the middle of replies.
      modem.injectGarbage();
      const timers = Array.from({ length: episode.repeats - 1 }, (_, i) => setTimeout(() => modem.injectGarbage(), ((i + 1) * episode.durationMs) / episode.repeats));
      return async () => timers.forEach(clearTimeout);
    }
    case "urc-in-response":
      for (let i = 0; i < episode.repeats; i++) f.injectUrcInResponse(episode.urc);
      return oneShot;
    case "urc-at-prompt":
      f.injectUrcAtPrompt(episode.urc);
      return oneShot;
    case "fail-send":
      f.failSend(episode.failNth, 500);
      return oneShot;
    case "command-fault":
      f.overrideCommand(COMMAND_FAULTS[Math.floor(episode.variant * COMMAND_FAULTS.length)]!);
      return oneShot;
    case "send-without-reference":
      // Accepted with a bare OK and no +CMGS: <mr> (some firmwares): sent, but no reference.
      f.sendsWithoutReference = episode.failNth;
      return oneShot;
    case "reboot":
      modem.reboot();
      return async () => {};
    case "power":
      modem.powerOff();
      return async () => void (modem.powered || modem.powerOn());
    case "unplug":
      await rig.served.unplug(modem.id);
      return () => rig.served.replug(modem.id);
    case "sim-pull":
      modem.setSim(null);
      return async () => reinsert(rig, modem);
    case "storage-full":
      f.storageFull = true;
      return async () => {
        f.storageFull = false;
        // As the control route does: the SMSC retries what it kept once memory frees.
        modem.storageChanged();
      };
    case "registration-loss":
      modem.overrideRegistration(REGISTRATION[episode.registration]);
      return async () => modem.overrideRegistration(null);
  }
};

/** The pulled card goes back (a bank switch may have put one in meanwhile: then it stays). */
const reinsert = (rig: Rig, modem: VirtualModem) => {
  if (modem.sim) return;
  const card = rightfulCard(rig, modem);
  if (card && ![...rig.farm.modems.values()].some((m) => m.sim === card)) modem.setSim(card);
};

/** Settle: every fault off, every modem plugged in and powered, every card back in place. */
export const clearEverything = async (rig: Rig): Promise<void> => {
  for (const [id, controller] of rig.served.controllers) {
    controller.hanging = false;
    if (rig.served.pathOf(id) === null) await rig.served.replug(id);
  }
  for (const modem of rig.modems) {
    const wasFull = modem.faults.storageFull;
    modem.faults.clear();
    if (wasFull) modem.storageChanged();
    if (rig.served.pathOf(modem.id) === null) await rig.served.replug(modem.id);
    if (!modem.powered) modem.powerOn();
    if (modem.registrationOverride !== null) modem.overrideRegistration(null);
    reinsert(rig, modem);
  }
};
