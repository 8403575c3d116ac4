/**
 * The service's console messages as terminal lines, in the local console's style: notes
 * under the line they explain (`  -- note`), the final result with its time, unsolicited
 * codes marked `[urc]`, the port's changes `[port]`. Pure: a message in, lines out.
 */
import type { ConsoleLease, ConsoleModem, Notes, ServerMessage } from "./wire";

type Message<T extends ServerMessage["type"]> = Extract<ServerMessage, { type: T }>;

export const withNotes = (line: string, notes: Notes | undefined): string[] => [line, ...(notes ?? []).map((n) => `  -- ${n}`)];

export const renderReply = (reply: Message<"reply">): string[] => {
  const lines = reply.lines.flatMap((line, i) => withNotes(line, reply.notes[i]));
  // A bare ERROR names nothing: say at least that the command failed, as the local console does.
  const finalNotes = !reply.ok && reply.finalNotes.length === 0 ? ["the command failed"] : reply.finalNotes;
  return [...lines, ...withNotes(`${reply.final}  (${Math.round(reply.ms)} ms)`, finalNotes)];
};

export const renderFailed = (failed: Message<"failed">): string[] => [`-- ${failed.command}: ${failed.reason}`, `  (${Math.round(failed.ms)} ms)`];

export const renderUrc = (urc: Message<"urc">): string[] => [
  ...withNotes(`[urc] ${urc.line}`, urc.notes),
  // The body (a +CMT's PDU, a +CDS's report) under its header, indented past the mark.
  ...(urc.body === null ? [] : [`      ${urc.body}`]),
];

const clock = (iso: string): string => {
  const at = new Date(iso);
  return Number.isNaN(at.getTime()) ? iso : at.toTimeString().slice(0, 8);
};

export const describeLease = (lease: ConsoleLease | null): string =>
  lease === null
    ? "[lease] none: the scheduler may switch SIMs and route jobs to this modem"
    : `[lease] ${lease.mine ? `yours (${lease.holder})` : `held by ${lease.holder}`} on ${lease.device}/${lease.modem} until ${clock(lease.until)}`;

export const describeModem = (modem: ConsoleModem): string => {
  const card = modem.iccid === null ? "no card read" : `card ${modem.iccid}${modem.number ? ` (${modem.number})` : ""}`;
  return `${modem.device}/${modem.modem} on ${modem.target}, host ${modem.host}, ${card}`;
};

export const renderHello = (hello: Message<"hello">): string[] => [
  `connected through the service to ${describeModem(hello.modem)}`,
  `signed in as ${hello.user.name} (${hello.user.role})${hello.mayType ? "" : "; you may watch only: your lines are refused"}`,
  ...(hello.lease ? [describeLease(hello.lease)] : []),
  `AT commands go to the modem's queue; ":help" lists the console's own commands; "exit" leaves.`,
];

export const renderButtons = (buttons: readonly string[]): string[] =>
  buttons.length === 0 ? ["-- no hot buttons"] : buttons.slice(0, 9).map((b, i) => `:${i + 1}  ${b}`);
