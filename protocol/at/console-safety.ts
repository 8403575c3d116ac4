/**
 * What a technician's console line would do to a modem the service is driving, judged before
 * it runs. Pure: a line in, a verdict out. The service decides what to do with the verdict
 * (ask for a confirmation, warn and set its own settings again, check or record messages).
 *
 * The settings named "the service's" below are the ones its bring-up sends (ATE0,
 * +CPMS="SM","SM","SM", +CMEE=1, +CMGF=0, +CSCS="GSM", +CNMI=2,1,0,1,0, +CLIP=1, +CREG=2,
 * +COPS=3,0, and per vendor +CEREG=2 or ^CURC=0). A line that sets one of them to the value
 * the service uses changes nothing and is plain.
 */
import { decodeSmsPdu } from "../sms/decode";
import { parseDecimal, splitFields, unquote } from "./fields";

export type ConsoleVerdict =
  | { readonly kind: "plain" }
  /** Can brick a SIM or lose the modem: runs only after an explicit confirmation. */
  | { readonly kind: "confirm"; readonly reason: string }
  /** Changes a setting the service relies on: runs with a warning; the service then sets its own settings again. */
  | { readonly kind: "reassert"; readonly reason: string }
  /** +CMGD: the service must check the message at `index` is already stored before it goes. `flag` is <delflag> (0 when absent); with flag 1..4 several messages go. */
  | { readonly kind: "delete"; readonly index: number; readonly flag: number }
  /** +CMGS / +CMSS / +CMGW: a message leaves (or is written); the service records it. */
  | { readonly kind: "send"; readonly command: "CMGS" | "CMSS" | "CMGW" };

/** One command of a line, normalised: upper case and no spaces outside quotes. */
interface Command {
  /** `+CFUN`, `^SYSCFG`, `E`, `&F`, `S3`, `D`. */
  readonly name: string;
  readonly op: "" | "=" | "?" | "=?";
  /** After `=` (or a basic command's digits, or a dial string). */
  readonly args: string;
}

/** Characters that start an extended command: `+` in 27.007, the others are vendors' (Huawei ^, Telit #, Sierra !, ...). */
const EXTENDED_START = "+^$%#!*@";
const NAME_CHAR = /[A-Z0-9_.\-/:]/;

/**
 * V.250 ignores spaces outside quoted strings and case outside them; both are dropped here
 * so `at + cfun = 0` reads as `AT+CFUN=0`. Quoted text is kept as typed except for case.
 */
const normalise = (line: string): string => {
  let out = "";
  let quoted = false;
  for (const c of line) {
    if (c === '"') quoted = !quoted;
    if (!quoted && (c === " " || c === "\t")) continue;
    out += c.toUpperCase();
  }
  return out;
};

/** Where the text that an extended command's arguments run to ends: the next `;` outside quotes. */
const argsEnd = (s: string, from: number): number => {
  let quoted = false;
  for (let i = from; i < s.length; i++) {
    if (s[i] === '"') quoted = !quoted;
    else if (!quoted && s[i] === ";") return i;
  }
  return s.length;
};

