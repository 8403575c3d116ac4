/**
 * Bring-up: find the modem (AT with retries), learn what it is, pick its profile, set it up,
 * and read the SIM, registration, operator and signal. Every step's failure is reported with
 * the modem's own error; only a modem that never answers fails the bring-up.
 */
import { Data, Effect } from "effect";
import { parseCopsRead } from "../../protocol/at/operator";
import { parseRegistration } from "../../protocol/at/registration";
import { parseCimi, parseCnum, parseCpinRead, parseCsq, parseIccid } from "../../protocol/at/sim";
import type { TeCharset } from "../../protocol/text/charset";
import type { AtPort, DirectAt } from "../at/at-port";
import type { AtError } from "../at/errors";
import { VENDOR_URCS } from "../vendors";
import { pickProfile, STORAGE_INIT, type VendorProfile } from "./profiles";
import type { ModemIdentity, ModemSnapshot, SimIdentity } from "./state";

export class BringUpFailed extends Data.TaggedError("BringUpFailed")<{ readonly target: string; readonly reason: string }> {
  override get message(): string {
    return `${this.target}: ${this.reason}`;
  }
}

/** A step that did not work, kept for the event log. */
export interface StepProblem {
  readonly command: string;
  readonly error: string;
}

const text = (port: DirectAt, command: string) => port.command(command).pipe(Effect.map((r) => r.lines.join("\r\n")));

export interface ProbeOptions {
  /** Tries of a plain AT before the modem is declared silent (default 5). */
  readonly attempts: number;
  /** Each try's wait (default 1 s). */
  readonly timeoutMs: number;
}

const DEFAULT_PROBE: ProbeOptions = { attempts: 5, timeoutMs: 1_000 };

/**
 * One plain AT: succeeds on any final result. A modem that answers ERROR or a CME error to a
 * bare AT (seen on firmwares in a half-initialised state, and on some that want AT+CMEE
 * first) is an AT port that is alive; only silence or a closed port is not.
 */
export const answersAt = (port: AtPort, options: { readonly timeoutMs: number; readonly priority?: "urgent" | "normal" }): Effect.Effect<void, AtError> =>
  port.command("AT", { timeoutMs: options.timeoutMs, ...(options.priority ? { priority: options.priority } : {}) }).pipe(
    Effect.asVoid,
    Effect.catchTag("AtModemError", () => Effect.void),
  );

/**
 * Finds the modem: a plain AT until one is answered. The port learns every vendor's own
 * unsolicited codes first, so a boot or SIM line that lands inside a reply (`+QUSIM: 1`
 * in the middle of the ICCID reply) is not read as the answer.
 */
export const probe = (port: AtPort, options: ProbeOptions = DEFAULT_PROBE): Effect.Effect<void, BringUpFailed> =>
  Effect.zipRight(port.addUrcs(VENDOR_URCS), answersAt(port, { timeoutMs: options.timeoutMs })).pipe(
    Effect.retry({ times: options.attempts - 1 }),
    Effect.mapError((e) => new BringUpFailed({ target: port.target, reason: `no answer to AT after ${options.attempts} tries (${e.message})` })),
    Effect.asVoid,
  );

type IdentityField = "manufacturer" | "model" | "revision" | "imei";

/** `Manufacturer: huawei` style ATI lines (Huawei, SIMGATE's generic), by field. */
const ATI_LABELS: Readonly<Record<IdentityField, RegExp>> = {
  manufacturer: /^(?:manufacturer|mfr)\s*:\s*(.+)$/i,
  model: /^model\s*:\s*(.+)$/i,
  revision: /^revision\s*:\s*(.+)$/i,
  imei: /^(?:imei|imei sv|esn)\s*:\s*(\d{14,17})$/i,
};

/**
 * ATI without labels: Quectel prints manufacturer, model and `Revision: ...` on three lines;
 * SIMCom a single `SIM800 R14.18`. Only the labelled revision and a bare 15-digit IMEI are
 * taken from such lines; the first two lines stand for manufacturer and model only when
 * there are at least three and none is labelled.
 */
