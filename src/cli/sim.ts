import { readFileSync } from "node:fs";
import { parseSimConfig, ConfigError, type SimConfig } from "../../hil/config";
import { Farm, FarmError } from "../../hil/farm";
import { ServedFarm } from "../../hil/serve";
import { startControl } from "../../hil/control/http";
import { PERSONALITIES } from "../../hil/personalities";
import { BANK_MODELS } from "../../hil/bank/sim-bank";
import { TIMING_MODELS } from "../../hil/timing";
import { decodeArg, NameArg, readArgs, WholeNumberArg } from "./args";

const USAGE = `usage:
  simgate sim --config <file>
  simgate sim --modems N [--personality NAME] [--manifest FILE] [--control HOST:PORT]
              [--bank MODEL] [--tcp-base-port P] [--link-dir DIR] [--timing instant|realistic] [--seed N]

Starts virtual modems on pseudo-terminals and prints their paths; runs until Ctrl-C.
personalities: ${Object.keys(PERSONALITIES).join(", ")}
bank models:   ${BANK_MODELS.join(", ")}`;

const fail = (message: string): number => {
  process.stderr.write(`simgate sim: ${message}\n`);
  return 2;
};

/** `sim`: a farm of virtual modems on real pseudo-terminals, with the control endpoint. */
/** The options that are numbers or names, decoded before anything starts. */
const OPTION_VALUES = {
  modems: { schema: WholeNumberArg(0, 5000), words: "--modems wants a number from 1 to 5000" },
  "tcp-base-port": { schema: WholeNumberArg(0, 65_535), words: "--tcp-base-port wants a port number" },
  seed: { schema: WholeNumberArg(0, Number.MAX_SAFE_INTEGER), words: "--seed wants a whole number" },
} as const;
const Timing = NameArg(Object.keys(TIMING_MODELS));
const Bank = NameArg(BANK_MODELS);

export const runSim = async (args: string[]): Promise<number> => {
  const read = readArgs(
    args,
    {
      config: { type: "string" },
      modems: { type: "string" },
      personality: { type: "string" },
      manifest: { type: "string" },
      control: { type: "string" },
      bank: { type: "string" },
      "tcp-base-port": { type: "string" },
      "link-dir": { type: "string" },
      timing: { type: "string" },
      seed: { type: "string" },
      help: { type: "boolean" },
    },
    { positionals: false },
  );
  if (!read.ok) return fail(`${read.message}\n${USAGE}`);
  const parsed = read.parsed.values;
  const numbers: Partial<Record<keyof typeof OPTION_VALUES, number>> = {};
  for (const [name, { schema, words }] of Object.entries(OPTION_VALUES) as [keyof typeof OPTION_VALUES, (typeof OPTION_VALUES)[keyof typeof OPTION_VALUES]][]) {
    const decoded = decodeArg(schema, parsed[name], words);
    if (!decoded.ok) return fail(`${decoded.message}\n${USAGE}`);
    if (decoded.value !== undefined) numbers[name] = decoded.value;
  }
  const timing = decodeArg(Timing, parsed.timing, `--timing wants ${Object.keys(TIMING_MODELS).join(" or ")}`);
  if (!timing.ok) return fail(`${timing.message}\n${USAGE}`);
  const bank = decodeArg(Bank, parsed.bank, `--bank wants one of ${BANK_MODELS.join(", ")}`);
  if (!bank.ok) return fail(`${bank.message}\n${USAGE}`);
  if (parsed.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let config: SimConfig;
  try {
    if (parsed.config) {
      let json: unknown;
      try {
        json = JSON.parse(readFileSync(parsed.config, "utf8"));
      } catch (error) {
        return fail(`cannot read ${parsed.config}: ${(error as Error).message}`);
      }
      config = parseSimConfig(json, parsed.config);
    } else {
      const count = numbers.modems ?? 0;
      const personality = parsed.personality ?? "generic";
      config = parseSimConfig({
        modems: Array.from({ length: count }, () => ({ personality })),
        ...(bank.value ? { banks: [{ model: bank.value, personality }] } : {}),
        ...(timing.value ? { timing: timing.value } : {}),
        ...(numbers.seed !== undefined ? { seed: numbers.seed } : {}),
      }, "options");
    }
  } catch (error) {
    if (error instanceof ConfigError) return fail(error.message);
    throw error;
  }
  const tcpBase = numbers["tcp-base-port"] ?? config.tcpBasePort;
  let farm: Farm;
  try {
    farm = new Farm(config);
  } catch (error) {
    if (error instanceof FarmError || error instanceof Error) return fail(error.message);
    throw error;
  }
  const manifestPath = parsed.manifest ?? config.manifest;
  const linkDir = parsed["link-dir"] ?? config.linkDir;
  const served = await ServedFarm.start(farm, {
    ...(manifestPath ? { manifestPath } : {}),
    ...(linkDir ? { linkDir } : {}),
    ...(tcpBase !== undefined ? { tcpBasePort: tcpBase } : {}),
  });
  const controlListen = parsed.control ?? config.control;
  let control: Awaited<ReturnType<typeof startControl>> | undefined;
  if (controlListen) {
    try {
      control = await startControl({ farm, served }, controlListen);
    } catch (error) {
      await served.stop();
      return fail(`control endpoint: ${(error as Error).message}`);
    }
    served.controlUrl = control.url;
    served.writeManifest();
  }
  for (const m of served.manifest().modems)
    process.stdout.write(`${m.id}  ${m.path}${m.tcp ? `  ${m.tcp}` : ""}  ${m.personality}  IMEI ${m.imei}  SIM ${m.number ?? "-"} ${m.iccid ?? ""}\n`);
  for (const b of served.manifest().banks) process.stdout.write(`${b.id}  ${b.path}  ${b.model} controller (modems ${b.modems[0]}..)\n`);
  if (manifestPath) process.stdout.write(`manifest: ${manifestPath}\n`);
  if (control) process.stdout.write(`control: ${control.url}\n`);
  process.stdout.write("ready\n");
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  control?.server.close();
  await served.stop();
  return 0;
};
