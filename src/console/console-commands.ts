/**
 * The console's own commands, typed with a leading `:` so that none of them can ever be
 * mistaken for a line to the modem (every AT line starts with "AT").
 */
export type ConsoleCommand =
  | { readonly kind: "lease"; readonly minutes: number }
  | { readonly kind: "release" }
  | { readonly kind: "save"; readonly file: string }
  | { readonly kind: "timeout"; readonly ms: number; readonly line: string }
  | { readonly kind: "buttons" }
  | { readonly kind: "button"; readonly n: number }
  | { readonly kind: "help" }
  | { readonly kind: "mistake"; readonly message: string };

export const CONSOLE_HELP: readonly string[] = [
  ":lease <minutes>        take (or extend) the modem for yourself: no SIM switching, no jobs",
  ":release                give the lease back",
  ":save <file>            write this session's transcript (JSON the simulator's replay reads)",
  ":timeout <ms> <AT line> run one line with its own time limit",
  ":buttons                your hot buttons; :1 .. :9 sends one",
  ":help                   this list",
  "exit or Ctrl-D          leave (a lease you hold is released)",
];

/** The service's longest lease (MAX_LEASE_MINUTES in leases.ts, which would bring the store's modules along). */
const MAX_LEASE_MINUTES = 120;
/** The service's bounds on a line's own limit (a band scan takes minutes; 10 is plenty). */
const LINE_TIMEOUT = { min: 1_000, max: 600_000 } as const;

export const parseConsoleCommand = (line: string): ConsoleCommand => {
  const [word = "", ...rest] = line.slice(1).trim().split(/\s+/);
  const argument = line.slice(1).trim().slice(word.length).trim();
  if (/^[1-9]$/.test(word) && rest.length === 0) return { kind: "button", n: Number(word) };
  switch (word.toLowerCase()) {
    case "lease": {
      const minutes = Number(argument);
      if (!/^\d+$/.test(argument) || minutes < 1 || minutes > MAX_LEASE_MINUTES) return { kind: "mistake", message: `:lease <minutes>: a whole number from 1 to ${MAX_LEASE_MINUTES}` };
      return { kind: "lease", minutes };
    }
    case "release":
      return argument ? { kind: "mistake", message: ":release takes nothing" } : { kind: "release" };
    case "save":
      return argument ? { kind: "save", file: argument } : { kind: "mistake", message: ":save <file>: where to write the transcript" };
    case "timeout": {
      const [ms = "", ...words] = argument.split(/\s+/);
      const atLine = words.join(" ");
      if (!/^\d+$/.test(ms)) return { kind: "mistake", message: ":timeout <ms> <AT line>: the limit in milliseconds first" };
      if (Number(ms) < LINE_TIMEOUT.min || Number(ms) > LINE_TIMEOUT.max) return { kind: "mistake", message: `:timeout: from ${LINE_TIMEOUT.min} to ${LINE_TIMEOUT.max} ms` };
      if (!/^AT/i.test(atLine)) return { kind: "mistake", message: ":timeout <ms> <AT line>: then the AT line" };
      return { kind: "timeout", ms: Number(ms), line: atLine };
    }
    case "buttons":
      return { kind: "buttons" };
    case "help":
      return { kind: "help" };
    default:
      return { kind: "mistake", message: `no console command ":${word}" (:help lists them)` };
  }
};
