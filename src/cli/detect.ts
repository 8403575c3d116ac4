/**
 * `simgate detect`: which serial ports answer AT, and what is behind them (manufacturer,
 * model, IMEI, SIM). Read-only: it sends only queries, never settings. Prints a line per
 * port and a configuration snippet for the modems that answered, by their stable
 * /dev/serial/by-id names when the system has them. A modem with several AT ports (Huawei
 * sticks have a modem and a PC UI port) is listed once, by its first port.
 */
import { readdirSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { Duration, Effect } from "effect";
import { makeAtPort } from "../../drivers/at/at-port";
import { probe, readIdentityDetailed, readSim } from "../../drivers/modem/bring-up";
import type { ModemIdentity, SimIdentity } from "../../drivers/modem/state";
import { pickProfile } from "../../drivers/modem/profiles";
import { openSerial } from "../../drivers/transport/serial";
import { decodeArg, readArgs, refuse, WholeNumberArg } from "./args";

const USAGE = `usage: simgate detect [PATH...] [--timeout MS]

Probes serial ports with AT (default: every /dev/ttyUSB* and /dev/ttyACM*; or the paths
given) and prints what answered: manufacturer, model, IMEI, SIM state, ICCID, IMSI. Then a
"devices" entry for simgate.config.json with the modems that answered. Read-only: only
queries are sent. A port in use by another program cannot be opened and is said so.
--timeout is per port (default 4000 ms).`;

export interface Found {
  readonly path: string;
  readonly outcome: "modem" | "silent" | "unopenable";
  readonly detail: string;
  readonly imei?: string;
}

const BY_ID = "/dev/serial/by-id";

/** The /dev/serial/by-id name of a tty, when udev made one. */
const stableName = (path: string): string => {
  try {
    const real = realpathSync(path);
    for (const name of readdirSync(BY_ID)) if (realpathSync(join(BY_ID, name)) === real) return join(BY_ID, name);
  } catch {
    // No by-id directory (containers, some systems): the path as given.
  }
  return path;
};

const defaultPorts = (): string[] => {
  try {
    return readdirSync("/dev")
      .filter((n) => /^tty(USB|ACM)\d+$/.test(n))
      .sort((a, b) => a.localeCompare(b, undefined, { numeric: true }))
      .map((n) => `/dev/${n}`);
  } catch {
    return [];
  }
};

/** What a probe has learned so far: kept when the time runs out, so nothing read is lost. */
interface Progress {
  answered: boolean;
  identity: ModemIdentity | null;
  sim: SimIdentity | null;
  /** The step under way (what a timeout interrupted). */
  step: "probe" | "identity" | "SIM";
}

const simText = (sim: SimIdentity): string =>
  sim.lock === "READY"
    ? `SIM ready, ${sim.iccidSource === "imsi-fallback" ? "ICCID unreadable" : `ICCID ${sim.iccid ?? "?"}`}, IMSI ${sim.imsi ?? "?"}${sim.number ? `, number ${sim.number}` : ""}`
    : `SIM ${sim.lock}`;

const identityText = (id: ModemIdentity): string => {
  const unread = id.unreadable?.length ? ` (unreadable: ${id.unreadable.join(", ")})` : "";
  return `${id.manufacturer || "?"} ${id.model || "?"}, IMEI ${id.imei || "?"}${unread}`;
};

const report = (path: string, p: Progress, timedOutMs: number | null): Found => {
  const late = timedOutMs === null ? "" : ` (${p.step} not complete within ${timedOutMs} ms)`;
  if (!p.answered) return { path, outcome: "silent", detail: timedOutMs === null ? "no answer to AT (not an AT port, or another program holds it)" : `nothing complete within ${timedOutMs} ms` };
  if (!p.identity) return { path, outcome: "modem", detail: `answers AT; identity unreadable${late}` };
  const parts = [identityText(p.identity), ...(p.sim ? [simText(p.sim)] : [])];
  return { path, outcome: "modem", ...(p.identity.imei ? { imei: p.identity.imei } : {}), detail: `${parts.join(", ")}${late}` };
};

export const detectPort = (path: string, timeoutMs: number): Promise<Found> => {
  const progress: Progress = { answered: false, identity: null, sim: null, step: "probe" };
  return Effect.runPromise(
    Effect.scoped(
      Effect.gen(function* () {
        const transport = yield* openSerial(path).pipe(Effect.either);
        if (transport._tag === "Left") return { path, outcome: "unopenable", detail: transport.left.message } satisfies Found;
        const port = yield* makeAtPort(transport.right);
        const answered = yield* probe(port, { attempts: 2, timeoutMs: Math.max(200, Math.floor(timeoutMs / 4)) }).pipe(Effect.either);
        if (answered._tag === "Left") return report(path, progress, null);
        progress.answered = true;
        progress.step = "identity";
        const identity = yield* readIdentityDetailed(port).pipe(Effect.either);
        if (identity._tag === "Left") return { path, outcome: "modem", detail: `answers AT; identity unreadable (${identity.left.message})` } satisfies Found;
        progress.identity = identity.right.identity;
        progress.step = "SIM";
        const id = identity.right.identity;
        progress.sim = yield* readSim(port, pickProfile(id.manufacturer, id.model));
        return report(path, progress, null);
      }),
    ).pipe(
      // What was read before the budget ran out is reported, and what did not finish is named.
      Effect.timeoutTo({ duration: Duration.millis(timeoutMs), onSuccess: (f: Found) => f, onTimeout: (): Found => report(path, progress, timeoutMs) }),
    ),
  );
};

/** Per port; below 200 ms not even the probe's two attempts fit. */
const TimeoutMs = WholeNumberArg(200, Number.MAX_SAFE_INTEGER);

export const runDetect = async (args: string[]): Promise<number> => {
  const read = readArgs(args, { timeout: { type: "string" }, help: { type: "boolean", short: "h" } });
  if (!read.ok) return refuse("detect", USAGE, read.message);
  if (read.parsed.values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const timeout = decodeArg(TimeoutMs, read.parsed.values.timeout, "--timeout needs a number of ms (at least 200)");
  if (!timeout.ok) return refuse("detect", USAGE, timeout.message);
  const timeoutMs = timeout.value ?? 4_000;
  const paths = read.parsed.positionals;
  const ports = paths.length ? paths : defaultPorts();
  if (ports.length === 0) {
    process.stdout.write("no /dev/ttyUSB* or /dev/ttyACM* ports here; plug the modems in, or name ports: simgate detect /dev/ttyS1\n");
    return 1;
  }
  process.stdout.write(`probing ${ports.length} port(s)...\n`);
  const found = await Promise.all(ports.map((p) => detectPort(p, timeoutMs)));
  const seen = new Map<string, string>();
  const modems: string[] = [];
  for (const f of found) {
    const twin = f.imei ? seen.get(f.imei) : undefined;
    if (twin) {
      process.stdout.write(`${f.path}  another AT port of the modem on ${twin}: not listed\n`);
      continue;
    }
    if (f.imei) seen.set(f.imei, f.path);
    process.stdout.write(`${f.path}  ${f.outcome === "modem" ? "" : `${f.outcome}: `}${f.detail}\n`);
    if (f.outcome === "modem") modems.push(stableName(f.path));
  }
  if (modems.length === 0) {
    process.stdout.write("no modem answered\n");
    return 1;
  }
  const snippet = { devices: [{ id: "detected", title: "Detected modems", model: "pool", modems }] };
  process.stdout.write(`\nfor simgate.config.json:\n${JSON.stringify(snippet, null, 2)}\n`);
  return 0;
};
