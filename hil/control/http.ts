/**
 * The simulator's control endpoint: a small JSON API on loopback for tests and rigs to inject
 * SMS, calls and USSD, change registration and signal, pull SIMs, unplug modems, inject
 * faults, and read what the modems were sent. Routes are listed in the README.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { Either, Schema } from "effect";
import { firstIssue, placeOf, says } from "../config";
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

const REGISTRATION: Record<string, RegistrationStat | null> = { home: 1, roaming: 5, denied: 3, searching: 2, none: 0, auto: null };

// The bodies' schemas. Every leaf says what it wants; the answer puts the field in front:
// `"to" must be a non-empty string`. Keys a route does not read are ignored, as they always were.

/** A non-empty string of at most `max` characters. */
const Text = (max = 10_000) =>
  Schema.String.annotations(says("must be a non-empty string")).pipe(
    Schema.filter((s) => s.length > 0 || "must be a non-empty string"),
    Schema.filter((s) => s.length <= max || `is longer than ${max} characters`),
  );

/** A whole number from `min` to `max`. */
const Whole = (min: number, max: number) => Schema.Number.pipe(Schema.int(), Schema.between(min, max)).annotations(says(`must be an integer from ${min} to ${max}`));

/** A text from a fixed list; another text (or no text) is told the list. */
const OneOf = <const N extends readonly [string, ...string[]]>(names: N, words: string) =>
  Schema.Literal(...names).annotations({
    message: (issue) => ({ message: typeof issue.actual === "string" && issue.actual !== "" ? words : "must be a non-empty string", override: true }),
  });

const required = <A, I>(schema: Schema.Schema<A, I>, words: string) => Schema.propertySignature(schema).annotations({ missingMessage: () => words });
const requiredText = (max?: number) => required(Text(max), "must be a non-empty string");

/** The body through its schema, or a 400 naming the field and what it wants. */
const decodeBody = <A, I>(schema: Schema.Schema<A, I>, body: unknown): A => {
  const decoded = Schema.decodeUnknownEither(schema)(body);
  if (Either.isRight(decoded)) return decoded.right;
  const issue = firstIssue(decoded.left);
  throw new HttpError(400, issue && issue.path.length ? `"${placeOf(issue.path)}" ${issue.message}` : (issue?.message ?? "the body is not valid"));
};

const SmsBody = Schema.Struct({
  onlyParts: Schema.optional(Schema.Array(Schema.Number.pipe(Schema.int())).annotations(says("must be an array of part numbers"))),
  to: requiredText(32),
  from: requiredText(32),
  text: requiredText(255 * 153),
  flash: Schema.optional(Schema.Unknown),
});

const CallBody = Schema.Struct({
  ringForMs: Schema.optional(Whole(0, 600_000)),
  hangupAfterMs: Schema.optional(Whole(0, 86_400_000)),
  to: requiredText(32),
  from: requiredText(32),
});

const CallBehaviourBody = Schema.Struct({
  kind: required(OneOf(["answer", "busy", "no-answer"], "must be answer, busy or no-answer"), "must be a non-empty string"),
  answerAfterMs: Schema.optional(Whole(0, 600_000)),
  hangupAfterMs: Schema.optional(Whole(0, 86_400_000)),
  ringForMs: Schema.optional(Whole(0, 600_000)),
  number: requiredText(32),
});

const USSD_KINDS = ["reply", "error", "menu", "balance", "own-number"] as const;
const MENU_WORDS = 'must be an object with "text" and optional "options"';
const UssdServiceBody = Schema.Struct({
  kind: required(OneOf(USSD_KINDS, "must be reply, error, menu, balance or own-number"), "must be a non-empty string"),
  operator: Schema.optional(Text()),
  code: requiredText(160),
});
const UssdTextBody = Schema.Struct({ text: requiredText(500) });
const UssdMenuBody = Schema.Struct({
  menu: required(Schema.Struct({ text: Schema.String }, Schema.Record({ key: Schema.String, value: Schema.Unknown })).annotations(says(MENU_WORDS)), MENU_WORDS),
});

