import { homedir } from "node:os";
import { join } from "node:path";
import { Effect } from "effect";
import { runConsole } from "../console/console";
import { runRemoteConsole } from "../console/remote";
import { runBatch } from "../console/remote-batch";
import { KEY_VARIABLE, parseConsoleArgs } from "./console-args";

const SERVICE_FORM = `simgate console --service <url> --key <api key> <device>/<modem>`;

const USAGE = `usage: simgate console <device path | tcp://host:port>
       ${SERVICE_FORM}
       simgate console --service <url> --key <api key> --card <ICCID or number>
       simgate console --service <url> --key <api key> --all "AT+CSQ"
       simgate console --service <url> --key <api key> --modems rack/1,rack/2 "AT+CSQ"

An interactive AT console on one modem, or one line to many.

On a port (the first form): opens the port itself, so only while no service uses it. Line
editing and history (kept in $SIMGATE_CONSOLE_HISTORY, default ~/.simgate_console_history),
replies with their time, unsolicited codes marked [urc], PDUs and USSD decoded, error codes
named. After AT+CMGS=<n> or AT+CMGW=<n>, type the body and press Ctrl-Z to send it (Ctrl-C
drops it). "exit" or Ctrl-D leaves.

Through the running service (--service): each line waits its turn in the modem's queue at
technician priority; the reply comes back whole with its time, unsolicited codes as they
arrive. The modem is named by its device and 1-based place (rack/3), or by the card in it
(--card). The key is a user's API key (--key, or $${KEY_VARIABLE}); viewers may watch only.
Lines that could cut the modem off ask to be confirmed with "yes". Your history and hot
buttons come from the service. The console's own commands start with ":":
  :lease <minutes>  take the modem (no SIM switching, no jobs) until :release or exit
  :save <file>      the session's transcript as JSON;  :timeout <ms> <AT line>
  :buttons, :1..:9  your hot buttons;  :help
--all or --modems send one line to many modems and print a table of their answers.

Exit status: 0 after "exit"; 1 when the console could not start, the service ended it or
the connection dropped, or a batch line did not answer OK everywhere; 2 for a usage mistake.`;

/** What to say when the port will not open: a locked port is most often the service's. */
const openFailure = (target: string, message: string): string => {
  const locked = /cannot lock|resource temporarily unavailable|busy/i.test(message);
  return [
    `simgate console: cannot open ${target}: ${message}`,
    locked
      ? "  the port is in use: a running simgate service may own it. Reach the modem through the service instead:"
      : "  if a running simgate service drives this modem, reach it through the service instead:",
    `  ${SERVICE_FORM}`,
  ].join("\n");
};

export const runConsoleCommand = async (args: string[]): Promise<number> => {
  const invocation = parseConsoleArgs(args);
  switch (invocation.kind) {
    case "help":
      process.stdout.write(`${USAGE}\n`);
      return 0;
    case "error":
      process.stderr.write(`simgate console: ${invocation.message}\n  (simgate console --help shows every form)\n`);
      return 2;
    case "remote":
      return runRemoteConsole({ ...invocation, input: process.stdin, output: process.stdout, errors: process.stderr });
    case "batch":
      return runBatch({ ...invocation, output: process.stdout, errors: process.stderr });
    case "local": {
      const { target } = invocation;
      const historyFile = process.env.SIMGATE_CONSOLE_HISTORY ?? join(homedir(), ".simgate_console_history");
      const outcome = await Effect.runPromise(
        Effect.scoped(runConsole({ target, input: process.stdin, output: process.stdout, historyFile })).pipe(Effect.either),
      );
      if (outcome._tag === "Left") {
        process.stderr.write(`${openFailure(target, outcome.left.message)}\n`);
        return 1;
      }
      return 0;
    }
  }
};
