/**
 * The console's HTTP side: the WebSocket at `/console/ws` that carries sessions (the panel's
 * terminal and `simgate console --service`), and `POST /console/batch` (one line to many
 * modems, a table of replies). A session on a modem another host drives is passed on to that
 * host (its `hosts.url`), once.
 *
 * Sign-in: an API key (`Authorization: Bearer <key>` or `x-api-key`), or the panel's session
 * cookie, accepted only with an Origin naming this host (a page elsewhere must not open a
 * console with the technician's cookie).
 *
 * To serve it: `const console = yield* startConsole(ctx)`, then `console.attach(server)` on
 * the HTTP server (it takes the upgrade requests for its path) and `console.routes` among the
 * service's routes (the batch).
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { Effect, Exit, Option, Queue, Runtime, Scope, SubscriptionRef } from "effect";
import { sql, type Kysely } from "kysely";
import WebSocket, { WebSocketServer } from "ws";
import { judgeConsoleLine } from "../../protocol/at/console-safety";
import { parseFinalResult } from "../../protocol/at/final-result";
import { describeModemError } from "../../protocol/at/errors";
import { isRole, mayWorkTheFarm } from "../access/roles";
import { sessionOf } from "../access/sessions";
import { userByKey } from "../access/users";
import type { RegisteredModem, Registry } from "../devices/registry";
import { FORWARDED_BY } from "../hosts/forward";
import { cookies, foreignOrigin, SESSION_COOKIE } from "../panel/http";
import type { Scheduler } from "../scheduler/scheduler";
import type { Database } from "../store/schema";
import type { Wakeups } from "../store/wakeups";
import { followLeases } from "../scheduler/console-leases";
import { ConsoleHub, openSession, recordLine, type ConsoleUser } from "./session";
import { CONSOLE_PATH, type ClientMessage, type ServerMessage } from "./wire";
import { logNow } from "../log/logger";
import { BodyTooLarge, BodyUnreadable, readBodyFields } from "../api/http/body";
import type { Route } from "../api/http/router";

export const BATCH_PATH = "/console/batch";

/** A batch is one line and a list of modems: far below the service's default cap. */
const BATCH_MAX_BYTES = 64 * 1024;

export interface ConsoleContext {
  readonly db: Kysely<Database>;
  readonly registry: Registry;
  readonly scheduler: Scheduler;
  /** This host's id. */
  readonly host: string;
  /** A host whose heartbeat is older is not passed sessions. */
  readonly hostTtlMs: number;
  readonly wakeups?: Wakeups;
}

export interface ConsoleEndpoint {
  /** Takes the HTTP server's upgrade requests for the console's path. */
  readonly attach: (server: Server) => void;
  /** `POST /console/batch`. */
  readonly routes: readonly Route[];
  /** Sessions open on this host now. */
  readonly sessions: () => number;
}

type Who = { readonly user: ConsoleUser; readonly via: "key" | "cookie" } | { readonly status: number; readonly reason: string };

const keyOf = (req: IncomingMessage): string | undefined => {
  const auth = req.headers.authorization;
  if (auth?.startsWith("Bearer ")) return auth.slice(7).trim();
  const header = req.headers["x-api-key"];
  return typeof header === "string" ? header : undefined;
};

/** Who is asking: by API key, or by the panel's cookie from this host's own pages. */
export const whoIsAsking = async (db: Kysely<Database>, req: IncomingMessage): Promise<Who> => {
  const key = keyOf(req);
  if (key !== undefined) {
    const user = await userByKey(db, key);
    if (!user || !isRole(user.role)) return { status: 401, reason: "the API key is not valid" };
    return { user: { id: user.id, name: user.name, role: user.role, admin: user.admin }, via: "key" };
  }
  const token = cookies(req).get(SESSION_COOKIE);
  if (token === undefined) return { status: 401, reason: "sign in to the panel, or give an API key (Authorization: Bearer <key>)" };
  const foreign = foreignOrigin(req, true);
  if (foreign !== null) return { status: 403, reason: `a console is opened from this host's own pages (Origin ${foreign})` };
  const session = await sessionOf(db, token);
  if (!session) return { status: 401, reason: "the panel session has ended: sign in again" };
  return { user: { id: session.user.id, name: session.user.name, role: session.user.role, admin: session.user.admin }, via: "cookie" };
};

/** The devices a user may reach: an admin every one, anyone else those they own. */
const mayReach = async (db: Kysely<Database>, user: ConsoleUser, device: string): Promise<boolean> => {
  if (user.admin) return true;
  const row = await db.selectFrom("devices").select("owner").where("key", "=", device).executeTakeFirst();
  return row?.owner === user.name;
};

