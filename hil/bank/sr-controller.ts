/**
 * The SR controller's serial command language (../shared/specs/sr-navigator-notes.md): one
 * line of commands chained with `&&`; each answers on its own line, `1` for done and `NULL`
 * for nothing (an invalid command or argument, or an empty result). Commands:
 *   row:N                 SR-Train: switch the whole row
 *   modem>select:N        choose the modem later commands act on
 *   modem>card:C          models switched per modem: the selected modem takes its card C
 *                         (the C-th position it reaches in the model table's order)
 *   modem>on | modem>off  power the selected modem
 *   modem>connect | modem>disconnect   close or open its SIM contacts
 *   modem>status          `ON:<position>` or `OFF:<position>`
 *   modem>fix:N           hold modem N on its card through row switches (0 releases all)
 *   modem>send:AT...      pass a command to the selected modem; its reply lines come back
 *   AT...                 the same, without the prefix
 */
import type { SimBank } from "./sim-bank";

const FINAL = /^(OK|ERROR|\+CME ERROR:.*|\+CMS ERROR:.*|NO CARRIER|BUSY|NO ANSWER|NO DIALTONE)$/;
const PASS_THROUGH_TIMEOUT_MS = 10_000;

export class SrController {
  private readonly hosts = new Set<(bytes: Buffer) => void>();
  private buffer = "";
  private chain: Promise<void> = Promise.resolve();
  /** Lines received, for the control surface. */
  readonly received: string[] = [];
  /** Fault: the controller reads commands but answers nothing (a hung or unpowered board). */
  hanging = false;

  constructor(readonly bank: SimBank) {}

  attachHost(sink: (bytes: Buffer) => void): () => void {
    this.hosts.add(sink);
    return () => this.hosts.delete(sink);
  }

  input(chunk: Uint8Array | string): void {
    this.buffer += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("latin1");
    let end: number;
    while ((end = this.buffer.search(/[\r\n]/)) >= 0) {
      const line = this.buffer.slice(0, end).trim();
      this.buffer = this.buffer.slice(end + 1);
      if (line) this.chain = this.chain.then(() => this.runLine(line));
    }
  }

  private write(text: string): void {
    const bytes = Buffer.from(text, "latin1");
    for (const host of this.hosts) host(bytes);
  }

  private async runLine(line: string): Promise<void> {
    this.received.push(line);
    if (this.received.length > 500) this.received.shift();
    for (const command of line.split("&&")) {
      const results = await this.execute(command.trim());
      if (!this.hanging) this.write(results.map((r) => `${r}\r\n`).join(""));
    }
  }

  /** One command; returns its reply lines. */
  async execute(command: string): Promise<string[]> {
    const bank = this.bank;
    const arg = (prefix: string) => {
      const value = command.slice(prefix.length);
      return /^\d+$/.test(value) ? Number(value) : Number.NaN;
    };
    const guarded = (action: () => void): string[] => {
      try {
        action();
        return ["1"];
      } catch {
        return ["NULL"];
      }
    };
    const lower = command.toLowerCase();
    if (lower.startsWith("row:")) return guarded(() => bank.selectRow(arg("row:")));
    if (lower.startsWith("modem>select:")) return guarded(() => bank.selectModem(arg("modem>select:")));
    if (lower.startsWith("modem>card:")) return guarded(() => bank.selectCard(arg("modem>card:")));
    if (lower.startsWith("modem>fix:")) {
      const n = arg("modem>fix:");
      if (n === 0) return guarded(() => bank.fixed.clear());
      return guarded(() => {
        if (!(n >= 1 && n <= bank.modemList.length)) throw new Error("no such modem");
        bank.fixed.add(n);
      });
    }
    const modem = bank.modemList[bank.selected - 1];
    if (!modem) return ["NULL"];
    switch (lower) {
      case "modem>on":
        if (!modem.powered) modem.powerOn();
        return ["1"];
      case "modem>off":
        modem.powerOff();
        return ["1"];
      case "modem>connect":
        return guarded(() => bank.setContacts(bank.selected, true));
      case "modem>disconnect":
        return guarded(() => bank.setContacts(bank.selected, false));
      case "modem>status":
        return [`${modem.powered ? "ON" : "OFF"}:${bank.isConnected(bank.selected) ? bank.positionOf(bank.selected) : "-"}`];
      default:
    }
    const at = lower.startsWith("modem>send:") ? command.slice("modem>send:".length) : /^at/i.test(command) ? command : null;
    if (at === null || !modem.powered) return ["NULL"];
    return this.passThrough(at);
  }

  private passThrough(at: string): Promise<string[]> {
    const modem = this.bank.modemList[this.bank.selected - 1]!;
    return new Promise((resolve) => {
      let text = "";
      const lines: string[] = [];
      const finish = (result: string[]) => {
        detach();
        cancel();
        resolve(result);
      };
      const detach = modem.attachHost((bytes) => {
        text += bytes.toString("latin1");
        let end: number;
        while ((end = text.indexOf("\r\n")) >= 0) {
          const line = text.slice(0, end).trim();
          text = text.slice(end + 2);
          if (!line || line.toUpperCase() === at.trim().toUpperCase()) continue;
          lines.push(line);
          if (FINAL.test(line)) return finish(lines);
        }
      });
      const cancel = modem.timers.after(PASS_THROUGH_TIMEOUT_MS, () => finish(lines.length ? lines : ["NULL"]));
      modem.input(`${at.trim()}\r`);
    });
  }
}