const fromAti = (lines: readonly string[]): Partial<Record<IdentityField, string>> => {
  const out: Partial<Record<IdentityField, string>> = {};
  for (const line of lines)
    for (const [field, pattern] of Object.entries(ATI_LABELS) as [IdentityField, RegExp][]) {
      const m = pattern.exec(line.trim());
      // Some firmwares repeat the command letter before each value ("Model: I: SCH-U706/99",
      // a Samsung module in gammu tests/at-model/05.dump).
      if (m && !out[field]) out[field] = m[1]!.replace(/^I:\s*/, "").trim();
    }
  const bare = lines.map((l) => l.trim()).filter((l) => l && !/:/.test(l) && !/^\+/.test(l));
  if (!out.imei) {
    const imei = bare.find((l) => /^\d{15}$/.test(l));
    if (imei) out.imei = imei;
  }
  const labelled = lines.some((l) => /^(manufacturer|model)\s*:/i.test(l.trim()));
  if (!labelled && lines.length >= 3 && bare.length >= 2) {
    out.manufacturer ??= bare[0]!;
    out.model ??= bare[1]!;
  }
  return out;
};

/** `+CGSN: "864..."` or the bare digits: the IMEI is 15 digits (14 + check, 23.003 6.2.1). */
const imeiOf = (value: string): string | null => /^"?(\d{15})"?$/.exec(value.replace(/^\+C?GSN:\s*/i, ""))?.[1] ?? null;

export interface ReadIdentityResult {
  readonly identity: ModemIdentity;
  /** Commands that failed on the way, with the modem's words (also where a fallback answered). */
  readonly problems: readonly StepProblem[];
}

/**
 * Identity field by field: each 27.007 command (+CGMI...), then its V.250 twin (+GMI...),
 * then what ATI and ATI3 print. A field nothing answers stays "" and is listed in
 * `unreadable`; a modem that answers nothing of it still comes up.
 */
export const readIdentityDetailed = (port: AtPort): Effect.Effect<ReadIdentityResult, AtError> =>
  Effect.gen(function* () {
    const problems: StepProblem[] = [];
    const values: Partial<Record<IdentityField, string>> = {};
    const ask = (command: string) =>
      port.command(command).pipe(
        Effect.map((r) => r.lines),
        Effect.catchTag("AtModemError", (e) => Effect.sync(() => (problems.push({ command, error: e.message }), null))),
        // A timeout on one identity command is not the whole modem: the port has resynced.
        Effect.catchTag("AtTimeout", (e) => Effect.sync(() => (problems.push({ command, error: e.message }), null))),
      );
    const plain: readonly [IdentityField, readonly string[]][] = [
      ["manufacturer", ["AT+CGMI", "AT+GMI"]],
      ["model", ["AT+CGMM", "AT+GMM"]],
      ["revision", ["AT+CGMR", "AT+GMR"]],
      ["imei", ["AT+CGSN", "AT+GSN"]],
    ];
    for (const [field, commands] of plain)
      for (const command of commands) {
        const lines = yield* ask(command);
        const first = (lines?.[0] ?? "").replace(/^\+\w+:\s*/, "").trim();
        const value = field === "imei" ? imeiOf(lines?.[0]?.trim() ?? "") : first || null;
        if (value) {
          values[field] = value;
          break;
        }
      }
    for (const command of ["ATI", "ATI3"]) {
      if (plain.every(([f]) => values[f])) break;
      const lines = yield* ask(command);
      if (!lines) continue;
      const found = fromAti(lines);
      for (const [field] of plain) values[field] ??= found[field];
    }
    const unreadable = plain.map(([f]) => f).filter((f) => !values[f]);
    const identity: ModemIdentity = {
      manufacturer: values.manufacturer ?? "",
      model: values.model ?? "",
      revision: values.revision ?? "",
      imei: values.imei ?? "",
      ...(unreadable.length ? { unreadable } : {}),
    };
    return { identity, problems: unreadable.length ? problems : problems.filter((p) => !/^ATI3?$/.test(p.command)) };
  });

export const readIdentity = (port: AtPort): Effect.Effect<ModemIdentity, AtError> => Effect.map(readIdentityDetailed(port), (r) => r.identity);

/** EF_ICCID read from the card itself (27.007 8.18 READ BINARY of file 0x2FE2, ten bytes). */
export const ICCID_FROM_SIM_FILE = "AT+CRSM=176,12258,0,0,10";

