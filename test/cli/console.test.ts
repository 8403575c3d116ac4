import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeSubmit } from "../../protocol/sms/encode";
import { Farm } from "../../hil/farm";
import { ServedFarm } from "../../hil/serve";
import { PtyHost } from "../../hil/transport/pty-host";
import { openTerminalConsole } from "../support/terminal-console";
import { PassThrough, Writable } from "node:stream";
import { Effect } from "effect";
import { annotate } from "../../src/console/annotate";
import { runConsole } from "../../src/console/console";

// `simgate console` as a technician uses it: a child process on a real terminal (a PTY whose
// master the test types into), talking to a simulated modem on another PTY.
const dir = mkdtempSync(join(tmpdir(), "simgate-console-"));
let served: ServedFarm;
let terminals: PtyHost;

beforeAll(async () => {
  const farm = new Farm({ modems: [{ id: "m1" }, { id: "nosim", sim: null }, { id: "sim800", personality: "simcom-sim800" }, { id: "hangs" }] });
  served = await ServedFarm.start(farm);
  await farm.settled();
  terminals = await PtyHost.start();
});
afterAll(async () => {
  await terminals?.stop();
  await served?.stop();
});

/** A console on a fresh terminal. */
const openConsole = (target: string) => openTerminalConsole(terminals, [target], { env: { ...process.env, SIMGATE_CONSOLE_HISTORY: join(dir, "history") }, timeoutMs: 15_000 });

describe("simgate console", () => {
  it("runs commands with timing, shows URCs as they arrive, decodes PDUs, sends a body with Ctrl-Z, keeps history", async () => {
    const c = await openConsole(served.pathOf("m1")!);
    try {
      await c.waitFor(/AT> /);
      c.type("AT+CGSN\r");
      await c.waitFor(new RegExp(`${served.farm.modem("m1").imei}\\s+OK  \\(\\d+ ms\\)`));

      served.farm.network.sendSms({ to: served.farm.modem("m1").sim!.number, from: "+15550001111", text: "Code 4856" });
      await c.waitFor(/\[urc\] \+CMTI: "SM",0/);

      c.type("AT+CMGR=0\r");
      await c.waitFor(/-- SMS-DELIVER from \+15550001111 \[gsm7\] at \d{4}-\d\d-\d\dT[\d:]+[+-]\d\d:\d\d: "Code 4856"/);

      const [part] = (encodeSubmit({ to: "+15550002222", text: "typed in the console" }) as { ok: true; value: { pdu: string; tpduLength: number }[] }).value;
      c.type(`AT+CMGS=${part!.tpduLength}\r`);
      await c.waitFor(/\n> $/);
      c.type(`${part!.pdu}\x1a`);
      await c.waitFor(/\+CMGS: \d+\s+OK/);
      expect(served.farm.network.submitted.at(-1)?.text).toBe("typed in the console");

      c.type("AT+CPMS=\"XX\"\r");
      await c.waitFor(/AT\+CPMS="XX"\nERROR\n  -- the command failed\n  \(\d+ ms\)/);

      c.type("hello\r");
      await c.waitFor(/not an AT command/);
      c.type("exit\r");
      expect(await c.exited).toBe(0);
      expect(readFileSync(join(dir, "history"), "utf8").split("\n")).toEqual(expect.arrayContaining(["AT+CGSN", "AT+CMGR=0"]));
    } finally {
      await c.close();
    }
  }, 60_000);

  it("names error codes, and Ctrl-C drops a body without sending anything", async () => {
    const c = await openConsole(served.pathOf("nosim")!);
    try {
      await c.waitFor(/AT> /);
      c.type("AT+CMEE=1\r");
      await c.waitFor(/OK  \(\d+ ms\)/);
      c.type("AT+CIMI\r");
      await c.waitFor(/\+CME ERROR: 10\s+-- CME error 10: SIM not inserted/);
      const before = served.farm.network.submitted.length;
      c.type("AT+CMGS=20\r");
      await c.waitFor(/\n> $/);
      c.type("0011000B\x03");
      await c.waitFor(/body dropped, nothing sent/);
      expect(served.farm.network.submitted.length).toBe(before);
      expect(served.farm.modem("nosim").received().some((l) => l.startsWith("AT+CMGS"))).toBe(false);
      c.type("\x04");
      expect(await c.exited).toBe(0);
    } finally {
      await c.close();
    }
  }, 60_000);

  it("explains a port that cannot be opened", async () => {
    const c = await openConsole(join(dir, "no-such-device"));
    try {
      await c.waitFor(/cannot open .*no-such-device/);
      expect(await c.exited).toBe(1);
    } finally {
      await c.close();
    }
  }, 30_000);
});

/** The console in this process, on a pipe instead of a terminal: cheap enough for each quirk. */
const inProcessConsole = (target: string, port?: Parameters<typeof runConsole>[0]["port"]) => {
  const input = new PassThrough();
  let screen = "";
  const output = new Writable({
    write(chunk: Buffer, _enc, done) {
      screen += chunk.toString("utf8");
      done();
    },
  });
  const finished = Effect.runPromise(Effect.scoped(runConsole({ target, input, output, historyFile: null, ...(port ? { port } : {}) })));
  const waitFor = async (pattern: RegExp, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(screen)) {
      if (Date.now() > deadline) throw new Error(`console never showed ${pattern}; screen:\n${screen}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { type: (line: string) => input.write(`${line}\n`), waitFor, screen: () => screen, close: async () => (input.end(), await finished) };
};

describe("simgate console: issue 18, defect 9", () => {
  it("a USSD reply that comes before OK is printed once, with its decoding", async () => {
    const c = inProcessConsole(served.pathOf("sim800")!);
    c.type("ATE0");
    await c.waitFor(/OK  \(\d+ ms\)/);
    c.type('AT+CUSD=1,"*100#",15');
    await c.waitFor(/\+CUSD: 0,[^\n]*\n\s+-- USSD \(0\): "[^"]*Balance[^\n]*\nOK  \(\d+ ms\)/i);
    await c.close();
    expect(c.screen().match(/^(\[urc\] )?\+CUSD: 0/gm)).toHaveLength(1);
  }, 30_000);

  it("a timeout the resync does not cure says unresponsive, never resynchronised", async () => {
    const modem = served.farm.modem("hangs");
    const c = inProcessConsole(served.pathOf("hangs")!, { timeouts: { query: 200 }, resyncAttempts: 2, resyncTimeoutMs: 100 });
    modem.faults.hanging = true;
    try {
      c.type("AT+CSQ");
      await c.waitFor(/no reply after 200 ms; the modem does not answer the resync either \(unresponsive\)/);
      expect(c.screen()).not.toMatch(/resynchronised/);
    } finally {
      modem.faults.hanging = false;
      await c.close();
    }
  }, 30_000);

  it("a USSD 'not supported' (and other endings without text) is said in words, not as an empty text", () => {
    expect(annotate("+CUSD: 4")).toEqual(["USSD (4): operation not supported by the network"]);
    expect(annotate("+CUSD: 2")).toEqual(["USSD (2): the network released the session"]);
    expect(annotate('+CUSD: 0,"Balance 5.00",15')).toEqual(['USSD (0): "Balance 5.00"']);
  });
});
