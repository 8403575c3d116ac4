/**
 * `simgate console`'s arguments: a port opened here, a modem reached through the service, or
 * one line sent to many modems through the service. Pure, so every mistake a person can
 * make on the command line is tested without a terminal or a service.
 */
import type { Attachment } from "../console/remote";
import { readArgs } from "./args";

export type ConsoleInvocation =
  | { readonly kind: "help" }
  | { readonly kind: "local"; readonly target: string }
  | { readonly kind: "remote"; readonly service: URL; readonly key: string; readonly attach: Attachment }
  | { readonly kind: "batch"; readonly service: URL; readonly key: string; readonly command: string; readonly modems: "all" | ReadonlyArray<{ readonly device: string; readonly modem: number }> }
  | { readonly kind: "error"; readonly message: string };

export const KEY_VARIABLE = "SIMGATE_CONSOLE_KEY";

const error = (message: string): ConsoleInvocation => ({ kind: "error", message });

/** `rack/3`: the device id (which may itself hold a slash) and the modem's 1-based place. */
export const parseModemPlace = (text: string): { device: string; modem: number } | null => {
  const slash = text.lastIndexOf("/");
  if (slash <= 0) return null;
  const position = text.slice(slash + 1);
  if (!/^[1-9]\d{0,3}$/.test(position)) return null;
  return { device: text.slice(0, slash), modem: Number(position) };
};

const parseService = (text: string): URL | null => {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  return ["http:", "https:", "ws:", "wss:"].includes(url.protocol) ? url : null;
};

export const parseConsoleArgs = (args: readonly string[], env: NodeJS.ProcessEnv = process.env): ConsoleInvocation => {
  const read = readArgs(args, {
    service: { type: "string" },
    key: { type: "string" },
    card: { type: "string" },
    all: { type: "boolean" },
    modems: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  // parseArgs says which option it did not know or which one lacks its value.
  if (!read.ok) return error(read.message);
  const { values, positionals } = read.parsed;
  if (values.help) return { kind: "help" };

  if (values.service === undefined) {
    const serviceOnly = (["key", "card", "all", "modems"] as const).filter((name) => values[name] !== undefined);
    if (serviceOnly.length > 0) return error(`${serviceOnly.map((n) => `--${n}`).join(", ")} only go with --service <url>`);
    if (positionals.length !== 1) return error(positionals.length === 0 ? "which port? a device path or tcp://host:port" : `one port at a time (got ${positionals.join(" ")})`);
    return { kind: "local", target: positionals[0]! };
  }

  const service = parseService(values.service);
  if (!service) return error(`--service ${values.service}: not a URL of the service (http://host:port)`);
  const key = values.key ?? env[KEY_VARIABLE] ?? "";
  if (!key) return error(`no API key: give --key <key> or set ${KEY_VARIABLE}`);

  if (values.all || values.modems !== undefined) {
    if (values.all && values.modems !== undefined) return error("--all or --modems, not both");
    if (values.card !== undefined) return error("--card attaches one console; a batch takes --all or --modems");
    if (positionals.length !== 1) return error(positionals.length === 0 ? 'which line? e.g. --all "AT+CSQ"' : `one AT line, quoted (got ${positionals.length} words: ${positionals.join(" ")})`);
    const command = positionals[0]!.trim();
    if (!/^AT/i.test(command)) return error(`"${command}" is not an AT command`);
    if (values.all) return { kind: "batch", service, key, command, modems: "all" };
    const places = values.modems!.split(",").map((p) => p.trim()).filter(Boolean);
    const modems = places.map(parseModemPlace);
    const bad = places.filter((_, i) => modems[i] === null);
    if (places.length === 0) return error("--modems wants device/modem places, e.g. --modems rack/1,rack/2");
    if (bad.length > 0) return error(`--modems: ${bad.join(", ")} is not device/modem (e.g. rack/1)`);
    return { kind: "batch", service, key, command, modems: modems as { device: string; modem: number }[] };
  }

  if (values.card !== undefined) {
    if (positionals.length > 0) return error(`--card or <device>/<modem>, not both (got ${positionals.join(" ")})`);
    const card = values.card.trim();
    if (!/^\+?\d{3,22}$/.test(card)) return error(`--card ${values.card}: an ICCID or a phone number, digits only`);
    return { kind: "remote", service, key, attach: { card } };
  }
  if (positionals.length !== 1) return error(positionals.length === 0 ? "which modem? <device>/<modem> (e.g. rack/3) or --card <ICCID or number>" : `one modem at a time (got ${positionals.join(" ")})`);
  const place = parseModemPlace(positionals[0]!);
  if (!place) return error(`${positionals[0]}: not <device>/<modem> (e.g. rack/3; the modem is its 1-based place)`);
  return { kind: "remote", service, key, attach: place };
};