/** The card's key when no ICCID can be read: stable for the card, and never a real ICCID. */
export const imsiFallbackKey = (imsi: string): string => `imsi:${imsi}`;

/** The card's ICCID: the profile's commands first, then the card's own EF_ICCID file. */
export const readIccid = (port: DirectAt, profile: VendorProfile): Effect.Effect<{ readonly iccid: string; readonly source: "command" | "sim-file" } | null> =>
  Effect.gen(function* () {
    for (const command of [...profile.iccidCommands, ICCID_FROM_SIM_FILE]) {
      const reply = yield* text(port, command).pipe(Effect.option);
      if (reply._tag === "None") continue;
      const value = command === ICCID_FROM_SIM_FILE ? parseIccid(reply.value) : profile.parseIccid(reply.value);
      if (value.ok) return { iccid: value.value, source: command === ICCID_FROM_SIM_FILE ? ("sim-file" as const) : ("command" as const) };
    }
    return null;
  });

/**
 * The key of the card in the modem now, read the way `readSim` read it (the ICCID, or
 * `imsi:<IMSI>` for a card keyed by its IMSI); null when the card does not answer.
 */
export const readCardKey = (port: DirectAt, profile: VendorProfile, byImsi: boolean): Effect.Effect<string | null> =>
  byImsi
    ? text(port, "AT+CIMI").pipe(
        Effect.map((reply) => {
          const imsi = parseCimi(reply);
          return imsi.ok ? imsiFallbackKey(imsi.value) : null;
        }),
        Effect.orElseSucceed(() => null),
      )
    : Effect.map(readIccid(port, profile), (read) => read?.iccid ?? null);

export interface ReadSimOptions {
  /**
   * The modem has just said `+CPIN: READY` by itself. A +CPIN? that then times out or says
   * "SIM busy" (CME 14) does not overrule it: cards answer queries slowly right after a
   * switch, and the modem's own word is the better evidence.
   */
  readonly announced?: "READY";
}

/**
 * The SIM: lock state, then ICCID, IMSI and the number when the card is ready. The ICCID
 * comes from the profile's commands, else from the card's EF_ICCID file, else the card is
 * keyed by its IMSI (`imsi:<IMSI>`, with `iccidSource` saying so) so that a ready card never
 * goes unregistered.
 */
export const readSim = (port: AtPort, profile: VendorProfile, options: ReadSimOptions = {}): Effect.Effect<SimIdentity> =>
  Effect.gen(function* () {
    const pin = yield* port.command("AT+CPIN?").pipe(Effect.either);
    let lock: SimIdentity["lock"];
    if (pin._tag === "Left") {
      const e = pin.left;
      // 10: SIM not inserted; 13: SIM failure; 14: SIM busy (still being read).
      if (e._tag === "AtModemError" && e.error.family === "CME" && (e.error.code === 10 || e.error.code === 13))
        return { lock: "ABSENT", iccid: null, imsi: null, number: null } as const;
      if (options.announced !== "READY" || e._tag === "AtPortClosed") return { lock: "NOT READY", iccid: null, imsi: null, number: null } as const;
      lock = "READY";
    } else {
      const parsed = parseCpinRead(pin.right.lines.join("\r\n"));
      lock = parsed.ok ? parsed.value.lock : "UNKNOWN";
    }
    if (lock !== "READY") return { lock, iccid: null, imsi: null, number: null };
    const read = yield* readIccid(port, profile);
    let iccid = read?.iccid ?? null;
    let iccidSource: SimIdentity["iccidSource"] = read?.source === "sim-file" ? "sim-file" : undefined;
    const imsiReply = yield* text(port, "AT+CIMI").pipe(Effect.option);
    const imsi = imsiReply._tag === "Some" ? parseCimi(imsiReply.value) : null;
    const cnumReply = yield* text(port, "AT+CNUM").pipe(Effect.option);
    const cnum = cnumReply._tag === "Some" && cnumReply.value ? parseCnum(cnumReply.value) : null;
    const imsiValue = imsi?.ok ? imsi.value : null;
    if (!iccid && imsiValue) {
      iccid = imsiFallbackKey(imsiValue);
      iccidSource = "imsi-fallback";
    }
    return {
      lock,
      iccid,
      imsi: imsiValue,
      number: cnum?.ok ? (cnum.value.find((n) => n.number)?.number ?? null) : null,
      ...(iccidSource ? { iccidSource } : {}),
    };
  });

