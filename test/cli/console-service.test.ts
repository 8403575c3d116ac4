import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Effect } from "effect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Farm } from "../../hil/farm";
import { ServedFarm } from "../../hil/serve";
import { encodeSubmit } from "../../protocol/sms/encode";
import { PtyHost } from "../../hil/transport/pty-host";
import { openTerminalConsole } from "../support/terminal-console";
import { addUser } from "../../src/access/accounts";
import { migrate, openStore } from "../../src/store/database";
import { startServiceProcess, until, type ServiceProcess } from "../support/service-process";

// `simgate console --service` as a technician uses it: the CLI as a child process on a real
// terminal (a PTY whose master the test types into), reaching simulated modems (on PTYs of
// their own) through a real service process that supervises them.
const ROOT = join(import.meta.dirname, "..", "..");
const ADMIN_KEY = "console-admin-key-0001";
const dir = mkdtempSync(join(tmpdir(), "simgate-console-service-"));
let served: ServedFarm;
let terminals: PtyHost;
let service: ServiceProcess;
let url: string;
let viewerKey: string;

type Status = { modems: { device: string; position: number; connected: boolean; simStatus: number; number: string | null }[] };

beforeAll(async () => {
  const farm = new Farm({ modems: [{ id: "m1" }, { id: "m2" }], seed: 11 });
  served = await ServedFarm.start(farm);
  await farm.settled();
  terminals = await PtyHost.start();
  const config = join(dir, "simgate.config.json");
  writeFileSync(config, JSON.stringify({ devices: [{ id: "rack", title: "Bench rack", model: "pool", owner: "watcher", modems: [served.pathOf("m1"), served.pathOf("m2")] }] }));
  const dataDir = join(dir, "data");
  // The embedded database is one process's at a time: the viewer is added before the service
  // opens it. A user who is not an admin reaches the devices they own: the rack is the viewer's.
  viewerKey = await Effect.runPromise(
    Effect.scoped(
      Effect.gen(function* () {
        const db = yield* openStore({ kind: "embedded", dataDir });
        yield* migrate(db);
        return yield* Effect.promise(() => addUser(db, "watcher", "viewer", "bench-glass-window-7", "test"));
      }),
    ),
  ).then((made) => made.key);
  // The first `simgate` child compiles the sources (tsx's cache); done here, while the
  // service starts, so no test's first wait is spent on it.
  const warmed = new Promise((resolve) => spawn(process.execPath, ["--import", "tsx", join(ROOT, "src/cli/main.ts"), "console", "--help"], { cwd: ROOT, stdio: "ignore" }).once("exit", resolve));
  service = startServiceProcess({ DATABASE_URL: "", SIMGATE_DATA_DIR: dataDir, SIMGATE_CONFIG: config, SIMGATE_API_KEY: ADMIN_KEY });
  url = await service.url();
  await until(
    async () => (await (await fetch(`${url}/status?api_key=${ADMIN_KEY}`)).json()) as Status,
    (s) => s.modems?.length === 2 && s.modems.every((m) => m.connected && m.simStatus === 1 && m.number !== null),
    "the modems never came up",
    60_000,
  );
  await warmed;
}, 120_000);

afterAll(async () => {
  service?.kill("SIGTERM");
  await service?.exited;
  await terminals?.stop();
  await served?.stop();
});

/** `simgate console <args>` on a fresh terminal; a key in the environment only when a test gives one. */
const openConsole = (args: string[], env: Record<string, string> = {}) => {
  const { SIMGATE_CONSOLE_KEY: _inherited, ...inherited } = process.env;
  return openTerminalConsole(terminals, args, { env: { ...inherited, SIMGATE_CONSOLE_HISTORY: join(dir, "history"), ...env }, timeoutMs: 30_000 });
};

const through = (key: string) => ["--service", url, "--key", key];