/** Splits a command line into its commands; empty when the line is not an AT command line. */
const splitConsoleLine = (line: string): Command[] => {
  const s = normalise(line.trim().replace(/[\r\n\x1a]+$/g, ""));
  if (!s.startsWith("AT")) return [];
  const out: Command[] = [];
  let i = 2;
  while (i < s.length) {
    const c = s[i]!;
    if (c === ";") {
      i++;
      // Not V.250, but typed often: `AT+CSQ;AT+CFUN=0`. A stray AT after a separator is a
      // second prefix, not ATA followed by ATT (tone dialling), which nobody chains.
      if (s.startsWith("AT", i) && i + 2 < s.length) i += 2;
      continue;
    }
    if (EXTENDED_START.includes(c)) {
      let j = i + 1;
      while (j < s.length && NAME_CHAR.test(s[j]!)) j++;
      const name = s.slice(i, j);
      if (s.startsWith("=?", j)) {
        out.push({ name, op: "=?", args: "" });
        i = argsEnd(s, j + 2);
      } else if (s[j] === "=") {
        const end = argsEnd(s, j + 1);
        out.push({ name, op: "=", args: s.slice(j + 1, end) });
        i = end;
      } else if (s[j] === "?") {
        out.push({ name, op: "?", args: "" });
        i = argsEnd(s, j + 1);
      } else {
        out.push({ name, op: "", args: "" });
        i = argsEnd(s, j);
      }
      continue;
    }
    if (c === "D") {
      // V.250 6.3.1: the dial string runs to the end of the line (a `;` in it only keeps the
      // modem in command state after a voice call).
      out.push({ name: "D", op: "", args: s.slice(i + 1) });
      break;
    }
    if (c === "S") {
      const m = /^S(\d+)(=\?|=|\?)?(\d*)/.exec(s.slice(i))!;
      out.push({ name: `S${m[1] ?? ""}`, op: (m[2] as Command["op"] | undefined) ?? "", args: m[3] ?? "" });
      i += Math.max(1, m[0].length);
      continue;
    }
    // A basic command: a letter (or & and a letter) and an optional number.
    const m = /^(&?[A-Z])(\?|=\?|=)?(\d*)/.exec(s.slice(i));
    if (!m) {
      i++;
      continue;
    }
    out.push({ name: m[1]!, op: (m[2] as Command["op"] | undefined) ?? "", args: m[3] ?? "" });
    i += m[0].length;
  }
  return out;
};

type Judged = ConsoleVerdict;
const PLAIN: Judged = { kind: "plain" };
const confirm = (reason: string): Judged => ({ kind: "confirm", reason });
const reassert = (reason: string): Judged => ({ kind: "reassert", reason });

const fields = (cmd: Command): string[] => splitFields(cmd.args).map((f) => f.trim());
const text = (cmd: Command): string => `${cmd.name}${cmd.op}${cmd.args}`;
/** A basic command's number: V.250 reads a missing one as 0 (`ATE` is `ATE0`). */
const basicValue = (cmd: Command): number => (cmd.args === "" ? 0 : Number(cmd.args));

// ---- confirm: SIM passwords, the radio, the modem itself ----

const clck = (cmd: Command): Judged => {
  const f = fields(cmd);
  const fac = unquote(f[0]);
  const mode = parseDecimal(f[1]);
  if (mode === 2) return PLAIN; // a status query
  const what = mode === 0 ? "unlocks" : mode === 1 ? "locks" : "locks or unlocks";
  if (fac === "SC")
    return confirm(`${text(cmd)} ${mode === 0 ? "turns off" : mode === 1 ? "turns on" : "turns on or off"} the SIM's PIN request: it takes the PIN, and 3 wrong PINs block the SIM until its PUK is entered`);
  if (fac === "FD")
    return confirm(`${text(cmd)} ${what} fixed dialling: it takes PIN2 (3 wrong tries block it), and with it on the SIM reaches only the listed numbers, SMS included`);
  if (/^P[NUPCSF]$/.test(fac) || fac === "PH")
    return confirm(`${text(cmd)} ${what} the modem's personalisation (its lock to a network or SIM): wrong codes can lock the modem for good`);
  if (/^A[OIBGC]$|^O[IX]$|^IR$|^NT$|^NM$|^NS$|^NA$/.test(fac))
    return confirm(`${text(cmd)} ${what} call or message barring at the network with the barring password: wrong passwords block the service`);
  return confirm(`${text(cmd)} ${what} facility "${fac}" with a password: wrong passwords count towards blocking it`);
};

