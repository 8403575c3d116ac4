import { runDecode } from "./decode";
import { runSim } from "./sim";
import { runConsoleCommand } from "./console";
import { runMigrate } from "./migrate";
import { runPool } from "./pool";
import { runKey } from "./key";
import { runDetect } from "./detect";
import { runUser } from "./user";

/** `npm run -s simgate -- <subcommand>`: the command-line entry. */
const COMMANDS: Record<string, { summary: string; run: (args: string[]) => Promise<number> }> = {
  decode: { summary: "decode SMS PDUs, modem replies and USSD (see: simgate decode --help)", run: runDecode },
  console: { summary: "interactive AT console on a modem, on its port or through the service (see: simgate console --help)", run: runConsoleCommand },
  migrate: { summary: "apply the store's migrations (DATABASE_URL, else the embedded database)", run: runMigrate },
  pool: { summary: "SR-Navigator pools: create, list, new key (see: simgate pool --help)", run: runPool },
  key: { summary: "API users' keys: rotate (see: simgate key --help)", run: runKey },
  user: { summary: "panel and API users: add, passwd, role, list (see: simgate user --help)", run: runUser },
  detect: { summary: "probe serial ports with AT and print a configuration for the modems found", run: runDetect },
  sim: { summary: "virtual modems and SIM banks on pseudo-terminals (see: simgate sim --help)", run: runSim },
};

/**
 * Only the command's name is read here; everything after it is the command's own, read by
 * the command with parseArgs (src/cli/args.ts). No name or --help lists the commands; an
 * unknown name (or option) is a usage mistake, exit code 2.
 */
const main = async (argv: string[]): Promise<number> => {
  const [name, ...rest] = argv;
  const command = name ? COMMANDS[name] : undefined;
  if (!command) {
    const list = Object.entries(COMMANDS)
      .map(([n, c]) => `  ${n.padEnd(10)} ${c.summary}`)
      .join("\n");
    const usage = `usage: simgate <command> [options]\n\ncommands:\n${list}\n`;
    if (name === "--help" || name === "-h") return (process.stdout.write(usage), 0);
    process.stderr.write(`${name ? `simgate: unknown command "${name}"\n\n` : ""}${usage}`);
    return name ? 2 : 0;
  }
  return command.run(rest);
};

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`simgate: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exitCode = 1;
  },
);