describe("simgate console --service", () => {
  it("the local console on a port the service owns says so, and shows the --service form", async () => {
    const c = await openConsole([served.pathOf("m1")!]);
    try {
      await c.waitFor(/cannot open .*Cannot lock port/);
      await c.waitFor(/the port is in use: a running simgate service may own it[^\n]*\n\s+simgate console --service <url> --key <api key> <device>\/<modem>/);
      expect(await c.exited).toBe(1);
    } finally {
      await c.close();
    }
  }, 60_000);

  it("says what is missing or wrong before reaching anything", async () => {
    const noKey = await openConsole(["--service", url, "rack/1"]);
    try {
      await noKey.waitFor(/simgate console: no API key: give --key <key> or set SIMGATE_CONSOLE_KEY/);
      expect(await noKey.exited).toBe(2);
    } finally {
      await noKey.close();
    }
    const badTarget = await openConsole([...through(ADMIN_KEY), "rack"]);
    try {
      await badTarget.waitFor(/simgate console: rack: not <device>\/<modem>/);
      expect(await badTarget.exited).toBe(2);
    } finally {
      await badTarget.close();
    }
    const unreachable = await openConsole(["--service", "http://127.0.0.1:1", "rack/1"], { SIMGATE_CONSOLE_KEY: ADMIN_KEY });
    try {
      await unreachable.waitFor(/simgate console: cannot reach the service at http:\/\/127\.0\.0\.1:1\/: .*ECONNREFUSED/);
      expect(await unreachable.exited).toBe(1);
    } finally {
      await unreachable.close();
    }
  }, 90_000);
});