const cfun = (cmd: Command): Judged => {
  const f = fields(cmd);
  const fun = parseDecimal(f[0]);
  const rst = parseDecimal(f[1]);
  const reasons: string[] = [];
  if (fun === 0) reasons.push(`${text(cmd)} turns the radio and the SIM off (minimum functionality): the modem drops off the network until +CFUN=1`);
  else if (fun === 4) reasons.push(`${text(cmd)} turns the radio off (flight mode): the modem drops off the network until +CFUN=1`);
  else if (fun === 2 || fun === 3) reasons.push(`${text(cmd)} turns the radio's ${fun === 2 ? "transmitter" : "receiver"} off: the modem drops off the network until +CFUN=1`);
  else if (fun === null) reasons.push(`${text(cmd)}: the functionality level cannot be read`);
  else if (fun !== 1) reasons.push(`${text(cmd)} is a vendor's level (a reset or power-off on some modems, such as u-blox's 15 and 16)`);
  // 27.007 8.2 <rst>=1: reset before setting the level; the modem leaves the port and comes
  // back without any of the service's settings.
  if (rst === 1) reasons.push(`${text(cmd)} resets the modem: it leaves the port for several seconds and reads the SIM again`);
  return reasons.length ? confirm(reasons.join(". ")) : PLAIN;
};

const crsm = (cmd: Command): Judged => {
  const command = parseDecimal(fields(cmd)[0]);
  // 27.007 8.18: READ BINARY, READ RECORD, GET RESPONSE, RETRIEVE DATA and STATUS only read.
  if (command !== null && [176, 178, 192, 203, 242].includes(command)) return PLAIN;
  if (command === 214) return confirm(`${text(cmd)} is UPDATE BINARY: it overwrites a file on the SIM`);
  if (command === 220) return confirm(`${text(cmd)} is UPDATE RECORD: it overwrites a record on the SIM`);
  if (command === 219) return confirm(`${text(cmd)} is SET DATA: it writes to the SIM`);
  return confirm(`${text(cmd)}: command ${command ?? "?"} is not one of the reads (176, 178, 192, 203, 242) and may write to the SIM`);
};

const cops = (cmd: Command): Judged => {
  const f = fields(cmd);
  const mode = parseDecimal(f[0]);
  if (mode === 0 || mode === 4) return PLAIN;
  if (mode === 2) return confirm(`${text(cmd)} deregisters from the network: the modem stays off it until +COPS=0`);
  if (mode === 1) return confirm(`${text(cmd)} selects a network by hand with no fallback: if that network refuses the SIM, the modem stays unregistered until +COPS=0`);
  if (mode === 3) return parseDecimal(f[1]) === 0 ? PLAIN : reassert(`${text(cmd)} changes how +COPS names the operator; the service reads long names (+COPS=3,0)`);
  return confirm(`${text(cmd)}: the selection mode cannot be read`);
};

const qcfg = (cmd: Command): Judged => {
  const f = fields(cmd);
  const key = unquote(f[0]).toLowerCase();
  // Without a value it is a read of the setting.
  if (f.length < 2) return PLAIN;
  const reasons: Record<string, string> = {
    band: "sets the radio bands the modem may use: without a band the network uses, it has no service",
    nwscanmode: "limits the radio technologies (2G/3G/4G) the modem searches: a SIM or area without them leaves it unregistered",
    iotopmode: "chooses between LTE-M and NB-IoT: the wrong one leaves the modem unregistered",
    servicedomain: "changes the service domain: without circuit-switched service, SMS over CS and calls stop",
    roamservice: "turns roaming off: a roaming SIM loses the network",
    usbnet: "changes the USB network interface: the modem re-enumerates and its ports may move or go",
    usbcfg: "changes the USB interfaces: the AT port may disappear",
  };
  const reason = reasons[key];
  return reason ? confirm(`${text(cmd)} ${reason}`) : PLAIN;
};

const BANDS = "selects the radio bands or technologies: a choice the network or SIM does not support leaves the modem without service";
const POWER_OFF = "switches the modem off: it stays off until its power is cycled";
const RESET = "restarts the modem: it leaves the port for several seconds and forgets the service's settings";
const FIRMWARE = "loads firmware or files into the modem: an interrupted or wrong load can leave it unusable";
const FACTORY = "restores or rewrites the modem's factory parameters (on some modems its calibration and IMEI)";
const PIN = "enters a PIN or PUK: 3 wrong PINs block the SIM, and 10 wrong PUKs destroy it";

