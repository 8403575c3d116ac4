import type { AtCommand } from "./command-line";
import type { VirtualModem } from "./modem";

/** How a command ends: OK, ERROR, a coded error, or another result word (NO CARRIER). */
export type Final = "OK" | "ERROR" | { readonly cme: number } | { readonly cms: number } | { readonly word: string };

export interface Reply {
  readonly lines: readonly string[];
  readonly final: Final;
}

/** A command that continues after the `> ` prompt (+CMGS, +CMGW). */
export interface PromptReply {
  readonly prompt: true;
  readonly onBody: (body: string) => Reply | Promise<Reply>;
}

export type CommandHandler = (modem: VirtualModem, cmd: AtCommand) => Reply | PromptReply | Promise<Reply>;

export const OK: Reply = { lines: [], final: "OK" };
export const ERROR: Reply = { lines: [], final: "ERROR" };
export const ok = (...lines: string[]): Reply => ({ lines, final: "OK" });
export const cme = (code: number): Reply => ({ lines: [], final: { cme: code } });
export const cms = (code: number): Reply => ({ lines: [], final: { cms: code } });

/** Verbose texts for the errors the simulator raises (27.007 9.2, 27.005 3.2.5). */
export const CME_TEXT: Readonly<Record<number, string>> = {
  3: "operation not allowed",
  4: "operation not supported",
  10: "SIM not inserted",
  11: "SIM PIN required",
  13: "SIM failure",
  14: "SIM busy",
  16: "incorrect password",
  21: "invalid index",
  30: "no network service",
  50: "Incorrect parameters",
  100: "unknown",
};

export const CMS_TEXT: Readonly<Record<number, string>> = {
  302: "operation not allowed",
  303: "operation not supported",
  304: "invalid PDU mode parameter",
  305: "invalid text mode parameter",
  310: "SIM not inserted",
  311: "SIM PIN required",
  313: "SIM failure",
  321: "invalid memory index",
  322: "memory full",
  330: "SMSC address unknown",
  331: "no network service",
  332: "network timeout",
  500: "unknown error",
};
