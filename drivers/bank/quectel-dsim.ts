/**
 * Dual-SIM modems as a SIM bank: each modem has two slots, switched by the modem itself with
 * AT+QDSIM=<0|1> (Quectel's dual-SIM single-standby variants). Positions are
 * `<modem>-<slot>` (`3-2`: modem 3, second slot). The switch runs on the modem's port while
 * the scheduler holds it, and is checked with AT+QDSIM? before it counts.
 */
import { Effect } from "effect";
import type { DirectAt } from "../at/at-port";
import { BankError, type SimBankDriver } from "./sim-bank-driver";

const CHECK_EVERY_MS = 200;

export const quectelDsimBank = (modems: number): SimBankDriver => {
  const positions = Array.from({ length: modems }, (_, i) => [`${i + 1}-1`, `${i + 1}-2`]).flat();
  const parse = (position: string) => {
    const match = /^(\d+)-([12])$/.exec(position);
    const modem = match ? Number(match[1]) : 0;
    return match && modem >= 1 && modem <= modems ? { modem, slot: Number(match[2]) - 1 } : null;
  };
  return {
    positions,
    modems,
    reachable: (modem) => (modem >= 1 && modem <= modems ? [`${modem}-1`, `${modem}-2`] : []),
    preview: (position) => {
      const p = parse(position);
      return p && { modem: p.modem, after: [[p.modem, position] as const] };
    },
    select: (position: string, at?: DirectAt) =>
      Effect.gen(function* () {
        const p = parse(position);
        if (!p) return yield* Effect.fail(new BankError({ reason: "no-such-position", detail: `no dual-SIM position "${position}" (modem-slot, slot 1 or 2)` }));
        if (!at) return yield* Effect.fail(new BankError({ reason: "gone", detail: `modem ${p.modem} is not connected` }));
        const fail = (e: { message: string }) => new BankError({ reason: "refused", detail: `modem ${p.modem}: AT+QDSIM=${p.slot}: ${e.message}` });
        yield* at.command(`AT+QDSIM=${p.slot}`).pipe(Effect.mapError(fail));
        // The module answers OK and then changes slots: read back a few times before giving up.
        const slotNow = at.command("AT+QDSIM?").pipe(
          Effect.mapError(fail),
          Effect.map((r) => /\+QDSIM:\s*(\d)/.exec(r.lines.join("\n"))?.[1] ?? "?"),
        );
        let now = yield* slotNow;
        for (let i = 0; i < 10 && now !== String(p.slot); i++) now = yield* Effect.zipRight(Effect.sleep(CHECK_EVERY_MS), slotNow);
        if (now !== String(p.slot)) return yield* Effect.fail(new BankError({ reason: "refused", detail: `modem ${p.modem} reports slot ${now} after AT+QDSIM=${p.slot}` }));
        return { position, modem: p.modem, affected: [p.modem], after: [[p.modem, position] as const] };
      }),
  };
};