type Target =
  | { readonly kind: "local"; readonly modem: RegisteredModem }
  | { readonly kind: "remote"; readonly device: string; readonly modem: number; readonly host: string; readonly url: string | null }
  | { readonly kind: "none"; readonly reason: string };

const digits = (n: string) => n.replace(/[^\d]/g, "");

/**
 * Where `?device=&modem=` or `?card=<ICCID or number>` points: a modem of this host, one of
 * another live host, or nothing (with why).
 */
export const findTarget = async (ctx: ConsoleContext, user: ConsoleUser, query: URLSearchParams): Promise<Target> => {
  const card = query.get("card")?.trim();
  let device = query.get("device")?.trim() ?? "";
  let modem = Number(query.get("modem"));
  if (card) {
    // This host's modems first (their actors know now), then what the other hosts wrote.
    for (const m of ctx.registry.modems) {
      const actor = Option.getOrNull(await Effect.runPromise(SubscriptionRef.get(m.supervised.actor)));
      const sim = actor ? (await Effect.runPromise(SubscriptionRef.get(actor.state))).sim : null;
      if (sim && (sim.iccid === card || (sim.number && digits(sim.number) === digits(card) && digits(card).length >= 3))) {
        device = m.device;
        modem = m.position;
        break;
      }
    }
    if (!device) {
      const row = await ctx.db
        .selectFrom("modem_state")
        .select(["device", "modem"])
        .where((eb) => eb.or([eb("iccid", "=", card), ...(digits(card).length >= 3 ? [eb(sql<string>`regexp_replace(coalesce(number, ''), '[^0-9]', '', 'g')`, "=", digits(card))] : [])]))
        .orderBy("updated_at", "desc")
        .executeTakeFirst();
      if (!row) return { kind: "none", reason: `no modem holds a card ${card} now` };
      device = row.device;
      modem = row.modem;
    }
  } else if (!device || !Number.isInteger(modem) || modem < 1) return { kind: "none", reason: "say which modem: ?device=<id>&modem=<n>, or ?card=<ICCID or number>" };
  if (!(await mayReach(ctx.db, user, device))) return { kind: "none", reason: `no device ${device} that ${user.name} may reach` };
  const local = ctx.registry.modems.find((m) => m.device === device && m.position === modem);
  if (local) return { kind: "local", modem: local };
  const driven = await ctx.db
    .selectFrom("device_hosts as d")
    .innerJoin("hosts as h", "h.id", "d.host")
    .select(["h.id", "h.url", sql<boolean>`h.heartbeat_at > now() - ${`${ctx.hostTtlMs} milliseconds`}::interval`.as("alive")])
    .where("d.device", "=", device)
    .executeTakeFirst();
  if (!driven) return { kind: "none", reason: `no device ${device} is driven by any host` };
  if (!driven.alive) return { kind: "none", reason: `device ${device} is driven by host ${driven.id}, which is not running` };
  if (driven.id === ctx.host) return { kind: "none", reason: `device ${device} has no modem ${modem}` };
  return { kind: "remote", device, modem, host: driven.id, url: driven.url };
};

const log = (line: string) => logNow("info", line);

