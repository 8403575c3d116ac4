/**
 * The simulator's control endpoint: a small JSON API on loopback for tests and rigs to inject
 * SMS, calls and USSD, change registration and signal, pull SIMs, unplug modems, inject
 * faults, and read what the modems were sent. Routes are listed in the README.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Farm } from "../farm";
import type { ServedFarm } from "../serve";
import type { RegistrationStat } from "../modem/command-context";
import type { VirtualModem } from "../modem/modem";
import { NetworkError } from "../network/network";
import type { UssdMenu, UssdService } from "../network/operator";
import type { ExternalCallBehaviour } from "../network/calls";
import { SrController } from "../bank/sr-controller";
import type { Final } from "../modem/reply";

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const MAX_BODY = 1 << 20;

type Body = Record<string, unknown>;
type Handler = (params: string[], body: Body, query: URLSearchParams) => unknown | Promise<unknown>;

const readBody = (req: IncomingMessage): Promise<Body> =>
  new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new HttpError(413, "body larger than 1 MB"));
        req.destroy();
      } else chunks.push(c);
    });
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8").trim();
      if (!text) return resolve({});
      try {
        const value: unknown = JSON.parse(text);
        if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error("not an object");
        resolve(value as Body);
      } catch {
        reject(new HttpError(400, "the body must be a JSON object"));
      }
    });
    req.on("error", reject);
  });

const str = (body: Body, key: string, options: { optional?: boolean; max?: number } = {}): string => {
  const value = body[key];
  if (value === undefined && options.optional) return "";
  if (typeof value !== "string" || value.length === 0) throw new HttpError(400, `"${key}" must be a non-empty string`);
  if (value.length > (options.max ?? 10_000)) throw new HttpError(400, `"${key}" is longer than ${options.max ?? 10_000} characters`);
  return value;
};

const num = (body: Body, key: string, min: number, max: number): number | undefined => {
  const value = body[key];
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max)
    throw new HttpError(400, `"${key}" must be an integer from ${min} to ${max}`);
  return value;
};

const REGISTRATION: Record<string, RegistrationStat | null> = { home: 1, roaming: 5, denied: 3, searching: 2, none: 0, auto: null };

export interface ControlOptions {
  readonly farm: Farm;
  readonly served?: ServedFarm;
}

export const describeModem = (farm: Farm, served: ServedFarm | undefined, m: VirtualModem) => {
  const sim = m.sim;
  return {
    id: m.id,
    path: served?.pathOf(m.id) ?? null,
    tcp: served?.tcpPortOf(m.id) ? `tcp://127.0.0.1:${served.tcpPortOf(m.id)}` : null,
    imei: m.imei,
    personality: m.personality.name,
    powered: m.powered,
    simState: m.simState,
    registration: m.regStat,
    signal: { rssi: m.rssi, ber: m.ber },
    slot: m.activeSlot,
    number: sim?.number ?? null,
    iccid: sim?.iccid ?? null,
    imsi: sim?.spec.imsi ?? null,
    operator: sim ? farm.network.operatorOf(sim).name : null,
    calls: m.calls.map((c) => ({ id: c.id, dir: c.dir === 0 ? "outgoing" : "incoming", stat: c.stat, number: c.number })),
    faults: m.faults.toJSON(),
  };
};

export const controlRoutes = ({ farm, served }: ControlOptions): [string, RegExp, Handler][] => {
  const modem = (id: string | undefined) => {
    const m = farm.modems.get(id ?? "");
    if (!m) throw new HttpError(404, `no modem "${id}"`);
    return m;
  };
  const simByNumber = (number: string) => {
    const sim = farm.network.simByNumber(number);
    if (!sim) throw new HttpError(404, `no SIM has the number ${number}`);
    return sim;
  };
  const needServed = () => {
    if (!served) throw new HttpError(409, "this farm has no devices to unplug (it runs without PTYs)");
    return served;
  };
  return [
    ["GET", /^\/modems$/, () => [...farm.modems.values()].map((m) => describeModem(farm, served, m))],
    ["GET", /^\/modems\/([^/]+)$/, ([id]) => describeModem(farm, served, modem(id))],
    ["GET", /^\/modems\/([^/]+)\/received$/, ([id]) => ({ lines: modem(id).received() })],
    [
      "GET",
      /^\/sims$/,
      () =>
        [...farm.network.sims.values()].map((s) => ({
          iccid: s.iccid,
          imsi: s.spec.imsi,
          number: s.number,
          operator: farm.network.operatorOf(s).name,
          stored: s.storage.used,
          capacity: s.storage.capacity,
          waiting: farm.network.pendingFor(s),
          servedBy: [...farm.modems.values()].find((m) => m.sim === s)?.id ?? null,
        })),
    ],
    [
      "POST",
      /^\/sms$/,
      (_p, body) => {
        const onlyParts = body.onlyParts;
        if (onlyParts !== undefined && (!Array.isArray(onlyParts) || !onlyParts.every((n) => Number.isInteger(n))))
          throw new HttpError(400, '"onlyParts" must be an array of part numbers');
        const message = farm.network.sendSms({
          to: str(body, "to", { max: 32 }),
          from: str(body, "from", { max: 32 }),
          text: str(body, "text", { max: 255 * 153 }),
          flash: body.flash === true,
          ...(onlyParts ? { onlyParts: onlyParts as number[] } : {}),
        });
        return { id: message.id, to: message.to, parts: message.parts };
      },
    ],
    ["GET", /^\/sent$/, () => farm.network.submitted],
    ["GET", /^\/injected$/, () => farm.network.injected],
    [
      "POST",
      /^\/call$/,
      (_p, body) => {
        const ringForMs = num(body, "ringForMs", 0, 600_000);
        const hangupAfterMs = num(body, "hangupAfterMs", 0, 86_400_000);
        const call = farm.network.callSim({
          to: str(body, "to", { max: 32 }),
          from: str(body, "from", { max: 32 }),
          ...(ringForMs !== undefined ? { ringForMs } : {}),
          ...(hangupAfterMs !== undefined ? { hangupAfterMs } : {}),
        });
        return call.toJSON();
      },
    ],
    ["GET", /^\/calls$/, () => farm.network.calls.map((c) => c.toJSON())],
    [
      "POST",
      /^\/calls\/(\d+)\/hangup$/,
      ([id]) => {
        const call = farm.network.calls.find((c) => c.id === Number(id));
        if (!call) throw new HttpError(404, `no call ${id}`);
        farm.network.endCall(call, "far-end-hangup");
        return call.toJSON();
      },
    ],
    [
      "POST",
      /^\/call-behaviour$/,
      (_p, body) => {
        const kind = str(body, "kind");
        if (!["answer", "busy", "no-answer"].includes(kind)) throw new HttpError(400, '"kind" must be answer, busy or no-answer');
        const answerAfterMs = num(body, "answerAfterMs", 0, 600_000);
        const hangupAfterMs = num(body, "hangupAfterMs", 0, 86_400_000);
        const ringForMs = num(body, "ringForMs", 0, 600_000);
        const behaviour = { kind, ...(answerAfterMs !== undefined ? { answerAfterMs } : {}), ...(hangupAfterMs !== undefined ? { hangupAfterMs } : {}), ...(ringForMs !== undefined ? { ringForMs } : {}) };
        farm.network.setExternalCallBehaviour(str(body, "number", { max: 32 }), behaviour as ExternalCallBehaviour);
        return { ok: true };
      },
    ],
    [
      "POST",
      /^\/ussd\/service$/,
      (_p, body) => {
        const kind = str(body, "kind");
        let service: UssdService;
        if (kind === "reply" || kind === "error") service = { kind, text: str(body, "text", { max: 500 }) };
        else if (kind === "menu") service = { kind, menu: body.menu as UssdMenu };
        else if (kind === "balance" || kind === "own-number") service = { kind };
        else throw new HttpError(400, '"kind" must be reply, error, menu, balance or own-number');
        if (kind === "menu" && (typeof body.menu !== "object" || body.menu === null || typeof (body.menu as UssdMenu).text !== "string"))
          throw new HttpError(400, '"menu" must be an object with "text" and optional "options"');
        const operators = body.operator === undefined ? [...farm.network.operators.keys()] : [str(body, "operator")];
        for (const op of operators) farm.network.setUssdService(op, str(body, "code", { max: 160 }), service);
        return { ok: true, operators };
      },
    ],
    [
      "POST",
      /^\/ussd\/push$/,
      (_p, body) => {
        farm.network.ussdPush(simByNumber(str(body, "to", { max: 32 })), str(body, "text", { max: 500 }));
        return { ok: true };
      },
    ],
    [
      "POST",
      /^\/modems\/([^/]+)\/registration$/,
      ([id], body) => {
        const state = str(body, "state");
        if (!(state in REGISTRATION)) throw new HttpError(400, `"state" must be one of ${Object.keys(REGISTRATION).join(", ")}`);
        const m = modem(id);
        m.overrideRegistration(REGISTRATION[state]!);
        return describeModem(farm, served, m);
      },
    ],
    [
      "POST",
      /^\/modems\/([^/]+)\/signal$/,
      ([id], body) => {
        const m = modem(id);
        const rssi = num(body, "rssi", 0, 99);
        if (rssi === undefined) throw new HttpError(400, '"rssi" is required (0-31, or 99 for unknown)');
        m.setSignal(rssi, num(body, "ber", 0, 99) ?? 99);
        return describeModem(farm, served, m);
      },
    ],
    [
      "POST",
      /^\/modems\/([^/]+)\/sim$/,
      ([id], body) => {
        const m = modem(id);
        const slot = num(body, "slot", 0, m.slots.length - 1) ?? m.activeSlot;
        if (body.iccid === null || body.iccid === undefined) m.setSim(null, slot);
        else {
          const sim = farm.network.sims.get(str(body, "iccid", { max: 22 }));
          if (!sim) throw new HttpError(404, `no SIM ${String(body.iccid)}`);
          const holder = [...farm.modems.values()].find((other) => other.slots.includes(sim));
          if (holder && holder !== m) throw new HttpError(409, `SIM ${sim.iccid} is in ${holder.id}`);
          m.setSim(sim, slot);
        }
        return describeModem(farm, served, m);
      },
    ],
    ["POST", /^\/modems\/([^/]+)\/reboot$/, ([id]) => (modem(id).reboot(), { ok: true })],
    [
      "POST",
      /^\/modems\/([^/]+)\/power$/,
      ([id], body) => {
        const m = modem(id);
        if (typeof body.on !== "boolean") throw new HttpError(400, '"on" must be true or false');
        if (body.on && !m.powered) m.powerOn();
        if (!body.on) m.powerOff();
        return describeModem(farm, served, m);
      },
    ],
    ["POST", /^\/modems\/([^/]+)\/unplug$/, async ([id]) => (modem(id), await needServed().unplug(id!), { ok: true })],
    ["POST", /^\/modems\/([^/]+)\/replug$/, async ([id]) => (modem(id), await needServed().replug(id!), describeModem(farm, served, modem(id)))],
    [
      "POST",
      /^\/modems\/([^/]+)\/faults$/,
      ([id], body) => {
        const m = modem(id);
        const f = m.faults;
        if (body.hang !== undefined) f.hanging = body.hang === true;
        const late = num(body, "lateMs", 0, 600_000);
        if (late !== undefined) f.lateMs = late;
        if (body.storageFull !== undefined) {
          f.storageFull = body.storageFull === true;
          if (!f.storageFull) m.storageChanged();
        }
        if (body.urcInResponse !== undefined) f.injectUrcInResponse(str(body, "urcInResponse", { max: 500 }));
        if (body.urcAtPrompt !== undefined) f.injectUrcAtPrompt(str(body, "urcAtPrompt", { max: 500 }));
        if (body.failSend !== undefined) {
          const spec = body.failSend as Body;
          f.failSend(num(spec, "nth", 1, 10_000) ?? 1, num(spec, "code", 0, 999) ?? 500);
        }
        if (body.command !== undefined) {
          // {"command": "+CGMM", "final": "ERROR" | {"cme": 4} | {"cms": 330}, "lines"?, "delayMs"?, "times"?}
          const spec = body.command as Body;
          const final = spec.final;
          const finalOk = final === undefined || final === "OK" || final === "ERROR" || (typeof final === "object" && final !== null && ("cme" in final || "cms" in final));
          if (!finalOk) throw new HttpError(400, `"command.final" must be OK, ERROR, {"cme": n} or {"cms": n}`);
          const lines = Array.isArray(spec.lines) ? spec.lines.map(String) : [];
          const delayMs = num(spec, "delayMs", 0, 600_000);
          const times = num(spec, "times", 1, 1_000_000);
          f.overrideCommand({
            command: str(spec, "command", { max: 40 }),
            ...(final !== undefined || lines.length ? { reply: { lines, final: (final ?? "OK") as Final } } : {}),
            ...(delayMs !== undefined ? { delayMs } : {}),
            ...(times !== undefined ? { times } : {}),
          });
        }
        const noRef = num(body, "sendWithoutReference", 0, 10_000);
        if (noRef !== undefined) f.sendsWithoutReference = noRef;
        if (body.garbage === true) m.injectGarbage();
        else if (body.garbage !== undefined) m.injectGarbage(str(body, "garbage", { max: 4096 }));
        return describeModem(farm, served, m);
      },
    ],
    ["DELETE", /^\/modems\/([^/]+)\/faults$/, ([id]) => (modem(id).faults.clear(), describeModem(farm, served, modem(id)))],
    ["GET", /^\/banks$/, () => [...farm.banks.values()].map((b) => ({ ...b.toJSON(), path: served?.pathOf(b.id) ?? null }))],
    [
      "POST",
      /^\/banks\/([^/]+)\/command$/,
      async ([id], body) => {
        const bank = farm.banks.get(id ?? "");
        if (!bank) throw new HttpError(404, `no bank "${id}"`);
        const controller = served?.controllers.get(bank.id) ?? new SrController(bank);
        const replies: string[] = [];
        for (const command of str(body, "command", { max: 500 }).split("&&")) replies.push(...(await controller.execute(command.trim())));
        return { replies };
      },
    ],
  ];
};

/**
 * The control API as a request handler, for mounting under a prefix on another server (the
 * service serves it under /sim/ in simulated mode). Returns false when the path is not its.
 */
