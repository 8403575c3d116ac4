
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

export const OK: Reply = { lines: [], final: "OK" };
export const ERROR: Reply = { lines: [], final: "ERROR" };
export const ok = (...lines: string[]): Reply => ({ lines, final: "OK" });
export const cme = (code: number): Reply => ({ lines: [], final: { cme: code } });
export const cms = (code: number): Reply => ({ lines: [], final: { cms: code } });

/**
 * Verbose error texts (+CMEE=2) are the standard names of 27.007 9.2 and 27.005 3.2.5, the
 * same table the protocol layer reads them with.
 */
export { CME_ERRORS as CME_TEXT, CMS_ERRORS as CMS_TEXT } from "../../protocol/at/errors";