export const startConsole = (ctx: ConsoleContext): Effect.Effect<ConsoleEndpoint, never, Scope.Scope> =>
  Effect.gen(function* () {
    const hub = new ConsoleHub();
    yield* followLeases(ctx.db, ctx.scheduler, {
      ...(ctx.wakeups ? { wakeups: ctx.wakeups } : {}),
      onChange: (lease, state) => Effect.sync(() => hub.leaseChanged(lease.device, lease.modem, state === "ended" ? null : lease)),
    });
    const runtime = yield* Effect.runtime<never>();
    const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
    const open = new Set<WebSocket>();
    yield* Effect.addFinalizer(() =>
      Effect.async<void>((resume) => {
        for (const ws of open) ws.close(1001, "the service is stopping");
        wss.close(() => resume(Effect.void));
      }),
    );

    const bye = (ws: WebSocket, reason: string, code = 4000) => {
      const message: ServerMessage = { type: "bye", reason };
      ws.send(JSON.stringify(message), () => ws.close(code, reason.slice(0, 120)));
    };

    /** A session here: the modem's own queue, through openSession. */
    const serveLocal = (ws: WebSocket, modem: RegisteredModem, user: ConsoleUser) => {
      const send = (message: ServerMessage) => {
        if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
      };
      const inbox = Effect.runSync(Queue.unbounded<ClientMessage>());
      ws.on("message", (data, isBinary) => {
        let message: ClientMessage;
        try {
          if (isBinary) throw new Error("binary");
          message = JSON.parse(data.toString("utf8")) as ClientMessage;
          if (typeof message !== "object" || message === null) throw new Error("not an object");
        } catch {
          return send({ type: "refused", id: null, reason: "each frame is one JSON message (see the README's console section)" });
        }
        Queue.unsafeOffer(inbox, message);
      });
      const scope = Effect.runSync(Scope.make());
      ws.on("close", () => Runtime.runFork(runtime)(Scope.close(scope, Exit.void)));
      Runtime.runFork(runtime)(
        Effect.gen(function* () {
          const session = yield* openSession({ db: ctx.db, hub, host: ctx.host }, modem, user, send);
          log(`console: ${user.name} opened session ${session.id} on ${modem.device}/${modem.position}`);
          yield* Effect.addFinalizer(() => Effect.sync(() => log(`console: session ${session.id} of ${user.name} on ${modem.device}/${modem.position} closed`)));
          // Taken in arrival order; lines queue behind each other inside the session.
          yield* Effect.forever(Effect.flatMap(Queue.take(inbox), (m) => Effect.forkIn(session.receive(m), scope)));
        }).pipe(
          Effect.catchAll((e) => Effect.sync(() => bye(ws, `the session could not start: ${e.message}`, 1011))),
          Scope.extend(scope),
          Effect.forkIn(scope),
        ),
      );
    };

    /** A session on another host's modem: passed on to that host once, frames copied both ways. */
    const passOn = (ws: WebSocket, req: IncomingMessage, target: Extract<Target, { kind: "remote" }>) => {
      if (!target.url) return bye(ws, `${target.device}/${target.modem} is driven by host ${target.host}, which has not said where it is reached (SIMGATE_HOST_URL)`);
      const url = new URL(`${target.url.replace(/^http/, "ws")}${CONSOLE_PATH}`);
      url.searchParams.set("device", target.device);
      url.searchParams.set("modem", String(target.modem));
      const headers: Record<string, string> = { [FORWARDED_BY]: ctx.host };
      const key = keyOf(req);
      if (key !== undefined) headers.authorization = `Bearer ${key}`;
      else {
        // The panel's session is a row every host reads: its cookie signs in there too.
        headers.cookie = req.headers.cookie ?? "";
        headers.origin = new URL(target.url).origin;
      }
      const upstream = new WebSocket(url, { headers, handshakeTimeout: 10_000, followRedirects: false });
      const pending: string[] = [];
      ws.on("message", (data) => (upstream.readyState === WebSocket.OPEN ? upstream.send(data.toString("utf8")) : pending.push(data.toString("utf8"))));
      upstream.on("open", () => {
        for (const p of pending.splice(0)) upstream.send(p);
      });
      upstream.on("message", (data) => ws.readyState === WebSocket.OPEN && ws.send(data.toString("utf8")));
      upstream.on("close", (code, reason) => ws.readyState === WebSocket.OPEN && ws.close(code === 1005 ? 1000 : code, reason));
      upstream.on("error", (error) => ws.readyState === WebSocket.OPEN && bye(ws, `host ${target.host} (${target.url}), which drives ${target.device}/${target.modem}, did not take the session: ${error.message}`, 1014));
      ws.on("close", () => upstream.close());
      log(`console: a session on ${target.device}/${target.modem} passed on to host ${target.host}`);
    };

    const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const url = new URL(req.url ?? "/", "http://localhost");
      if (url.pathname !== CONSOLE_PATH) return void socket.destroy();
      void (async () => {
        const who = await whoIsAsking(ctx.db, req);
        if ("status" in who) {
          // Refused before the upgrade: a page elsewhere learns nothing but the status.
          socket.end(`HTTP/1.1 ${who.status} ${who.status === 401 ? "Unauthorized" : "Forbidden"}\r\ncontent-type: text/plain; charset=utf-8\r\nconnection: close\r\n\r\n${who.reason}\n`);
          return;
        }
        const target = await findTarget(ctx, who.user, url.searchParams);
        wss.handleUpgrade(req, socket, head, (ws) => {
          open.add(ws);
          ws.on("close", () => open.delete(ws));
          if (target.kind === "none") return bye(ws, target.reason, 4004);
          if (target.kind === "remote") {
            if (req.headers[FORWARDED_BY]) return bye(ws, `${target.device}/${target.modem} is not on this host either (the card moved?)`, 4004);
            return passOn(ws, req, target);
          }
          serveLocal(ws, target.modem, who.user);
        });
      })().catch((error: Error) => {
        log(`console: upgrade: ${error.stack ?? error.message}`);
        socket.destroy();
      });
    };

    const json = (res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers });
      res.end(JSON.stringify(value));
    };

    const batch = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
      const who = await whoIsAsking(ctx.db, req);
      if ("status" in who) return json(res, who.status, { error: who.status === 401 ? "UNAUTHORIZED" : "FORBIDDEN", message: who.reason });
      if (!mayWorkTheFarm(who.user.role)) return json(res, 403, { error: "FORBIDDEN", message: `${who.user.name} is a viewer: viewers watch, operators and admins type` });
      let body: { command?: unknown; modems?: unknown; timeoutMs?: unknown };
      try {
        body = Object.fromEntries((await readBodyFields(req, { maxBytes: BATCH_MAX_BYTES, as: "json" })).fields);
      } catch (error) {
        if (error instanceof BodyTooLarge) return json(res, 413, { error: "TOO_LARGE", message: error.message });
        if (error instanceof BodyUnreadable) return json(res, 400, { error: "BAD_REQUEST", message: `the body must be JSON: ${error.detail}` });
        throw error;
      }
      const command = typeof body.command === "string" ? body.command.trim() : "";
      if (!/^AT[\x20-\x7e]{0,498}$/i.test(command)) return json(res, 400, { error: "BAD_REQUEST", message: 'command: one AT command line (it starts with "AT")' });
      const verdict = judgeConsoleLine(command);
      if (verdict.kind !== "plain")
        return json(res, 400, {
          error: "NOT_IN_A_BATCH",
          message: `${command} is not sent to many modems at once (${verdict.kind === "confirm" || verdict.kind === "reassert" ? verdict.reason : verdict.kind === "delete" ? "it deletes messages" : "it sends a message"}); open a console on each modem instead`,
        });
      const timeoutMs = typeof body.timeoutMs === "number" && Number.isInteger(body.timeoutMs) && body.timeoutMs >= 1_000 && body.timeoutMs <= 600_000 ? body.timeoutMs : undefined;
      const wanted = body.modems === "all" ? null : Array.isArray(body.modems) && body.modems.every((m) => typeof m === "string" && /^[^/\s]+\/\d+$/.test(m)) ? (body.modems as string[]) : undefined;
      if (wanted === undefined) return json(res, 400, { error: "BAD_REQUEST", message: 'modems: "all", or a list like ["rack/1", "rack/2"]' });
      const modems: RegisteredModem[] = [];
      const unknown: string[] = [];
      for (const m of ctx.registry.modems) if (wanted === null || wanted.includes(`${m.device}/${m.position}`)) if (await mayReach(ctx.db, who.user, m.device)) modems.push(m);
      if (wanted) for (const w of wanted) if (!modems.some((m) => `${m.device}/${m.position}` === w)) unknown.push(w);
      // Modems of other live hosts go to those hosts, once (a passed-on batch stays there).
      const elsewhere = req.headers[FORWARDED_BY] ? new Map<string, { url: string | null; modems: string[] }>() : await otherHostsModems(ctx, who.user, wanted === null ? null : unknown);
      const passedOn = [...elsewhere.values()].flatMap((h) => h.modems);
      const [results, remote] = await Promise.all([
        Runtime.runPromise(runtime)(Effect.forEach(modems, (m) => runBatchLine(ctx, m, who.user, command, timeoutMs), { concurrency: 16 })),
        Promise.all([...elsewhere].map(([host, h]) => batchOnHost(ctx.host, host, h.url, h.modems, req, { command, timeoutMs }))),
      ]);
      const missing = unknown.filter((w) => !passedOn.includes(w));
      return json(res, 200, {
        command,
        results: [
          ...results,
          ...remote.flat(),
          ...missing.map((w) => ({ device: w.split("/")[0]!, modem: Number(w.split("/")[1]), ok: false, final: null, lines: [], ms: 0, error: `not a modem that ${who.user.name} may reach on a running host` })),
        ],
      });
    };

    return {
      attach: (server) => void server.on("upgrade", upgrade),
      routes: [
        {
          methods: ["POST"],
          path: BATCH_PATH,
          handle: batch,
          // The batch's own words for a GET, as before it had a route, with the method it takes.
          refuse: (_req, res, allow) => json(res, 405, { error: "METHOD", message: "POST a JSON body: {command, modems}" }, { allow }),
        },
      ],
      sessions: () => open.size,
    };
  });

