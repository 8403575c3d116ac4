import { describe, expect, it } from "vitest";
import { parseConsoleArgs, parseModemPlace } from "../../src/cli/console-args";
import { parseConsoleCommand } from "../../src/console/console-commands";

const SERVICE = ["--service", "http://10.0.0.5:8080"];
const noEnv = {};

const errorOf = (args: string[], env: NodeJS.ProcessEnv = noEnv) => {
  const parsed = parseConsoleArgs(args, env);
  if (parsed.kind !== "error") throw new Error(`expected an error, got ${JSON.stringify(parsed)}`);
  return parsed.message;
};

describe("simgate console's arguments", () => {
  it("a bare path or tcp:// address is the local console, as before", () => {
    expect(parseConsoleArgs(["/dev/ttyUSB0"], noEnv)).toEqual({ kind: "local", target: "/dev/ttyUSB0" });
    expect(parseConsoleArgs(["tcp://10.0.0.9:4001"], noEnv)).toEqual({ kind: "local", target: "tcp://10.0.0.9:4001" });
    expect(parseConsoleArgs(["--help"], noEnv)).toEqual({ kind: "help" });
  });

  it("attaches through the service by device/modem or by card, the key from --key or the environment", () => {
    const byPlace = parseConsoleArgs([...SERVICE, "--key", "k-123456789", "rack/3"], noEnv);
    expect(byPlace).toMatchObject({ kind: "remote", key: "k-123456789", attach: { device: "rack", modem: 3 } });
    expect(byPlace.kind === "remote" && byPlace.service.href).toBe("http://10.0.0.5:8080/");
    expect(parseConsoleArgs([...SERVICE, "--card", "+15550001111"], { SIMGATE_CONSOLE_KEY: "from-env-1234" })).toMatchObject({
      kind: "remote",
      key: "from-env-1234",
      attach: { card: "+15550001111" },
    });
    // --key wins over the environment.
    expect(parseConsoleArgs([...SERVICE, "--key", "given-1234", "--card", "8901260000000000001"], { SIMGATE_CONSOLE_KEY: "env" })).toMatchObject({ key: "given-1234", attach: { card: "8901260000000000001" } });
    expect(parseModemPlace("site/a/12")).toEqual({ device: "site/a", modem: 12 });
  });

  it("a batch takes --all or --modems and one quoted AT line", () => {
    expect(parseConsoleArgs([...SERVICE, "--key", "k", "--all", "AT+CSQ"], noEnv)).toMatchObject({ kind: "batch", command: "AT+CSQ", modems: "all" });
    expect(parseConsoleArgs([...SERVICE, "--key", "k", "--modems", "rack/1, rack/2", "AT+CSQ"], noEnv)).toMatchObject({
      kind: "batch",
      modems: [
        { device: "rack", modem: 1 },
        { device: "rack", modem: 2 },
      ],
    });
  });

  it("says what is wrong with each mistake", () => {
    expect(errorOf([...SERVICE, "rack/1"])).toBe("no API key: give --key <key> or set SIMGATE_CONSOLE_KEY");
    expect(errorOf([...SERVICE, "--key", "", "rack/1"], { SIMGATE_CONSOLE_KEY: "" })).toMatch(/^no API key/);
    expect(errorOf([...SERVICE, "--key", "k", "rack"])).toBe("rack: not <device>/<modem> (e.g. rack/3; the modem is its 1-based place)");
    expect(errorOf([...SERVICE, "--key", "k", "rack/0"])).toMatch(/^rack\/0: not <device>\/<modem>/);
    expect(errorOf([...SERVICE, "--key", "k", "/dev/ttyUSB0"])).toMatch(/not <device>\/<modem>/);
    expect(errorOf([...SERVICE, "--key", "k"])).toBe("which modem? <device>/<modem> (e.g. rack/3) or --card <ICCID or number>");
    expect(errorOf([...SERVICE, "--key", "k", "rack/1", "rack/2"])).toBe("one modem at a time (got rack/1 rack/2)");
    expect(errorOf([...SERVICE, "--key", "k", "--card", "+1555", "rack/1"])).toMatch(/^--card or <device>\/<modem>, not both/);
    expect(errorOf([...SERVICE, "--key", "k", "--card", "Alice"])).toBe("--card Alice: an ICCID or a phone number, digits only");
    expect(errorOf(["--service", "10.0.0.5:8080", "--key", "k", "rack/1"])).toBe("--service 10.0.0.5:8080: not a URL of the service (http://host:port)");
    expect(errorOf(["--service", "ftp://x", "--key", "k", "rack/1"])).toMatch(/not a URL of the service/);
    expect(errorOf(["--key", "k", "rack/1"])).toBe("--key only go with --service <url>");
    expect(errorOf(["--card", "123456", "--all"])).toBe("--card, --all only go with --service <url>");
    expect(errorOf([])).toBe("which port? a device path or tcp://host:port");
    expect(errorOf(["/dev/ttyUSB0", "/dev/ttyUSB1"])).toBe("one port at a time (got /dev/ttyUSB0 /dev/ttyUSB1)");
    expect(errorOf(["--sevrice", "http://x"])).toMatch(/Unknown option '--sevrice'/);
    expect(errorOf(["--service"])).toMatch(/--service/);
    expect(errorOf([...SERVICE, "--key", "k", "--all", "--modems", "rack/1", "AT"])).toBe("--all or --modems, not both");
    expect(errorOf([...SERVICE, "--key", "k", "--all"])).toBe('which line? e.g. --all "AT+CSQ"');
    expect(errorOf([...SERVICE, "--key", "k", "--all", "AT+CMGF=0", "AT+CSQ"])).toMatch(/^one AT line, quoted/);
    expect(errorOf([...SERVICE, "--key", "k", "--all", "reboot"])).toBe('"reboot" is not an AT command');
    expect(errorOf([...SERVICE, "--key", "k", "--modems", "rack/1,rack", "AT+CSQ"])).toBe("--modems: rack is not device/modem (e.g. rack/1)");
    expect(errorOf([...SERVICE, "--key", "k", "--modems", ",", "AT+CSQ"])).toMatch(/^--modems wants device\/modem places/);
    expect(errorOf([...SERVICE, "--key", "k", "--card", "123456", "--all", "AT"])).toMatch(/^--card attaches one console/);
  });
});