const UssdPushBody = Schema.Struct({ to: requiredText(32), text: requiredText(500) });

const RegistrationBody = Schema.Struct({
  state: required(Text().pipe(Schema.filter((s) => s in REGISTRATION || `must be one of ${Object.keys(REGISTRATION).join(", ")}`)), "must be a non-empty string"),
});

const SignalBody = Schema.Struct({
  rssi: required(Whole(0, 99), "is required (0-31, or 99 for unknown)"),
  ber: Schema.optional(Whole(0, 99)),
});

/** The slot's range is the modem's, so the schema is made per request. */
const SimBody = (slots: number) =>
  Schema.Struct({
    slot: Schema.optional(Whole(0, slots - 1)),
    iccid: Schema.optional(Schema.NullOr(Text(22))),
  });

const PowerBody = Schema.Struct({ on: required(Schema.Boolean.annotations(says("must be true or false")), "must be true or false") });

const FINAL_WORDS = 'must be OK, ERROR, {"cme": n} or {"cms": n}';
/** {"command": "+CGMM", "final": "ERROR" | {"cme": 4} | {"cms": 330}, "lines"?, "delayMs"?, "times"?} */
const CommandFault = Schema.Struct({
  command: requiredText(40),
  final: Schema.optional(
    Schema.Union(Schema.Literal("OK", "ERROR"), Schema.Struct({ cme: Schema.Unknown }), Schema.Struct({ cms: Schema.Unknown })).annotations(says(FINAL_WORDS)),
  ),
  // Anything but a list has always meant no lines.
  lines: Schema.optional(Schema.Unknown),
  delayMs: Schema.optional(Whole(0, 600_000)),
  times: Schema.optional(Whole(1, 1_000_000)),
}).annotations({ message: () => 'must be an object such as {"command": "+CGMM", "final": "ERROR"}' });

const FailSendFault = Schema.Struct({ nth: Schema.optional(Whole(1, 10_000)), code: Schema.optional(Whole(0, 999)) });

const FaultsBody = Schema.Struct({
  hang: Schema.optional(Schema.Unknown),
  lateMs: Schema.optional(Whole(0, 600_000)),
  storageFull: Schema.optional(Schema.Unknown),
  urcInResponse: Schema.optional(Text(500)),
  urcAtPrompt: Schema.optional(Text(500)),
  // A failSend that is no object has always meant the defaults: the next send, error 500.
  failSend: Schema.optional(Schema.Unknown),
  command: Schema.optional(CommandFault),
  sendWithoutReference: Schema.optional(Whole(0, 10_000)),
  // true: a burst of line noise; a text: that text.
  garbage: Schema.optional(Schema.Union(Text(4096), Schema.Literal(true))),
});

