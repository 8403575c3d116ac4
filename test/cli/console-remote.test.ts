import { mkdtempSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocketServer, type WebSocket } from "ws";
import { runRemoteConsole, type Attachment } from "../../src/console/remote";
import type { ClientMessage, ServerMessage } from "../../src/console/wire";

// The client against a service whose every answer the test writes: what it sends for each
// thing a technician types, and how it shows each message, without a modem or a database.
// The real service is in console-service.test.ts.

const dir = mkdtempSync(join(tmpdir(), "simgate-remote-"));
const HELLO: Extract<ServerMessage, { type: "hello" }> = {
  type: "hello",
  session: "s1",
  modem: { device: "rack", modem: 2, target: "/dev/ttyUSB1", iccid: "8901260000000000012", number: "+15550002222", host: "h1" },
  user: { name: "tech", role: "operator" },
  mayType: true,
  lease: null,
  buttons: ["AT+CSQ", "AT+CREG?"],
  history: ["AT+CGSN", "ATI"],
};

interface Scripted {
  readonly url: URL;
  /** Everything the client sent, parsed. */
  readonly received: ClientMessage[];
  readonly requests: { url: string; authorization: string | undefined }[];
  readonly socket: () => WebSocket;
  readonly close: () => Promise<void>;
}

let servers: Scripted[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

/** A service that answers the upgrade with `onOpen` and each client message with `onMessage`. */
const scriptedService = async (
  onOpen: (socket: WebSocket) => void,
  onMessage: (message: ClientMessage, send: (m: ServerMessage) => void) => void = () => {},
  refuseWith?: { status: number; body: string },
): Promise<Scripted> => {
  const http: Server = createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ noServer: true });
  const received: ClientMessage[] = [];
  const requests: Scripted["requests"] = [];
  let current: WebSocket | null = null;
  http.on("upgrade", (req, socket, head) => {
    requests.push({ url: req.url ?? "", authorization: req.headers.authorization });
    if (refuseWith) {
      socket.end(`HTTP/1.1 ${refuseWith.status} Refused\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(refuseWith.body)}\r\n\r\n${refuseWith.body}`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      current = ws;
      ws.on("message", (data) => {
        const message = JSON.parse(data.toString()) as ClientMessage;
        received.push(message);
        onMessage(message, (m) => ws.send(JSON.stringify(m)));
      });
      onOpen(ws);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const { port } = http.address() as { port: number };
  const scripted: Scripted = {
    url: new URL(`http://127.0.0.1:${port}`),
    received,
    requests,
    socket: () => current!,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    },
  };
  servers.push(scripted);
  return scripted;
};

const sendHello = (socket: WebSocket, hello: Partial<typeof HELLO> = {}) => socket.send(JSON.stringify({ ...HELLO, ...hello }));

/** The client in this process on pipes; `screen` is what it printed, `errors` its complaints. */
const attach = (service: URL, attachTo: Attachment = { device: "rack", modem: 2 }, key = "tech-key-0001") => {
  const input = new PassThrough();
  let screen = "";
  let errors = "";
  const sink = (onChunk: (text: string) => void) =>
    new Writable({
      write(chunk: Buffer, _enc, done) {
        onChunk(chunk.toString("utf8"));
        done();
      },
    });
  const exited = runRemoteConsole({ service, key, attach: attachTo, input, output: sink((t) => (screen += t)), errors: sink((t) => (errors += t)) });
  const waitFor = async (pattern: RegExp, what: () => string = () => screen) => {
    const deadline = Date.now() + 5_000;
    while (!pattern.test(what())) {
      if (Date.now() > deadline) throw new Error(`never showed ${pattern}; screen:\n${screen}\nerrors:\n${errors}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  return { type: (line: string) => input.write(`${line}\n`), end: () => input.end(), waitFor, exited, screen: () => screen, errors: () => errors };
};

const reply = (id: string, command: string, lines: string[], notes: string[][] = [], final = "OK", ms = 42): ServerMessage => ({
  type: "reply",
  id,
  command,
  lines,
  final,
  ok: final === "OK",
  error: null,
  ms,
  notes,
  finalNotes: [],
});

describe("simgate console --service, the client (against a scripted service)", () => {
  it("sends the key and the modem, shows the hello, a reply with its notes and time, and unsolicited codes", async () => {
    const service = await scriptedService(sendHello, (m, send) => {
      if (m.type === "line" && m.text === "AT+CSQ") send(reply(m.id, m.text, ["+CSQ: 20,99"], [["-73 dBm (good)"]], "OK", 31.6));
    });
    const c = attach(service.url);
    await c.waitFor(/AT> $/);
    expect(service.requests).toEqual([{ url: "/console/ws?device=rack&modem=2", authorization: "Bearer tech-key-0001" }]);
    expect(c.screen()).toContain("connected through the service to rack/2 on /dev/ttyUSB1, host h1, card 8901260000000000012 (+15550002222)");
    expect(c.screen()).toContain("signed in as tech (operator)\n");
    c.type("AT+CSQ");
    await c.waitFor(/\+CSQ: 20,99\n  -- -73 dBm \(good\)\nOK  \(32 ms\)\n/);
    service.socket().send(JSON.stringify({ type: "urc", line: '+CMTI: "SM",3', body: null, notes: ["an SMS stored at SM 3"], at: Date.now() }));
    await c.waitFor(/\[urc\] \+CMTI: "SM",3\n  -- an SMS stored at SM 3\n/);
    service.socket().send(JSON.stringify({ type: "port", state: "resyncing", detail: "no answer to AT" }));
    await c.waitFor(/\[port\] resyncing: no answer to AT\n/);
    c.type("exit");
    expect(await c.exited).toBe(0);
    expect(service.received).toEqual([{ type: "line", id: "1", text: "AT+CSQ" }]);
  });

  it("attaches by card, and a refused attachment prints the service's reason and exits 1", async () => {
    const service = await scriptedService((socket) => {
      socket.send(JSON.stringify({ type: "bye", reason: "no modem holds card +15550009999" }));
      socket.close(1008, "refused");
    });
    const c = attach(service.url, { card: "+15550009999" });
    expect(await c.exited).toBe(1);
    expect(service.requests[0]!.url).toBe("/console/ws?card=%2B15550009999");
    expect(c.errors()).toBe("simgate console: the service refused the console: no modem holds card +15550009999\n");
  });

  it("a key refused before the upgrade is said with the status and the service's words", async () => {
    const service = await scriptedService(() => {}, undefined, { status: 401, body: JSON.stringify({ error: "unknown API key" }) });
    const c = attach(service.url);
    expect(await c.exited).toBe(1);
    expect(c.errors()).toBe(`simgate console: the service at ${service.url.href} refused the console: HTTP 401 unknown API key\n`);
  });

  it("a service that is not there is named with its URL", async () => {
    const service = await scriptedService(() => {});
    await service.close();
    servers = [];
    const c = attach(service.url);
    expect(await c.exited).toBe(1);
    expect(c.errors()).toMatch(new RegExp(`^simgate console: cannot reach the service at ${service.url.href.replace(/[.]/g, "\\.")}: .*ECONNREFUSED`));
  });

  it("a dangerous line runs only after yes; anything else leaves it unrun", async () => {
    const service = await scriptedService(sendHello, (m, send) => {
      if (m.type !== "line") return;
      if (!m.confirm) return send({ type: "confirm", id: m.id, command: m.text, reason: "the radio goes off: the modem leaves the network" });
      send({ type: "warning", id: m.id, text: "the service sets +CFUN=1 back afterwards" });
      send(reply(m.id, m.text, []));
    });
    const c = attach(service.url);
    await c.waitFor(/AT> $/);
    c.type("AT+CFUN=0");
    await c.waitFor(/-- AT\+CFUN=0: the radio goes off: the modem leaves the network\ntype yes to run it: $/);
    c.type("no");
    await c.waitFor(/-- AT\+CFUN=0 not run\n/);
    c.type("AT+CFUN=0");
    await c.waitFor(/type yes to run it: $/);
    c.type("yes");
    await c.waitFor(/-- warning: the service sets \+CFUN=1 back afterwards\nOK  \(42 ms\)/);
    c.end();
    expect(await c.exited).toBe(0);
    expect(service.received).toEqual([
      { type: "line", id: "1", text: "AT+CFUN=0" },
      { type: "line", id: "2", text: "AT+CFUN=0" },
      { type: "line", id: "2", text: "AT+CFUN=0", confirm: true },
    ]);
  });

  it("sends a body after the > prompt, a line with its own timeout, a hot button, a lease and a release", async () => {
    const service = await scriptedService(sendHello, (m, send) => {
      if (m.type === "line") send(reply(m.id, m.text, m.text.startsWith("AT+CMGS") ? ["+CMGS: 7"] : []));
      // Each change told twice, as a session's own news and its lease follower's may both come.
      const until = new Date(Date.now() + (m.type === "lease" ? m.minutes : 0) * 60_000).toISOString();
      for (let i = 0; i < 2; i++) {
        if (m.type === "lease") send({ type: "lease", lease: { device: "rack", modem: 2, holder: "tech", until, mine: true } });
        if (m.type === "release") send({ type: "lease", lease: null });
      }
    });
    const c = attach(service.url);
    await c.waitFor(/AT> $/);
    c.type("AT+CMGS=18");
    await c.waitFor(/> $/);
    c.type("0011000B915155000022F20000AA05E8329BFD06\x1a");
    await c.waitFor(/\+CMGS: 7\nOK/);
    c.type(":timeout 90000 AT+COPS=?");
    c.type(":2");
    await c.waitFor(/:2 AT\+CREG\?\n/);
    c.type(":lease 5");
    await c.waitFor(/\[lease\] yours \(tech\) on rack\/2 until \d\d:\d\d:\d\d\n/);
    c.type(":release");
    await c.waitFor(/\[lease\] none/);
    c.type(":buttons");
    await c.waitFor(/:1  AT\+CSQ\n:2  AT\+CREG\?\n/);
    c.type(":9");
    await c.waitFor(/-- no button :9/);
    c.type("hello");
    await c.waitFor(/-- not an AT command/);
    c.type("exit");
    expect(await c.exited).toBe(0);
    expect(c.screen().match(/\[lease\] yours/g)).toHaveLength(1);
    expect(c.screen().match(/\[lease\] none/g)).toHaveLength(1);
    expect(service.received).toEqual([
      { type: "line", id: "1", text: "AT+CMGS=18", body: "0011000B915155000022F20000AA05E8329BFD06" },
      { type: "line", id: "2", text: "AT+COPS=?", timeoutMs: 90000 },
      { type: "line", id: "3", text: "AT+CREG?" },
      { type: "lease", minutes: 5 },
      { type: "release" },
    ]);
  });

  it(":save writes the transcript the service sends", async () => {
    const transcript = { name: "console rack/2", description: "", source: "rack/2", entries: [{ command: "ATI", reply: "\r\nSIM800\r\n\r\nOK\r\n", at: 1 }] };
    const service = await scriptedService(sendHello, (m, send) => {
      if (m.type === "transcript") send({ type: "transcript", transcript });
    });
    const c = attach(service.url);
    const file = join(dir, "session.json");
    c.type(`:save ${file}`);
    await c.waitFor(/-- transcript saved to .*session\.json \(1 entries\)/);
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual(transcript);
    c.type("exit");
    expect(await c.exited).toBe(0);
  });

  it("a viewer sees that they watch only, and their line's refusal", async () => {
    const service = await scriptedService((s) => sendHello(s, { user: { name: "eve", role: "viewer" }, mayType: false }), (m, send) => {
      if (m.type === "line") send({ type: "refused", id: m.id, reason: "viewers may watch, not type" });
    });
    const c = attach(service.url);
    await c.waitFor(/signed in as eve \(viewer\); you may watch only/);
    c.type("AT+CSQ");
    await c.waitFor(/-- refused AT\+CSQ: viewers may watch, not type\n/);
    c.type("exit");
    expect(await c.exited).toBe(0);
  });

  it("waits for an answer still due before leaving", async () => {
    let answer: (() => void) | null = null;
    const service = await scriptedService(sendHello, (m, send) => {
      if (m.type === "line") answer = () => send(reply(m.id, m.text, ["+COPS: 0,0,\"Net\""]));
    });
    const c = attach(service.url);
    c.type("AT+COPS?");
    c.end();
    await c.waitFor(/waiting for the reply to 1 line/);
    let done = false;
    void c.exited.then(() => (done = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(done).toBe(false);
    answer!();
    expect(await c.exited).toBe(0);
    expect(c.screen()).toMatch(/\+COPS: 0,0,"Net"\nOK/);
  });

  it("a connection that drops is said, and the exit is not 0", async () => {
    const service = await scriptedService(sendHello);
    const c = attach(service.url);
    await c.waitFor(/AT> $/);
    service.socket().terminate();
    expect(await c.exited).toBe(1);
    expect(c.errors()).toMatch(/^simgate console: the connection to the service was lost \(1006\)\n$/);
  });

  it("a session the service ends says why", async () => {
    const service = await scriptedService(sendHello);
    const c = attach(service.url);
    await c.waitFor(/AT> $/);
    service.socket().send(JSON.stringify({ type: "bye", reason: "the service is stopping" }));
    service.socket().close(1001, "stopping");
    expect(await c.exited).toBe(1);
    expect(c.screen()).toContain("-- the service ended the session: the service is stopping\n");
    expect(c.errors()).toBe("");
  });
});