describe("simgate console --service, attached to a modem", () => {
  it("by device/modem: AT+CSQ with its level in dBm, a +CMTI as it arrives, an SMS body, the transcript saved, a lease a viewer sees, the viewer's line refused, the lease gone on exit", async () => {
    const viewer = await openConsole([...through(viewerKey), "rack/1"]);
    const admin = await openConsole([...through(ADMIN_KEY), "rack/1"]);
    try {
      await viewer.waitFor(/signed in as watcher \(viewer\); you may watch only/);
      await admin.waitFor(/connected through the service to rack\/1 on \S+, host \S+, card \d+ \(\+?\d+\)\nsigned in as admin \(admin\)\n[^]*AT> /);

      admin.type("AT+CSQ\r");
      await admin.waitFor(/\+CSQ: \d+,\d+\n  -- signal -\d+ dBm[^\n]*\nOK  \(\d+ ms\)/);

      served.farm.network.sendSms({ to: served.farm.modem("m1").sim!.number, from: "+15550003333", text: "watch this" });
      await admin.waitFor(/\[urc\] \+CMTI: "SM",\d+\n  -- new message stored in SM at index \d+/);
      await viewer.waitFor(/\[urc\] \+CMTI: "SM",\d+/);

      // An SMS typed at the > prompt: the body is collected here and sent whole, Ctrl-Z ends it.
      const [part] = (encodeSubmit({ to: "+15550004444", text: "sent through the service" }) as { ok: true; value: { pdu: string; tpduLength: number }[] }).value;
      admin.type(`AT+CMGS=${part!.tpduLength}\r`);
      await admin.waitFor(/\n> $/);
      admin.type(`${part!.pdu}\x1a`);
      await admin.waitFor(/\+CMGS: \d+\nOK  \(\d+ ms\)\n[^]*\[info\] recorded as outgoing SMS \d+ to \+15550004444/);
      expect(served.farm.network.submitted.at(-1)?.text).toBe("sent through the service");

      const file = join(dir, "rack-1.json");
      admin.type(`:save ${file}\r`);
      await admin.waitFor(/-- transcript saved to \S+rack-1\.json \(\d+ entries\)/);
      expect(JSON.parse(readFileSync(file, "utf8")).entries).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ command: "AT+CSQ", reply: expect.stringMatching(/^\r\n\+CSQ: \d+,\d+\r\n\r\nOK\r\n$/) }),
          expect.objectContaining({ urc: expect.stringContaining("+CMTI:") }),
        ]),
      );

      admin.type(":lease 5\r");
      await admin.waitFor(/\[lease\] yours \(admin\) on rack\/1 until \d\d:\d\d:\d\d/);
      await viewer.waitFor(/\[lease\] held by admin on rack\/1 until \d\d:\d\d:\d\d/);

      viewer.type("AT+CPBS?\r");
      await viewer.waitFor(/-- refused AT\+CPBS\?: watcher is a viewer/);
      expect(served.farm.modem("m1").received().some((l) => l.includes("CPBS"))).toBe(false);

      // Leaving closes the socket, and the service lets the lease go with the session.
      admin.type("exit\r");
      expect(await admin.exited).toBe(0);
      await viewer.waitFor(/\[lease\] none: the scheduler may switch SIMs/);
      expect(viewer.screen().match(/\[lease\] held by admin/g)).toHaveLength(1);
      viewer.type("\x04");
      expect(await viewer.exited).toBe(0);
    } finally {
      await admin.close();
      await viewer.close();
    }
  }, 120_000);

  it("while SMS jobs go out through the same modem, every typed line gets its own reply and every message goes out once", async () => {
    const admin = await openConsole([...through(ADMIN_KEY), "rack/2"]);
    try {
      await admin.waitFor(/AT> /);
      const sim = served.farm.modem("m2").sim!;
      const texts = Array.from({ length: 5 }, (_, i) => `flowing beside the console ${i}`);
      const accepted = Promise.all(
        texts.map(async (msg, i) => {
          const res = await fetch(`${url}/api/smsSend`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ api_key: ADMIN_KEY, number: sim.number, addressee: `+1555000${3000 + i}`, msg }) });
          return ((await res.json()) as { status: string }).status;
        }),
      );
      for (let i = 0; i < 4; i++) {
        admin.type("AT+CSQ\r");
        await admin.waitFor(new RegExp(`(?:\\+CSQ: \\d+,\\d+\\n  -- signal[^\\n]*\\nOK  \\(\\d+ ms\\)[^]*){${i + 1}}`));
        admin.type("AT+CGSN\r");
        await admin.waitFor(new RegExp(`(?:AT\\+CGSN\\n${served.farm.modem("m2").imei}\\nOK  \\(\\d+ ms\\)[^]*){${i + 1}}`));
      }
      expect(await accepted).toEqual(Array(5).fill("ok"));
      await until(async () => served.farm.network.submitted.filter((m) => m.text.startsWith("flowing beside the console")).map((m) => m.text).sort(), (sent) => sent.length === 5, "the messages never all went out", 60_000);
      expect(served.farm.network.submitted.filter((m) => m.text.startsWith("flowing beside the console")).map((m) => m.text).sort()).toEqual(texts);
      // Nothing of the sends' exchanges reached the console, and each reply sits under its own line.
      expect(admin.screen()).not.toMatch(/\+CMGS:/);
      expect(admin.screen().match(/\+CSQ: /g)).toHaveLength(4);
      admin.type("exit\r");
      expect(await admin.exited).toBe(0);
    } finally {
      await admin.close();
    }
  }, 120_000);

  it("by --card <number>: AT+CFUN=0 runs only after yes; the next session recalls the lines with the up arrow", async () => {
    const m2 = served.farm.modem("m2");
    const cfunOff = () => m2.received().filter((l) => /^AT\+CFUN=0/i.test(l)).length;
    const first = await openConsole(["--service", url, "--card", m2.sim!.number], { SIMGATE_CONSOLE_KEY: ADMIN_KEY });
    try {
      await first.waitFor(new RegExp(`connected through the service to rack/2 [^\\n]*\\(\\${m2.sim!.number}\\)[^]*AT> `));
      first.type("AT+CFUN=0\r");
      await first.waitFor(/-- AT\+CFUN=0: [^\n]+\ntype yes to run it: $/);
      first.type("no\r");
      await first.waitFor(/-- AT\+CFUN=0 not run/);
      expect(cfunOff()).toBe(0);

      first.type("AT+CFUN=0\r");
      await first.waitFor(/type yes to run it: $/);
      first.type("yes\r");
      await first.waitFor(/-- AT\+CFUN=0 not run[^]*\nOK  \(\d+ ms\)/);
      expect(cfunOff()).toBe(1);
      first.type("AT+CFUN=1\r");
      await first.waitFor(/OK  \(\d+ ms\)[^]*OK  \(\d+ ms\)/);
      first.type("exit\r");
      expect(await first.exited).toBe(0);
    } finally {
      await first.close();
    }

    // The history comes from the service: the last line typed is one up-arrow away.
    const second = await openConsole([...through(ADMIN_KEY), "--card", m2.sim!.iccid]);
    try {
      await second.waitFor(/AT> $/);
      second.type("\x1b[A");
      await second.waitFor(/AT> AT\+CFUN=1$/);
      second.type("\r");
      await second.waitFor(/AT> AT\+CFUN=1\nOK  \(\d+ ms\)/);
      second.type("exit\r");
      expect(await second.exited).toBe(0);
    } finally {
      await second.close();
    }
  }, 120_000);

  it("a modem the service does not have is refused with the service's reason, a wrong key with its status", async () => {
    const noModem = await openConsole([...through(ADMIN_KEY), "rack/9"]);
    try {
      await noModem.waitFor(/simgate console: the service refused the console: [^\n]*rack[^\n]*9/);
      expect(await noModem.exited).toBe(1);
    } finally {
      await noModem.close();
    }
    const wrongKey = await openConsole([...through("not-a-key-0000000000"), "rack/1"]);
    try {
      await wrongKey.waitFor(/simgate console: the service at http:\/\/[\d.:]+\/ refused the console: HTTP 401 the API key is not valid/);
      expect(await wrongKey.exited).toBe(1);
    } finally {
      await wrongKey.close();
    }
  }, 90_000);
});

