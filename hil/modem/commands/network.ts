/** Registration (+CREG/+CGREG/+CEREG) and operator selection (+COPS). */
import { splitArgs } from "../command-line";
import type { RegistrationFamily } from "../model-traits";
import { cme, ERROR, OK, ok } from "../reply";
import type { CommandHandler } from "../command-context";
import { int } from "./guards";

const registration =
  (family: RegistrationFamily): CommandHandler =>
  (m, cmd) => {
    if (!m.personality.registration.families.includes(family)) return ERROR;
    if (cmd.form === "test") return ok(`+${family}: (0-2)`);
    if (cmd.form === "read") return ok(m.registrationLine(family, m.settings.reg[family], true));
    const n = cmd.form === "exec" ? 0 : int(cmd.args, 0, 2);
    if (n === null || Number.isNaN(n)) return cme(50);
    m.settings.reg[family] = n;
    return OK;
  };

export const NETWORK: Record<string, CommandHandler> = {
  "+CREG": registration("CREG"),
  "+CGREG": registration("CGREG"),
  "+CEREG": registration("CEREG"),
  "+COPS": (m, cmd) => {
    const act = m.personality.registration.act ?? 0;
    if (cmd.form === "read") {
      const sim = m.sim;
      if (!m.registered || !sim) return ok("+COPS: 0");
      const op = m.network.operatorOf(sim);
      const f = m.settings.copsFormat;
      const name = f === 2 ? op.mccmnc : m.te(f === 1 ? op.shortName : op.name);
      return ok(`+COPS: 0,${f},"${name}",${act}`);
    }
    if (cmd.form === "test") {
      // A scan takes the time of a registration; the SIM's own network is marked current.
      const current = m.registered && m.sim ? m.network.operatorOf(m.sim).id : null;
      const entries = [...m.network.operators.values()].map(
        (op) => `(${op.id === current ? 2 : 1},"${m.te(op.name)}","${m.te(op.shortName)}","${op.mccmnc}",${act})`,
      );
      return new Promise((resolve) =>
        m.timers.after(m.delays.of("registrationMs"), () => resolve(ok(`+COPS: ${entries.join(",")},,(0,1,2,3,4),(0,1,2)`))),
      );
    }
    const [mode, format, oper] = splitArgs(cmd.args);
    const md = int(mode, 0, 4);
    if (md === null || Number.isNaN(md)) return cme(50);
    if (md === 3) {
      const f = int(format, 0, 2);
      if (f === null || Number.isNaN(f)) return cme(50);
      m.settings.copsFormat = f as 0 | 1 | 2;
      return OK;
    }
    // Registration changes after the reply, so its URCs follow the OK.
    if (md === 2) {
      m.timers.after(0, () => m.setRegistration(0));
      return OK;
    }
    if (md === 1) {
      const sim = m.sim;
      const op = sim ? m.network.operatorOf(sim) : null;
      // Manual selection of a network the SIM cannot use fails (mode 4 falls back to automatic).
      if (!op || ![op.mccmnc, op.name, op.shortName].includes(oper ?? "")) return cme(30);
    }
    // Automatic selection while registered is where the module already is.
    if (md !== 1 && m.registered) return OK;
    m.timers.after(0, () => m.register());
    return OK;
  },
};