/** Commands that need a confirmation whenever they are not a query. */
const ALWAYS_CONFIRM: Readonly<Record<string, string>> = {
  "+CPIN": PIN,
  "^CPIN": PIN,
  "+CPWD": "changes a SIM password: a wrong old password counts towards the 3 tries that block the SIM",
  "+CSIM": "sends a raw APDU to the SIM: it can overwrite files or block PINs",
  "+CGLA": "sends a raw APDU to the SIM: it can overwrite files or block PINs",
  "+CPOL": "writes the SIM's preferred operator list (an index alone deletes the entry)",
  "+CMUX": "switches the port to the 27.010 multiplexer: the service loses this AT port until the modem restarts",
  "+IPR": "changes the serial port's speed: the service loses the modem until the port's speed matches again",
  "+ICF": "changes the serial port's framing (data bits, parity): the service loses the modem until it matches again",
  "+IFC": "changes the serial port's flow control: a mismatch stalls the port",
  "+CGDATA": "enters data mode: the port stops answering AT commands until the connection ends",
  "^SYSCFG": BANDS,
  "^SYSCFGEX": BANDS,
  "+CBAND": BANDS,
  "+UBANDSEL": BANDS,
  "#BND": BANDS,
  "!BAND": BANDS,
  "+WMBS": BANDS,
  "+CNMP": BANDS,
  "+CMNB": BANDS,
  "+URAT": BANDS,
  "+QPOWD": POWER_OFF,
  "+CPOWD": POWER_OFF,
  "^SMSO": POWER_OFF,
  "+SMSO": POWER_OFF,
  "#SHDN": POWER_OFF,
  "+CPOF": POWER_OFF,
  "+CPWROFF": POWER_OFF,
  "+CRESET": RESET,
  "^RESET": RESET,
  "#REBOOT": RESET,
  "#ENHRST": RESET,
  "!RESET": RESET,
  "+TRB": RESET,
  "+QFUPL": FIRMWARE,
  "+CFWUPG": FIRMWARE,
  "+UFWUPD": FIRMWARE,
  "+QFOTADL": FIRMWARE,
  "+QFASTBOOT": FIRMWARE,
  "+QPRTPARA": FACTORY,
  "+UFACTORY": FACTORY,
};

const ACTS_BARE = [POWER_OFF, RESET, FIRMWARE, FACTORY];

// ---- reassert: the settings the service's bring-up sends ----

const SERVICE_STORAGE = "SM";

const reassertUnless = (cmd: Command, ours: boolean, what: string): Judged => (ours ? PLAIN : reassert(`${text(cmd)} ${what}`));

const extended = (cmd: Command): Judged => {
  const name = cmd.name;
  const f = fields(cmd);
  const first = parseDecimal(f[0]);
  const always = ALWAYS_CONFIRM[name];
  // Written without `=`, only the power, reset and firmware commands act (with defaults);
  // the others then are malformed and the modem refuses them.
  if (always) return cmd.op === "=" || ACTS_BARE.includes(always) ? confirm(`${text(cmd)} ${always}`) : PLAIN;
  // IMEI writes have a name per vendor (+EGMR, +SIMEI, ^IMEI, +WIMEI, +MODIMEI...): anything
  // with IMEI in its name that is not a query is taken for one.
  if (name === "+EGMR") return first === 1 ? confirm(`${text(cmd)} writes the IMEI (7: the first, 10: the second); a wrong one can get the modem refused by the network`) : PLAIN;
  if (name.includes("IMEI")) return confirm(`${text(cmd)} can write the IMEI; a wrong one can get the modem refused by the network`);
  switch (name) {
    case "+CLCK":
      return clck(cmd);
    case "+CFUN":
      return cfun(cmd);
    case "+CRSM":
      return crsm(cmd);
    case "+COPS":
      return cops(cmd);
    case "+QCFG":
      return qcfg(cmd);
    case "+CMGF":
      return reassertUnless(cmd, cmd.args === "" || first === 0, "switches to text mode; the service reads and sends messages in PDU mode (+CMGF=0)");
    case "+CSCS":
      return reassertUnless(cmd, unquote(f[0]) === "GSM", "changes the character set of text fields (numbers, operator names, USSD); the service uses \"GSM\"");
    case "+CPMS":
      return reassertUnless(cmd, f.every((m) => unquote(m) === SERVICE_STORAGE), "changes the message storages; the service reads and stores in SM");
    case "+CNMI":
      return reassertUnless(cmd, f.map((x) => parseDecimal(x)).join(",") === "2,1,0,1,0", "changes how new messages and status reports are announced; the service learns of them by +CMTI and +CDS (+CNMI=2,1,0,1,0)");
    case "+CMEE":
      return reassertUnless(
        cmd,
        first === 1,
        first === 0 ? "hides error codes behind a bare ERROR; the service reads numeric codes (+CMEE=1)" : "changes how errors are reported; the service reads numeric codes (+CMEE=1)",
      );
    case "+CREG":
      return reassertUnless(cmd, first === 2, "changes the registration reports; the service uses +CREG=2 (with location)");
    case "+CEREG":
      return reassertUnless(cmd, first === 2, "changes the LTE registration reports; the service uses +CEREG=2 where it sets one");
    case "+CGREG":
    case "+C5GREG":
      return reassert(`${text(cmd)} changes the packet registration reports the modem sends unasked`);
    case "+CLIP":
      return reassertUnless(cmd, first !== 0, "stops the caller's number being shown; the service records callers (+CLIP=1)");
    case "+CUSD":
      return reassertUnless(cmd, first !== 0, "stops USSD answers being shown (+CUSD: lines)");
    case "+CSMP":
      return reassert(`${text(cmd)} changes the validity and coding of messages sent in text mode`);
    case "^CURC":
      return reassertUnless(cmd, first === 0, "turns the periodic status reports back on; they arrive between replies (the service sets ^CURC=0)");
  }
  return PLAIN;
};

