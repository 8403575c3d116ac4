/**
 * What differs between modem vendors, as data: one folder per vendor (as ModemManager keeps
 * one plugin per vendor), each holding how to recognise the modem from its identity strings,
 * its init, its ICCID command and how to read its reply, its USSD encoding, the unsolicited
 * codes it prints that no 3GPP spec defines (handled or ignored), its reset command and its
 * timeouts. Anything not listed behaves as 27.007/27.005 say.
 */
import { parseIccid } from "../../protocol/at/sim";
import type { Result } from "../../protocol/result";
import type { CommandClass } from "../at/timeouts";

export interface VendorMatch {
  /** Tested against +CGMI (or what the fallbacks read). */
  readonly manufacturer?: RegExp;
  /** Tested against +CGMM: a module resold under another maker's name keeps its model. */
  readonly model?: RegExp;
}

export interface VendorUrcs {
  /** Lines the drivers act on (a signal report, a call connected). */
  readonly handled: readonly RegExp[];
  /**
   * Lines that are only news (status floods, boot chatter): never part of a reply, never a
   * reason to act. Kept out of replies even when they land in the middle of one.
   */
  readonly ignored: readonly RegExp[];
}

export interface VendorProfile {
  readonly name: string;
  readonly match: VendorMatch;
  /** After ATE0, the message storages and +CMEE=1. A failing step is reported, not fatal. */
  readonly init: readonly string[];
  /** Tried in order until one answers with an ICCID (then EF_ICCID through +CRSM). */
  readonly iccidCommands: readonly string[];
  /** Reads an ICCID command's reply (its prefix differs by vendor). */
  readonly parseIccid: (reply: string) => Result<string>;
  readonly timeouts?: Partial<Record<CommandClass, number>>;
  /** How the modem wants USSD requests: text in +CSCS, or GSM 7-bit packed hex (Huawei). */
  readonly ussdRequest: "text" | "packed-gsm7";
  /**
   * How to read +CUSD replies: "charset" when the modem presents text in its +CSCS as
   * 27.007 7.15 says; "content" when it is known to send hex the DCS and +CSCS do not
   * announce (Huawei's packed GSM 7-bit, ZTE's UCS2 under a GSM DCS).
   */
  readonly ussdReply: "charset" | "content";
  readonly urcs: VendorUrcs;
  /** What restarts the module (the supervisor's last step before reopening the port). */
  readonly resetCommand: string;
  /**
   * Where the module stores new messages until +CPMS is set (the init sets SM first on
   * every vendor; this says what a module that forgot it does).
   */
  readonly defaultStorage: "SM" | "ME";
  /** Where each fact comes from. */
  readonly sources: readonly string[];
}

// PDU mode; new SMS stored with +CMTI; status reports routed directly as +CDS (no second
// memory to forget to read); caller id; registration URCs with cell ids.
export const COMMON_INIT: readonly string[] = ["AT+CMGF=0", 'AT+CSCS="GSM"', "AT+CNMI=2,1,0,1,0", "AT+CLIP=1", "AT+CREG=2"];

/** ICCID replies whose prefix the protocol parser does not know: strip it, then parse. */
export const iccidAfterPrefix =
  (prefix: RegExp) =>
  (reply: string): Result<string> =>
    parseIccid(reply.replace(new RegExp(`(^|[\\r\\n])\\s*${prefix.source}\\s*`, "i"), "$1"));

/** Whether a profile claims a modem by its identity strings. */
export const vendorMatches = (profile: VendorProfile, manufacturer: string, model: string): boolean =>
  (profile.match.manufacturer?.test(manufacturer) ?? false) || (profile.match.model?.test(model) ?? false);