const CHARSETS: readonly TeCharset[] = ["GSM", "IRA", "UCS2", "8859-1"];

/**
 * The TE character set in force (27.007 5.5): "GSM" when the init's +CSCS="GSM" took,
 * else what the modem says it uses (a module without the GSM set stays in IRA or its own
 * default), since names and USSD texts arrive in it.
 */
export const charsetInForce = (port: DirectAt, initProblems: readonly StepProblem[]): Effect.Effect<TeCharset> =>
  initProblems.some((p) => /^AT\+CSCS=/i.test(p.command))
    ? text(port, "AT+CSCS?").pipe(
        Effect.map((reply) => {
          const name = /\+CSCS:\s*"?([^"\r\n]+)"?/i.exec(reply)?.[1]?.trim().toUpperCase();
          return CHARSETS.find((c) => c === name) ?? "IRA";
        }),
        Effect.orElseSucceed((): TeCharset => "IRA"),
      )
    : Effect.succeed<TeCharset>("GSM");

/** Registration, operator (long name) and signal; a step that fails leaves its field null. */
export const readNetwork = (port: AtPort, charset: TeCharset = "GSM"): Effect.Effect<Pick<ModemSnapshot, "registration" | "operator" | "signal">> =>
  Effect.gen(function* () {
    const reg = yield* text(port, "AT+CREG?").pipe(Effect.option);
    const registration = reg._tag === "Some" ? parseRegistration(reg.value, { solicited: true }) : null;
    yield* port.command("AT+COPS=3,0").pipe(Effect.ignore);
    const cops = yield* text(port, "AT+COPS?").pipe(Effect.option);
    // Names come in the TE character set in force.
    const operator = cops._tag === "Some" ? parseCopsRead(cops.value, { charset }) : null;
    const csq = yield* text(port, "AT+CSQ").pipe(Effect.option);
    const signal = csq._tag === "Some" ? parseCsq(csq.value) : null;
    return {
      registration: registration?.ok ? registration.value.state : null,
      operator: operator?.ok ? operator.value.operator : null,
      signal: signal?.ok ? signal.value : null,
    };
  });

export interface BringUpResult {
  readonly snapshot: ModemSnapshot;
  readonly profile: VendorProfile;
  readonly problems: readonly StepProblem[];
  /** The +CSCS in force after the init. */
  readonly charset: TeCharset;
}

/**
 * Echo off, the message storages (before anything that could let a message in), numeric
 * errors, then the profile's init. Run at bring-up and again whenever the
 * modem shows it restarted (it forgot all of it). Failed steps are returned, not thrown.
 */
export const initialise = (port: DirectAt, profile: VendorProfile | null): Effect.Effect<StepProblem[]> =>
  Effect.gen(function* () {
    const problems: StepProblem[] = [];
    const step = (command: string) =>
      port.command(command).pipe(
        Effect.catchAll((e) => Effect.sync(() => problems.push({ command, error: e.message }))),
        Effect.asVoid,
      );
    yield* Effect.forEach(["ATE0", STORAGE_INIT, "AT+CMEE=1", ...(profile?.init ?? [])], step, { discard: true });
    return problems;
  });

export const bringUp = (port: AtPort, probeOptions?: ProbeOptions): Effect.Effect<BringUpResult, BringUpFailed> =>
  Effect.gen(function* () {
    yield* probe(port, probeOptions);
    const problems = yield* initialise(port, null);
    const read = yield* readIdentityDetailed(port).pipe(
      Effect.mapError((e) => new BringUpFailed({ target: port.target, reason: `identity: ${e.message}` })),
    );
    const identity = read.identity;
    problems.push(...read.problems);
    if (identity.unreadable?.length) problems.push({ command: "identity", error: `unreadable: ${identity.unreadable.join(", ")} (no command answered with it)` });
    const profile = pickProfile(identity.manufacturer, identity.model);
    const initProblems = yield* initialise(port, profile);
    problems.push(...initProblems);
    const charset = yield* charsetInForce(port, initProblems);
    const sim = yield* readSim(port, profile);
    const network = yield* readNetwork(port, charset);
    return { snapshot: { port: "ready", identity, profile: profile.name, sim, ...network }, profile, problems, charset };
  });
