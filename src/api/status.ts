/**
 * The service's own routes: `/healthz` (liveness: the process answers), `/readyz` (readiness:
 * the database answers; 503 while it does not, so a load balancer or supervisor waits instead
 * of sending work) and `/status`. Neither probe needs a key, and neither says more than
 * ready or not. `/status` shows counts to anyone; the modems' cards, numbers and the latest
 * messages only to an API key, and only for the devices that key's user sees.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { Effect } from "effect";
import { sql, type Kysely } from "kysely";
import { userByKey } from "../access/users";
import { modemStatuses, type Registry } from "../devices/registry";
import { remoteModems } from "../devices/live-state";
import { DEFAULT_HOST_TTL_MS } from "../hosts/host";
import type { Database } from "../store/schema";
import type { Route } from "./http/router";

/** How long /readyz waits for the database before saying it is not there. */
const READY_TIMEOUT_MS = 3_000;

const json = (res: ServerResponse, code: number, value: unknown) => {
  res.writeHead(code, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
  res.end(JSON.stringify(value));
};

const databaseAnswers = async (db: Kysely<Database>): Promise<boolean> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), READY_TIMEOUT_MS)));
  try {
    return await Promise.race([sql`select 1`.execute(db).then(() => true, () => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
};

const keyOf = (req: IncomingMessage, url: URL): string | null => {
  const header = req.headers["x-api-key"];
  return url.searchParams.get("api_key") ?? (typeof header === "string" ? header : null);
};

const status = async (req: IncomingMessage, url: URL, registry: Registry, db: Kysely<Database>) => {
  const local = await Effect.runPromise(modemStatuses(registry));
  // Modems other hosts drive, as they last wrote them.
  const remote = await remoteModems(db, registry.devices.map((d) => d.config.id), DEFAULT_HOST_TTL_MS);
  const modems = [
    ...local,
    ...remote.map((r) => ({ device: r.device, position: r.modem, target: null, host: r.host, connected: r.connected, simStatus: r.simStatus, iccid: r.iccid, number: r.number, operator: r.operator })),
  ];
  const received = await db.selectFrom("sms_in").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
  const counts = {
    modems: { total: modems.length, connected: modems.filter((m) => m.connected).length, active: modems.filter((m) => m.simStatus === 1 || m.simStatus === 5).length },
    sms: { received: Number(received.n) },
  };
  const key = keyOf(req, url);
  if (key === null) return { status: 200, body: { ...counts, detail: "pass api_key (or X-Api-Key) to see modems, cards and messages" } };
  const user = await userByKey(db, key);
  if (!user) return { status: 401, body: { error: "BAD_API_KEY", message: "api_key is not valid" } };
  let devices = db.selectFrom("devices").select("key");
  if (!user.admin) devices = devices.where("owner", "=", user.name);
  const own = new Set((await devices.execute()).map((d) => d.key));
  const visible = modems.filter((m) => own.has(m.device));
  const iccids = visible.map((m) => m.iccid).filter((i): i is string => i !== null);
  const latest = user.admin
    ? await db.selectFrom("sms_in").select(["id", "iccid", "sender", "text", "received_at"]).orderBy("id", "desc").limit(10).execute()
    : iccids.length === 0
      ? []
      : await db.selectFrom("sms_in").select(["id", "iccid", "sender", "text", "received_at"]).where("iccid", "in", iccids).orderBy("id", "desc").limit(10).execute();
  return { status: 200, body: { modems: visible, sms: { received: user.admin ? counts.sms.received : undefined, latest } } };
};

const GET = ["GET", "HEAD"] as const;

/** /healthz, /readyz and /status. */
export const statusRoutes = (registry: Registry, db: Kysely<Database>): Route[] => [
  { methods: GET, path: "/healthz", handle: (_req, res) => json(res, 200, { alive: true }) },
  {
    methods: GET,
    path: "/readyz",
    handle: async (_req, res) => {
      if (await databaseAnswers(db)) json(res, 200, { ready: true });
      else json(res, 503, { ready: false, database: "unreachable" });
    },
  },
  {
    methods: GET,
    path: "/status",
    handle: async (req, res, { url }) => {
      const { status: code, body } = await status(req, url, registry, db);
      json(res, code, body);
    },
  },
];

/**
 * The service's index at `/`, for scripts (the panel answers `/` to a browser): where the
 * rest is. Any method, as before the route table.
 */
export const indexRoute = (links: { readonly srNavigator: string; readonly simulator?: string }): Route => ({
  methods: "any",
  path: "/",
  handle: (_req, res) => {
    res.writeHead(200, { "content-type": "application/json; charset=utf-8" });
    res.end(JSON.stringify({ service: "simgate", status: "/status", health: "/healthz", ready: "/readyz", srNavigator: links.srNavigator, ...(links.simulator ? { simulator: links.simulator } : {}) }));
  },
});
