import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { parseSimConfig, ConfigError, type SimConfig } from "../../hil/config";
import { Farm, FarmError } from "../../hil/farm";
import { ServedFarm } from "../../hil/serve";
import { startControl } from "../../hil/control/http";
import { PERSONALITIES } from "../../hil/personalities";
import { BANK_MODELS } from "../../hil/bank/sim-bank";

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
export const runSim = async (args: string[]): Promise<number> => {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
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
    }).values;
  } catch (error) {
    return fail(`${(error as Error).message}\n${USAGE}`);
  }
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
      const count = Number(parsed.modems ?? (parsed.bank ? "0" : ""));
      if (!Number.isInteger(count) || count < 0 || count > 5000) return fail(`--modems wants a number from 1 to 5000\n${USAGE}`);
      const personality = parsed.personality ?? "generic";
      config = parseSimConfig({
        modems: Array.from({ length: count }, () => ({ personality })),
        ...(parsed.bank ? { banks: [{ model: parsed.bank, personality }] } : {}),
        ...(parsed.timing ? { timing: parsed.timing } : {}),
        ...(parsed.seed ? { seed: Number(parsed.seed) } : {}),
      }, "options");
    }
  } catch (error) {
    if (error instanceof ConfigError) return fail(error.message);
    throw error;
  }
  const tcpBase = parsed["tcp-base-port"] ?? (config.tcpBasePort !== undefined ? String(config.tcpBasePort) : undefined);
  if (tcpBase !== undefined && !/^\d{1,5}$/.test(tcpBase)) return fail("--tcp-base-port wants a port number");
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
    ...(tcpBase !== undefined ? { tcpBasePort: Number(tcpBase) } : {}),
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
