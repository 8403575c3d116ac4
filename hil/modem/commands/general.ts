/** V.250 basics, identity, SIM and signal commands. */
import { splitArgs } from "../command-line";
import { cme, ERROR, OK, ok } from "../reply";
import type { CommandContext, CommandHandler } from "../command-context";
import { int, simError } from "./guards";

const flag =
  (apply: (m: CommandContext, on: number) => void, max = 1): CommandHandler =>
  (m, cmd) => {
    const v = cmd.args === "" ? 0 : Number(cmd.args);
    if (!Number.isInteger(v) || v < 0 || v > max) return ERROR;
    apply(m, v);
    return OK;
  };

const identity =
  (value: (m: CommandContext) => string): CommandHandler =>
  (m, cmd) =>
    cmd.form === "test" ? OK : ok(value(m));

const reset: CommandHandler = (m) => {
  m.resetSettings();
  return OK;
};

const sRegisters: Record<string, CommandHandler> = {};
for (let n = 0; n <= 12; n++) {
  const defaults: Record<number, number> = { 0: 0, 3: 13, 4: 10, 5: 8, 7: 60, 10: 14 };
  sRegisters[`S${n}`] = (_m, cmd) => (cmd.form === "read" ? ok(String(defaults[n] ?? 0).padStart(3, "0")) : OK);
}

export const GENERAL: Record<string, CommandHandler> = {
  ...sRegisters,
  E: flag((m, v) => (m.settings.echo = v === 1)),
  V: flag((m, v) => (m.settings.verbose = v === 1)),
  Q: flag((m, v) => (m.settings.quiet = v === 1)),
  Z: reset,
  "&F": reset,
  "&W": () => OK,
  "&C": () => OK,
  "&D": () => OK,
  X: () => OK,
  I: (m) => ok(...m.personality.ati.map((l) => l.replace("{imei}", m.imei))),
  "+CGMI": identity((m) => m.personality.manufacturer),
  "+GMI": identity((m) => m.personality.manufacturer),
  "+CGMM": identity((m) => m.personality.model),
  "+GMM": identity((m) => m.personality.model),
  "+CGMR": identity((m) => m.personality.revision),
  "+GMR": identity((m) => m.personality.revision),
  "+CGSN": identity((m) => m.imei),
  "+GSN": identity((m) => m.imei),
  "+GCAP": () => ok("+GCAP: +CGSM"),
  "+CMEE": (m, cmd) => {
    if (cmd.form === "read") return ok(`+CMEE: ${m.settings.cmee}`);
    if (cmd.form === "test") return ok("+CMEE: (0-2)");
    const v = cmd.form === "exec" ? 0 : int(cmd.args, 0, 2);
    if (v === null || Number.isNaN(v)) return ERROR;
    m.settings.cmee = v as 0 | 1 | 2;
    return OK;
  },
  "+CSCS": (m, cmd) => {
    if (cmd.form === "read") return ok(`+CSCS: "${m.settings.cscs}"`);
    if (cmd.form === "test") return ok(`+CSCS: (${m.personality.charsets.map((c) => `"${c}"`).join(",")})`);
    const [name] = splitArgs(cmd.args);
    const charset = (name ?? "").toUpperCase();
    if (!m.personality.charsets.includes(charset)) return cme(4);
    m.settings.cscs = charset;
    return OK;
  },
  "+CFUN": (m, cmd) => {
    if (cmd.form === "read") return ok(`+CFUN: ${m.cfun}`);
    if (cmd.form === "test") return ok("+CFUN: (0,1,4),(0,1)");
    const [f, r] = splitArgs(cmd.args);
    const fun = int(f, 0, 4);
    const rst = int(r, 0, 1);
    if (fun === null || Number.isNaN(fun) || (fun !== 0 && fun !== 1 && fun !== 4) || Number.isNaN(rst)) return cme(50);
    if (rst === 1) {
      // The reply goes out first; then the module restarts and prints its boot lines.
      m.timers.after(0, () => m.reboot());
      return OK;
    }
    // Asking for the level the module is already at changes nothing (clients send CFUN=1 on
    // every start). Otherwise the radio changes after the reply, and its URCs follow the OK.
    if (fun === m.cfun) return OK;
    m.cfun = fun;
    m.timers.after(0, () => m.register());
    return OK;
  },
  "+CPIN": (m, cmd) => {
    if (cmd.form === "test") return OK;
    if (cmd.form === "read") {
      if (m.simState === "absent") return cme(10);
      if (m.simState === "not-ready") return cme(14);
      return ok(`+CPIN: ${m.simState === "pin" ? "SIM PIN" : "READY"}`);
    }
    const [pin] = splitArgs(cmd.args);
    const sim = m.sim;
    if (!sim || m.simState === "absent") return cme(10);
    if (m.simState !== "pin") return cme(3);
    if (pin !== sim.spec.pin) return cme(16);
    sim.pinVerified = true;
    m.simState = "not-ready";
    m.timers.after(0, () => m.simReady());
    return OK;
  },
  "+CIMI": (m, cmd) => simError(m) ?? (cmd.form === "test" ? OK : ok(m.sim!.spec.imsi)),
  "+CNUM": (m, cmd) => {
    const err = simError(m);
    if (err || cmd.form === "test") return err ?? OK;
    const sim = m.sim!;
    if (sim.spec.numberOnSim === false) return OK;
    return ok(`+CNUM: "","${m.te(sim.number)}",${sim.number.startsWith("+") ? 145 : 129}`);
  },
  // Restricted SIM access (27.007 8.18), READ BINARY (176) of EF_ICCID (0x2FE2 = 12258): the
  // ten bytes as the card stores them, BCD with the nibbles of each byte swapped and F-padded
  // (TS 102 221 13.2), then SW1/SW2 144,0. ModemManager's base SIM reads the ICCID this way
  // when no vendor command answers. Other files are not on this card (SW 106,130: 6A82).
  "+CRSM": (m, cmd) => {
    if (cmd.form === "test") return OK;
    const err = simError(m);
    if (err) return err;
    const [op, file] = splitArgs(cmd.args);
    if (op !== "176" || file !== "12258") return ok("+CRSM: 106,130");
    const padded = m.sim!.iccid.padEnd(20, "F");
    let swapped = "";
    for (let i = 0; i < padded.length; i += 2) swapped += padded[i + 1]! + padded[i]!;
    return ok(`+CRSM: 144,0,"${swapped}"`);
  },
  "+CSQ": (m, cmd) => {
    if (cmd.form === "test") return ok("+CSQ: (0-31,99),(0-7,99)");
    return m.cfun === 1 ? ok(`+CSQ: ${m.rssi},${m.ber}`) : ok("+CSQ: 99,99");
  },
};

/** The ICCID commands a personality answers, each printed its own way. */
export const iccidCommands = (printers: Readonly<Record<string, (iccid: string) => string>>): Record<string, CommandHandler> =>
  Object.fromEntries(
    Object.entries(printers).map(([name, print]) => [
      name,
      ((m, cmd) => simError(m) ?? (cmd.form === "test" ? OK : ok(print(m.sim!.iccid)))) satisfies CommandHandler,
    ]),
  );