export const controlHandler = (options: ControlOptions, prefix = "") => {
  const routes = controlRoutes(options);
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const full = new URL(req.url ?? "/", "http://localhost");
    if (prefix && !full.pathname.startsWith(`${prefix}/`)) return false;
    const url = new URL(full.pathname.slice(prefix.length) + full.search, "http://localhost");
    const send = (status: number, value: unknown) => {
      const body = JSON.stringify(value);
      res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(body) });
      res.end(body);
    };
    try {
      const matching = routes.filter(([, pattern]) => pattern.test(url.pathname));
      if (matching.length === 0) throw new HttpError(404, `no route ${url.pathname}`);
      const route = matching.find(([method]) => method === req.method);
      if (!route) throw new HttpError(405, `${req.method} is not allowed on ${url.pathname}`);
      const params = route[1].exec(url.pathname)!.slice(1).map(decodeURIComponent);
      const body = req.method === "POST" ? await readBody(req) : {};
      const result = await route[2](params, body, url.searchParams);
      send(req.method === "POST" && /^\/(sms|call)$/.test(url.pathname) ? 201 : 200, result);
    } catch (error) {
      if (error instanceof HttpError) send(error.status, { error: error.message });
      else if (error instanceof NetworkError) send(error.message.startsWith("no SIM") ? 404 : 400, { error: error.message });
      else send(500, { error: `simulator fault: ${(error as Error).message}` });
    }
    return true;
  };
};

/** Starts the control endpoint; `listen` is `host:port` (port 0 picks one). */
export const startControl = async (options: ControlOptions, listen: string): Promise<{ server: Server; url: string }> => {
  const handle = controlHandler(options);
  const [host, portText] = splitListen(listen);
  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(Number(portText), host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : Number(portText);
  return { server, url: `http://${host}:${port}` };
};

const splitListen = (listen: string): [string, string] => {
  const match = /^([^:]+):(\d{1,5})$/.exec(listen);
  if (!match || Number(match[2]) > 65535) throw new Error(`--control wants host:port, e.g. 127.0.0.1:8125 (got "${listen}")`);
  return [match[1]!, match[2]!];
};