describe("the console's own : commands", () => {
  it("parses each, and names a mistake instead of sending it anywhere", () => {
    expect(parseConsoleCommand(":lease 5")).toEqual({ kind: "lease", minutes: 5 });
    expect(parseConsoleCommand(":release")).toEqual({ kind: "release" });
    expect(parseConsoleCommand(":save /tmp/session one.json")).toEqual({ kind: "save", file: "/tmp/session one.json" });
    expect(parseConsoleCommand(":timeout 60000 AT+COPS=?")).toEqual({ kind: "timeout", ms: 60000, line: "AT+COPS=?" });
    expect(parseConsoleCommand(":buttons")).toEqual({ kind: "buttons" });
    expect(parseConsoleCommand(":3")).toEqual({ kind: "button", n: 3 });
    expect(parseConsoleCommand(":help")).toEqual({ kind: "help" });
    expect(parseConsoleCommand(":lease")).toMatchObject({ kind: "mistake", message: expect.stringMatching(/^:lease <minutes>/) });
    expect(parseConsoleCommand(":lease 0")).toMatchObject({ kind: "mistake" });
    expect(parseConsoleCommand(":lease 2.5")).toMatchObject({ kind: "mistake" });
    expect(parseConsoleCommand(":lease 121")).toEqual({ kind: "mistake", message: ":lease <minutes>: a whole number from 1 to 120" });
    expect(parseConsoleCommand(":save")).toMatchObject({ kind: "mistake" });
    expect(parseConsoleCommand(":timeout AT+CSQ")).toMatchObject({ kind: "mistake", message: expect.stringMatching(/milliseconds first/) });
    expect(parseConsoleCommand(":timeout 5000 reboot")).toMatchObject({ kind: "mistake", message: expect.stringMatching(/then the AT line/) });
    expect(parseConsoleCommand(":timeout 500 AT+CSQ")).toEqual({ kind: "mistake", message: ":timeout: from 1000 to 600000 ms" });
    expect(parseConsoleCommand(":timeout 600001 AT+CSQ")).toMatchObject({ kind: "mistake" });
    expect(parseConsoleCommand(":0")).toMatchObject({ kind: "mistake" });
    expect(parseConsoleCommand(":reboot")).toEqual({ kind: "mistake", message: 'no console command ":reboot" (:help lists them)' });
  });
});
