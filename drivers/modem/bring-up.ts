/**
 * Bring-up: find the modem (AT with retries), learn what it is, pick its profile, set it up,
 * and read the SIM, registration, operator and signal. Every step's failure is reported with
 * the modem's own error; only a modem that never answers fails the bring-up.
 */
import { Data, Effect } from "effect";
import { parseCopsRead } from "../../protocol/at/operator";
import { parseRegistration } from "../../protocol/at/registration";
import { parseCimi, parseCnum, parseCpinRead, parseCsq, parseIccid } from "../../protocol/at/sim";
import type { AtPort } from "../at/at-port";
import type { AtError } from "../at/errors";
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

const text = (port: AtPort, command: string) => port.command(command).pipe(Effect.map((r) => r.lines.join("\r\n")));

/** The first reply line, without a `+CGMI: ` style prefix some firmwares add. */
const firstValue = (port: AtPort, command: string) =>
  port.command(command).pipe(Effect.map((r) => (r.lines[0] ?? "").replace(/^\+\w+:\s*/, "").trim()));

export interface ProbeOptions {
  /** Tries of a plain AT before the modem is declared silent (default 5). */
  readonly attempts: number;
  /** Each try's wait (default 1 s). */
  readonly timeoutMs: number;
}

const DEFAULT_PROBE: ProbeOptions = { attempts: 5, timeoutMs: 1_000 };

export const probe = (port: AtPort, options: ProbeOptions = DEFAULT_PROBE): Effect.Effect<void, BringUpFailed> =>
  port.command("AT", { timeoutMs: options.timeoutMs }).pipe(
    Effect.retry({ times: options.attempts - 1 }),
    Effect.mapError((e) => new BringUpFailed({ target: port.target, reason: `no answer to AT after ${options.attempts} tries (${e.message})` })),
    Effect.asVoid,
  );

export const readIdentity = (port: AtPort): Effect.Effect<ModemIdentity, AtError> =>
  Effect.all({
    manufacturer: firstValue(port, "AT+CGMI"),
    model: firstValue(port, "AT+CGMM"),
    revision: firstValue(port, "AT+CGMR"),
    imei: firstValue(port, "AT+CGSN"),
  });

/** The SIM: lock state, then ICCID, IMSI and the number when the card is ready. */
export const readSim = (port: AtPort, profile: VendorProfile): Effect.Effect<SimIdentity> =>
  Effect.gen(function* () {
    const pin = yield* port.command("AT+CPIN?").pipe(Effect.either);
    if (pin._tag === "Left") {
      const e = pin.left;
      // 10: SIM not inserted; 13: SIM failure; 14: SIM busy (still being read).
      if (e._tag === "AtModemError" && e.error.family === "CME" && (e.error.code === 10 || e.error.code === 13))
        return { lock: "ABSENT", iccid: null, imsi: null, number: null } as const;
      return { lock: "NOT READY", iccid: null, imsi: null, number: null } as const;
    }
    const parsed = parseCpinRead(pin.right.lines.join("\r\n"));
    const lock = parsed.ok ? parsed.value.lock : "UNKNOWN";
    if (lock !== "READY") return { lock, iccid: null, imsi: null, number: null };
    let iccid: string | null = null;
    for (const command of profile.iccidCommands) {
      const reply = yield* text(port, command).pipe(Effect.option);
      if (reply._tag === "None") continue;
      const value = parseIccid(reply.value);
      if (value.ok) {
        iccid = value.value;
        break;
      }
    }
    const imsiReply = yield* text(port, "AT+CIMI").pipe(Effect.option);
    const imsi = imsiReply._tag === "Some" ? parseCimi(imsiReply.value) : null;
    const cnumReply = yield* text(port, "AT+CNUM").pipe(Effect.option);
    const cnum = cnumReply._tag === "Some" && cnumReply.value ? parseCnum(cnumReply.value) : null;
    return {
      lock,
      iccid,
      imsi: imsi?.ok ? imsi.value : null,
      number: cnum?.ok ? (cnum.value.find((n) => n.number)?.number ?? null) : null,
    };
  });

/** Registration, operator (long name) and signal; a step that fails leaves its field null. */
export const readNetwork = (port: AtPort): Effect.Effect<Pick<ModemSnapshot, "registration" | "operator" | "signal">> =>
  Effect.gen(function* () {
    const reg = yield* text(port, "AT+CREG?").pipe(Effect.option);
    const registration = reg._tag === "Some" ? parseRegistration(reg.value, { solicited: true }) : null;
    yield* port.command("AT+COPS=3,0").pipe(Effect.ignore);
    const cops = yield* text(port, "AT+COPS?").pipe(Effect.option);
    // The +CSCS set at init is GSM: names come in the GSM alphabet.
    const operator = cops._tag === "Some" ? parseCopsRead(cops.value, { charset: "GSM" }) : null;
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
}

/**
 * Echo off, the message storages (before anything that could let a message in), numeric
 * errors, then the profile's init. Run at bring-up and again whenever the
 * modem shows it restarted (it forgot all of it). Failed steps are returned, not thrown.
 */
export const initialise = (port: AtPort, profile: VendorProfile | null): Effect.Effect<StepProblem[]> =>
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
    const identity = yield* readIdentity(port).pipe(
      Effect.mapError((e) => new BringUpFailed({ target: port.target, reason: `identity: ${e.message}` })),
    );
    const profile = pickProfile(identity.manufacturer, identity.model);
    problems.push(...(yield* initialise(port, profile)));
    const sim = yield* readSim(port, profile);
    const network = yield* readNetwork(port);
    return { snapshot: { port: "ready", identity, profile: profile.name, sim, ...network }, profile, problems };
  });
