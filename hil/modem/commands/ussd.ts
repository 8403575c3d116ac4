/** +CUSD (27.007 7.15): requests, answers inside a session, cancel. */
import { splitArgs } from "../command-line";
import { cme, OK, ok } from "../reply";
import type { CommandHandler } from "../command-context";
import { readUssdRequest } from "../ussd-format";
import { int } from "./guards";

/** How long a model that prints the reply before OK waits for the network. */
const BEFORE_OK_WAIT_MS = 20_000;

export const USSD: Record<string, CommandHandler> = {
  "+CUSD": (m, cmd) => {
    if (cmd.form === "read") return ok(`+CUSD: ${m.settings.cusdN}`);
    if (cmd.form === "test") return ok("+CUSD: (0-2)");
    const [nArg, str, dcsArg] = splitArgs(cmd.args);
    const n = cmd.form === "exec" ? 0 : int(nArg, 0, 2);
    const dcs = int(dcsArg, 0, 255);
    if (n === null || Number.isNaN(n) || Number.isNaN(dcs)) return cme(50);
    const sim = m.sim;
    if (n === 2) {
      if (sim) m.network.ussdCancel(sim);
      return OK;
    }
    m.settings.cusdN = n;
    if (str === undefined) return OK;
    if (!sim || !m.registered) return cme(30);
    const text = readUssdRequest(str, dcs, m.settings.cscs, m.personality);
    if (text.length === 0 || text.length > 160) return cme(50);
    if (!m.personality.cusd.beforeOk) {
      m.network.ussd(sim, text);
      return OK;
    }
    const reply = m.awaitUssd(BEFORE_OK_WAIT_MS);
    m.network.ussd(sim, text);
    return reply.then((line) => (line ? ok(line) : OK));
  },
};