describe("simgate console --service, one line to many modems", () => {
  it("--all and --modems print a table of the answers; a viewer and a dangerous line are refused", async () => {
    const all = await openConsole([...through(ADMIN_KEY), "--all", "AT+CSQ"]);
    try {
      await all.waitFor(/AT\+CSQ on 2 modems\nmodem\s+result\s+final\s+ms\s+first line\nrack\/1\s+ok\s+OK\s+\d+\s+\+CSQ: \d+,\d+\nrack\/2\s+ok\s+OK\s+\d+\s+\+CSQ: \d+,\d+\n/);
      expect(await all.exited).toBe(0);
    } finally {
      await all.close();
    }
    const some = await openConsole([...through(ADMIN_KEY), "--modems", "rack/2", "AT+CGSN"]);
    try {
      await some.waitFor(new RegExp(`AT\\+CGSN on 1 modem\\n[^\\n]+\\nrack/2\\s+ok\\s+OK\\s+\\d+\\s+${served.farm.modem("m2").imei}\\n`));
      expect(await some.exited).toBe(0);
    } finally {
      await some.close();
    }
    const viewer = await openConsole([...through(viewerKey), "--all", "AT+CSQ"]);
    try {
      await viewer.waitFor(/refused the batch: HTTP 403 watcher is a viewer/);
      expect(await viewer.exited).toBe(1);
    } finally {
      await viewer.close();
    }
    const dangerous = await openConsole([...through(ADMIN_KEY), "--all", "AT+CFUN=0"]);
    try {
      await dangerous.waitFor(/refused the batch: HTTP 400 AT\+CFUN=0 is not sent to many modems at once/);
      expect(await dangerous.exited).toBe(1);
    } finally {
      await dangerous.close();
    }
    expect(served.farm.modem("m1").received().some((l) => /^AT\+CFUN=0/i.test(l))).toBe(false);
  }, 120_000);
});
