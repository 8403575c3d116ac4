import { homedir } from "node:os";
import { join } from "node:path";
import { Effect } from "effect";
import { runConsole } from "../console/console";

const USAGE = `usage: simgate console <device path | tcp://host:port>

An interactive AT console on one modem port: line editing and history (kept in
$SIMGATE_CONSOLE_HISTORY, default ~/.simgate_console_history), replies with their
time, unsolicited codes marked [urc], PDUs and USSD decoded, error codes named.
After AT+CMGS=<n> or AT+CMGW=<n>, type the body and press Ctrl-Z to send it
(Ctrl-C drops it). "exit" or Ctrl-D leaves.`;

export const runConsoleCommand = async (args: string[]): Promise<number> => {
  const [target] = args;
  if (!target || target === "--help" || args.length > 1) {
    process.stderr.write(`${USAGE}\n`);
    return target === "--help" ? 0 : 2;
  }
  const historyFile = process.env.SIMGATE_CONSOLE_HISTORY ?? join(homedir(), ".simgate_console_history");
  const outcome = await Effect.runPromise(
    Effect.scoped(runConsole({ target, input: process.stdin, output: process.stdout, historyFile })).pipe(Effect.either),
  );
  if (outcome._tag === "Left") {
    process.stderr.write(`simgate console: cannot open ${target}: ${outcome.left.message}\n`);
    return 1;
  }
  return 0;
};
