/** Voice calls: ATD, ATA, ATH/+CHUP, +CLCC, caller id presentation. */
import { splitArgs } from "../command-line";
import { cme, ERROR, OK, ok } from "../reply";
import type { CommandHandler } from "../command-context";
import { int } from "./guards";

const NO_CARRIER = { lines: [], final: { word: "NO CARRIER" } } as const;

const presentation =
  (key: "clip" | "colp", name: string): CommandHandler =>
  (m, cmd) => {
    if (cmd.form === "read") return ok(`${name}: ${m.settings[key] ? 1 : 0},1`);
    if (cmd.form === "test") return ok(`${name}: (0,1)`);
    const v = cmd.form === "exec" ? 0 : int(cmd.args, 0, 1);
    if (v === null || Number.isNaN(v)) return cme(50);
    m.settings[key] = v === 1;
    return OK;
  };

const hangup: CommandHandler = (m) => {
  m.endAllCalls("hangup");
  return OK;
};

export const CALLS: Record<string, CommandHandler> = {
  D: (m, cmd) => {
    const dial = cmd.args.replace(/[\s]/g, "");
    // No data calls on these modules: only voice (a trailing ';') is supported.
    if (!dial.endsWith(";")) return NO_CARRIER;
    const number = dial.slice(0, -1).replace(/[TPW,]/gi, "");
    if (!/^\+?[0-9*#]{1,32}$/.test(number)) return ERROR;
    const sim = m.sim;
    if (!sim || !m.registered) return NO_CARRIER;
    if (m.calls.length > 0) return cme(3);
    const call = m.network.dial(sim, number);
    m.calls.push({ id: m.nextCallId(), call, dir: 0, stat: 2, number });
    return OK;
  },
  A: (m) => {
    const ringing = m.calls.find((c) => c.dir === 1 && c.stat === 4);
    if (!ringing) return NO_CARRIER;
    ringing.stopRinging?.();
    m.network.answerCall(ringing.call);
    return OK;
  },
  H: hangup,
  "+CHUP": hangup,
  "+CLCC": (m, cmd) => {
    if (cmd.form === "test") return OK;
    return ok(...m.calls.map((c) => `+CLCC: ${c.id},${c.dir},${c.stat},0,0,"${c.number}",${c.number.startsWith("+") ? 145 : 129}`));
  },
  "+CLIP": presentation("clip", "+CLIP"),
  "+COLP": presentation("colp", "+COLP"),
  "+CRC": () => OK,
  "+VTS": (m, cmd) => (m.calls.some((c) => c.stat === 0) && splitArgs(cmd.args)[0] ? OK : cme(3)),
};
