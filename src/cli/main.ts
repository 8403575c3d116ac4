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

const main = async (argv: string[]): Promise<number> => {
  const [name, ...rest] = argv;
  const command = name ? COMMANDS[name] : undefined;
  if (!command) {
    const list = Object.entries(COMMANDS)
      .map(([n, c]) => `  ${n.padEnd(10)} ${c.summary}`)
      .join("\n");
    process.stderr.write(`usage: simgate <command> [options]\n\ncommands:\n${list}\n`);
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