/** The modems of other live hosts a batch covers (`wanted` null: all of them), by host. */
const otherHostsModems = async (ctx: ConsoleContext, user: ConsoleUser, wanted: readonly string[] | null): Promise<Map<string, { url: string | null; modems: string[] }>> => {
  if (wanted !== null && wanted.length === 0) return new Map();
  const rows = await ctx.db
    .selectFrom("modem_state as m")
    .innerJoin("hosts as h", "h.id", "m.host")
    .select(["m.device", "m.modem", "h.id as host", "h.url"])
    .where("m.host", "<>", ctx.host)
    .where(sql<boolean>`h.heartbeat_at > now() - ${`${ctx.hostTtlMs} milliseconds`}::interval`)
    .execute();
  const byHost = new Map<string, { url: string | null; modems: string[] }>();
  for (const r of rows) {
    const name = `${r.device}/${r.modem}`;
    if (wanted !== null && !wanted.includes(name)) continue;
    if (!(await mayReach(ctx.db, user, r.device))) continue;
    const entry = byHost.get(r.host) ?? byHost.set(r.host, { url: r.url, modems: [] }).get(r.host)!;
    entry.modems.push(name);
  }
  return byHost;
};

/** A batch's share for another host, posted there with the caller's own credentials. */
const batchOnHost = async (me: string, host: string, url: string | null, modems: string[], req: IncomingMessage, body: { command: string; timeoutMs: number | undefined }): Promise<BatchResult[]> => {
  const failed = (error: string) => modems.map((m) => ({ device: m.split("/")[0]!, modem: Number(m.split("/")[1]), ok: false, final: null, lines: [], ms: 0, error }));
  if (!url) return failed(`host ${host} has not said where it is reached (SIMGATE_HOST_URL)`);
  const headers: Record<string, string> = { "content-type": "application/json", [FORWARDED_BY]: me };
  const key = keyOf(req);
  if (key !== undefined) headers.authorization = `Bearer ${key}`;
  else {
    headers.cookie = req.headers.cookie ?? "";
    headers.origin = new URL(url).origin;
  }
  try {
    const res = await fetch(`${url}${BATCH_PATH}`, { method: "POST", headers, body: JSON.stringify({ ...body, modems }), redirect: "error", signal: AbortSignal.timeout((body.timeoutMs ?? 180_000) + 15_000) });
    const answer = (await res.json()) as { results?: BatchResult[]; message?: string };
    return answer.results ?? failed(`host ${host} answered ${res.status}: ${answer.message ?? "no results"}`);
  } catch (error) {
    return failed(`host ${host} (${url}) did not answer: ${(error as Error).message}`);
  }
};