const basic = (cmd: Command): Judged => {
  const v = basicValue(cmd);
  switch (cmd.name) {
    case "E":
      return v === 1 ? reassert("ATE1 turns echo on: the modem repeats every command; the service turns it off again (ATE0)") : PLAIN;
    case "V":
      return v === 0 ? reassert("ATV0 makes result codes digits (0 for OK, 4 for ERROR): the service reads the words, so ATV1 must come back") : PLAIN;
    case "Q":
      return v === 1 ? reassert("ATQ1 stops result codes: no OK or ERROR ends a command until ATQ0") : PLAIN;
    case "Z":
      return reassert(`ATZ${cmd.args} restores the stored profile: echo, message format, storages and indications go back to what was saved`);
    case "&F":
      return reassert(`AT&F${cmd.args} restores the factory settings: echo comes back on, and message format, storages and indications go back to the factory's`);
  }
  // S3 ends a command line and S4 ends a reply line: any other value and the service can no
  // longer frame what it sends or reads.
  if (cmd.name === "S3" && cmd.op === "=" && cmd.args !== "13")
    return confirm(`ATS3=${cmd.args} changes the character that ends a command line: the service's commands (ended by CR) stop being understood`);
  if (cmd.name === "S4" && cmd.op === "=" && cmd.args !== "10")
    return confirm(`ATS4=${cmd.args} changes the character that ends a reply line: the service stops reading the modem's replies`);
  if (cmd.name === "D") return dial(cmd.args);
  return PLAIN;
};

