/**
 * How long a command may take, by class. Network operations wait on the radio and the SMSC;
 * queries answer from the module. Vendor profiles override single classes.
 */
export type CommandClass = "query" | "sms-send" | "ussd" | "dial" | "operator-scan" | "sim" | "reset";

export const DEFAULT_TIMEOUTS_MS: Readonly<Record<CommandClass, number>> = {
  query: 5_000,
  // 27.005 leaves it open; modules document up to 60 s (network and SMSC round trip).
  "sms-send": 60_000,
  // The request's OK is quick; the reply comes as +CUSD later and is awaited separately.
  ussd: 15_000,
  dial: 30_000,
  // A full band scan is documented at up to 180 s on 3G/4G modules.
  "operator-scan": 180_000,
  // SIM reads: right after power-up or a slot switch a card takes seconds to answer +CPIN?
  // or its files, far longer than a quick query; a SIM read must not be taken for a hang.
  sim: 20_000,
  reset: 15_000,
};

export const classOf = (command: string): CommandClass => {
  const c = command.trim().toUpperCase();
  if (/^AT\+CM(GS|SS|GC)=/.test(c)) return "sms-send";
  if (/^AT\+CUSD=/.test(c)) return "ussd";
  if (/^ATD/.test(c)) return "dial";
  if (/^AT\+COPS=\?/.test(c)) return "operator-scan";
  if (/^AT\+C(PIN|LCK|PWD)=/.test(c)) return "sim";
  if (/^AT(\+CPIN\?|\+CRSM=|\+CSIM=|\+CIMI$|\+CNUM$|\+Q?CCID|\+ICCID|\^ICCID|\+CICCID)/.test(c)) return "sim";
  if (/^AT(\+CFUN=|Z|&F)/.test(c)) return "reset";
  return "query";
};