export interface BatchResult {
  readonly device: string;
  readonly modem: number;
  readonly ok: boolean;
  readonly final: string | null;
  readonly lines: readonly string[];
  readonly ms: number;
  readonly error: string | null;
}

/** One line on one modem for the batch, through its queue like a session's, and recorded. */
const runBatchLine = (ctx: ConsoleContext, m: RegisteredModem, user: ConsoleUser, command: string, timeoutMs: number | undefined): Effect.Effect<BatchResult> =>
  Effect.gen(function* () {
    const base = { device: m.device, modem: m.position };
    const actor = Option.getOrNull(yield* SubscriptionRef.get(m.supervised.actor));
    if (!actor) return { ...base, ok: false, final: null, lines: [], ms: 0, error: "the modem is not connected" };
    const started = performance.now();
    const result = yield* Effect.either(actor.port.command(command, { priority: "interactive", ...(timeoutMs !== undefined ? { timeoutMs } : {}) }));
    const ms = Math.round(performance.now() - started);
    const iccid = (yield* SubscriptionRef.get(actor.state)).sim?.iccid ?? null;
    const row =
      result._tag === "Right"
        ? (() => {
            const final = parseFinalResult(result.right.finalText);
            const error = final ? describeModemError(final) : null;
            return { ...base, ok: error === null, final: result.right.finalText, lines: result.right.lines, ms, error: error ? `${error.text} (${error.name})` : null };
          })()
        : result.left._tag === "AtModemError"
          ? { ...base, ok: false, final: result.left.error.text, lines: result.left.lines, ms, error: `${result.left.error.text} (${result.left.error.name})` }
          : { ...base, ok: false, final: null, lines: [], ms, error: result.left.message };
    yield* recordLine(ctx.db, { user, device: m.device, modem: m.position, iccid, command, outcome: row.ok ? "ok" : row.final ? "error" : "failed", reply: row.final ? [...row.lines, row.final].join("\n") : row.error, ms });
    return row;
  });