const dial = (dialString: string): Judged => {
  // 22.030 MMI codes typed as a dial string act on the SIM like +CPWD / +CPIN.
  if (/^\*\*0(4|42)\*/.test(dialString)) return confirm(`ATD${dialString} changes a PIN by MMI code: a wrong old PIN counts towards the 3 tries that block the SIM`);
  if (/^\*\*0(5|52)\*/.test(dialString)) return confirm(`ATD${dialString} unblocks a PIN with its PUK by MMI code: 10 wrong PUKs destroy the SIM`);
  // *99# (and *98#) start a packet data call: CONNECT, then the port carries data, not AT.
  if (/^\*9[89][*#]/.test(dialString)) return confirm(`ATD${dialString} starts a packet data call: the port stops answering AT commands until the call ends`);
  return PLAIN;
};

const judgeCommand = (cmd: Command): Judged => {
  // A query reads and changes nothing, whatever the command.
  if (cmd.op === "?" || cmd.op === "=?") return PLAIN;
  if (cmd.name === "+CMGD") {
    const f = fields(cmd);
    const index = parseDecimal(f[0]);
    const flag = f[1] === undefined || f[1] === "" ? 0 : parseDecimal(f[1]);
    if (flag === null || flag > 4) return confirm(`${text(cmd)}: the delete flag cannot be read`);
    // 27.005 3.5.4: with a <delflag> other than 0 the index is ignored.
    if (flag > 0) return { kind: "delete", index: index ?? 0, flag };
    if (index === null) return confirm(`${text(cmd)}: the index of the message to delete cannot be read`);
    return { kind: "delete", index, flag };
  }
  if (cmd.name === "+CMGS" || cmd.name === "+CMSS" || cmd.name === "+CMGW") {
    return { kind: "send", command: cmd.name.slice(1) as "CMGS" | "CMSS" | "CMGW" };
  }
  if (EXTENDED_START.includes(cmd.name[0]!)) return extended(cmd);
  return basic(cmd);
};

/**
 * The verdict on one console line. Every command chained on it is judged; the strictest
 * wins (confirm, delete, send, reassert, plain) and the reasons of the same class are
 * joined as sentences. A verdict carries one message, so a line with several deletes or sends asks for
 * a confirmation instead: the service could check or record only one of them.
 */
export const judgeConsoleLine = (line: string): ConsoleVerdict => {
  const judged = splitConsoleLine(line).map(judgeCommand);
  const confirms = judged.flatMap((j) => (j.kind === "confirm" ? [j.reason] : []));
  const messages = judged.filter((j) => j.kind === "delete" || j.kind === "send");
  if (messages.length > 1)
    confirms.push(`${messages.length} message commands on one line: the service checks and records one per line, so type them on separate lines`);
  if (confirms.length) return { kind: "confirm", reason: confirms.join(". ") };
  const del = judged.find((j) => j.kind === "delete");
  if (del) return del;
  const send = judged.find((j) => j.kind === "send");
  if (send) return send;
  const reasserts = judged.flatMap((j) => (j.kind === "reassert" ? [j.reason] : []));
  if (reasserts.length) return { kind: "reassert", reason: reasserts.join(". ") };
  return PLAIN;
};

/**
 * The message a console +CMGS carries: in text mode the number is in the command and the body is the text; in PDU mode the body is the hex PDU (with its SMSC prefix). Null when it cannot be read.
 *
 * +CMGW is read the same way (same syntax). The body may end with the Ctrl-Z that sends it;
 * one ending in ESC is cancelled by the modem (27.005 3.5.1), so nothing leaves. Line breaks
 * typed in a text-mode body reach the modem as CR and are returned as "\n". Text mode is read
 * as typed, which is right under the service's +CSCS="GSM".
 */
export const consoleSubmit = (command: string, body: string, pduMode: boolean): { readonly to: string; readonly text: string } | null => {
  // The command may be passed as stored, without its AT.
  const line = /^\s*AT/i.test(command) ? command : `AT${command}`;
  const cmd = splitConsoleLine(line).find((c) => (c.name === "+CMGS" || c.name === "+CMGW") && c.op === "=");
  if (!cmd) return null;
  if (/\x1b\s*$/.test(body)) return null;
  const content = body.replace(/\x1a[\s\S]*$/, "");
  if (pduMode) {
    const hex = content.replace(/\s+/g, "");
    if (!/^(?:[0-9A-Fa-f]{2})+$/.test(hex)) return null;
    const pdu = decodeSmsPdu(hex, { hasSmsc: true });
    if (!pdu.ok || pdu.value.type !== "SMS-SUBMIT" || pdu.value.number === "") return null;
    return { to: pdu.value.number, text: pdu.value.text };
  }
  // The normalised command has no spaces outside quotes; a quoted number keeps any it had.
  const to = unquote(splitFields(cmd.args)[0]).replace(/[\s-]/g, "");
  if (!/^\+?[0-9*#]{1,20}$/.test(to)) return null;
  return { to, text: content.replace(/\r\n?/g, "\n") };
};