const BankCommandBody = Schema.Struct({ command: requiredText(500) });

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
        const { onlyParts, to, from, text, flash } = decodeBody(SmsBody, body);
        const message = farm.network.sendSms({ to, from, text, flash: flash === true, ...(onlyParts ? { onlyParts: [...onlyParts] } : {}) });
        return { id: message.id, to: message.to, parts: message.parts };
      },
    ],
    ["GET", /^\/sent$/, () => farm.network.submitted],
    ["GET", /^\/injected$/, () => farm.network.injected],
    [
      "POST",
      /^\/call$/,
      (_p, body) => {
        const { ringForMs, hangupAfterMs, to, from } = decodeBody(CallBody, body);
        const call = farm.network.callSim({
          to,
          from,
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
        const { kind, answerAfterMs, hangupAfterMs, ringForMs, number } = decodeBody(CallBehaviourBody, body);
        const behaviour = { kind, ...(answerAfterMs !== undefined ? { answerAfterMs } : {}), ...(hangupAfterMs !== undefined ? { hangupAfterMs } : {}), ...(ringForMs !== undefined ? { ringForMs } : {}) };
        farm.network.setExternalCallBehaviour(number, behaviour as ExternalCallBehaviour);
        return { ok: true };
      },
    ],
    [
      "POST",
      /^\/ussd\/service$/,
      (_p, body) => {
        const { kind, operator, code } = decodeBody(UssdServiceBody, body);
        const service: UssdService =
          kind === "reply" || kind === "error"
            ? { kind, text: decodeBody(UssdTextBody, body).text }
            : kind === "menu"
              ? { kind, menu: decodeBody(UssdMenuBody, body).menu as UssdMenu }
              : { kind };
        const operators = operator === undefined ? [...farm.network.operators.keys()] : [operator];
        for (const op of operators) farm.network.setUssdService(op, code, service);
        return { ok: true, operators };
      },
    ],
    [
      "POST",
      /^\/ussd\/push$/,
      (_p, body) => {
        const { to, text } = decodeBody(UssdPushBody, body);
        farm.network.ussdPush(simByNumber(to), text);
        return { ok: true };
      },
    ],
    [
      "POST",
      /^\/modems\/([^/]+)\/registration$/,
      ([id], body) => {
        const { state } = decodeBody(RegistrationBody, body);
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
        const { rssi, ber } = decodeBody(SignalBody, body);
        m.setSignal(rssi, ber ?? 99);
        return describeModem(farm, served, m);
      },
    ],
    [
      "POST",
      /^\/modems\/([^/]+)\/sim$/,
      ([id], body) => {
        const m = modem(id);
        const { slot = m.activeSlot, iccid } = decodeBody(SimBody(m.slots.length), body);
        if (iccid === null || iccid === undefined) m.setSim(null, slot);
        else {
          const sim = farm.network.sims.get(iccid);
          if (!sim) throw new HttpError(404, `no SIM ${iccid}`);
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
        const { on } = decodeBody(PowerBody, body);
        if (on && !m.powered) m.powerOn();
        if (!on) m.powerOff();
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
        const asked = decodeBody(FaultsBody, body);
        const f = m.faults;
        if (asked.hang !== undefined) f.hanging = asked.hang === true;
        if (asked.lateMs !== undefined) f.lateMs = asked.lateMs;
        if (asked.storageFull !== undefined) {
          f.storageFull = asked.storageFull === true;
          if (!f.storageFull) m.storageChanged();
        }
        if (asked.urcInResponse !== undefined) f.injectUrcInResponse(asked.urcInResponse);
        if (asked.urcAtPrompt !== undefined) f.injectUrcAtPrompt(asked.urcAtPrompt);
        if (asked.failSend !== undefined) {
          const spec = typeof asked.failSend === "object" && asked.failSend !== null ? asked.failSend : {};
          const { nth = 1, code = 500 } = decodeBody(Schema.Struct({ failSend: FailSendFault }), { failSend: spec }).failSend;
          f.failSend(nth, code);
        }
        if (asked.command !== undefined) {
          const { command, final, lines: given, delayMs, times } = asked.command;
          const lines = Array.isArray(given) ? given.map(String) : [];
          f.overrideCommand({
            command,
            ...(final !== undefined || lines.length ? { reply: { lines, final: (final ?? "OK") as Final } } : {}),
            ...(delayMs !== undefined ? { delayMs } : {}),
            ...(times !== undefined ? { times } : {}),
          });
        }
        if (asked.sendWithoutReference !== undefined) f.sendsWithoutReference = asked.sendWithoutReference;
        if (asked.garbage === true) m.injectGarbage();
        else if (asked.garbage !== undefined) m.injectGarbage(asked.garbage);
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
        for (const command of decodeBody(BankCommandBody, body).command.split("&&")) replies.push(...(await controller.execute(command.trim())));
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
