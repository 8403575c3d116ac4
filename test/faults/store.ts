/**
 * The campaign's way into the service's database, on either backend the service supports:
 *
 * - `server`: a throwaway database on the PostgreSQL server; the campaign keeps its own
 *   connection (named, so the database kills spare it) and can kill the service's.
 * - `embedded`: the service's own PGlite data directory. PGlite is one process's at a time,
 *   so while the service runs the campaign asks it through its API, and reads the directory
 *   itself only while the service is down (after a kill, and at the end). There are no
 *   connections to kill.
 */
import { PGlite } from "@electric-sql/pglite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type pg from "pg";
import { PGLITE_EXTENSIONS } from "../../src/store/database";
import { throwawayDatabase } from "../support/postgres";
import { connect, HARNESS_APP } from "./evidence";
import { API_KEY } from "./service";

export type DatabaseKind = "server" | "embedded";

/** What the evidence needs of a database: a query that returns rows. */
export interface Queryable {
  query<R>(text: string, params?: unknown[]): Promise<{ rows: R[] }>;
}

export interface CampaignStore {
  readonly kind: DatabaseKind;
  /** The service's environment for this database. */
  readonly serviceEnv: Readonly<Record<string, string>>;
  /** Cards the service knows with their number (the start-up scan's progress). */
  knownCards(serviceUrl: string | null): Promise<number>;
  /** Sends queued or sending; null when it cannot be told now (the service restarting). */
  openSends(serviceUrl: string | null): Promise<number | null>;
  /** Sends in state `sending`: at any time on the server, only while the service is down (a kill, a crash) when embedded. */
  inFlightWhileDown(): Promise<number[]>;
  /** Terminates every connection the service holds (server only); how many. */
  killConnections(): Promise<number>;
  /** Reads with `read` while the service is down (the evidence at the end). */
  whileDown<T>(read: (db: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

const IN_FLIGHT = "select id from sms_out where state = 'sending' order by id";

export const openCampaignStore = async (kind: DatabaseKind): Promise<CampaignStore> => (kind === "server" ? serverStore() : embeddedStore());

const serverStore = async (): Promise<CampaignStore> => {
  const database = await throwawayDatabase("simgate_faults");
  const dbName = new URL(database.url).pathname.slice(1);
  let client: pg.Client;
  try {
    client = await connect(database.url);
  } catch (error) {
    await database.drop().catch(() => undefined);
    throw error;
  }
  const count = async (text: string) => Number((await client.query<{ n: string }>(text)).rows[0]!.n);
  return {
    kind: "server",
    serviceEnv: { DATABASE_URL: database.url },
    knownCards: () => count("select count(*) as n from sim_cards where number is not null"),
    openSends: () => count("select count(*) as n from sms_out where state in ('queued', 'sending')"),
    inFlightWhileDown: async () => (await client.query<{ id: number }>(IN_FLIGHT)).rows.map((r) => Number(r.id)),
    killConnections: async () =>
      (
        await client.query<{ n: number }>(
          "select count(*)::int as n from (select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid() and coalesce(application_name, '') <> $2) t",
          [dbName, HARNESS_APP],
        )
      ).rows[0]!.n,
    whileDown: (read) => read(client as unknown as Queryable),
    close: async () => {
      await client.end().catch(() => undefined);
      await database.drop().catch(() => undefined);
    },
  };
};

/** One SimFolder call with the campaign's key; null when the service does not answer. */
const simfolder = async (url: string | null, method: string, params: Record<string, string>): Promise<Record<string, unknown> | null> => {
  if (!url) return null;
  const query = new URLSearchParams({ api_key: API_KEY, ...params });
  try {
    const res = await fetch(`${url}/api/${method}?${query}`, { signal: AbortSignal.timeout(10_000) });
    return res.ok ? ((await res.json()) as Record<string, unknown>) : null;
  } catch {
    return null;
  }
};

/** Every row of a SimFolder list, paged forward by id. */
const everyRow = async (url: string | null, method: string, key: string, idField: string): Promise<Record<string, unknown>[] | null> => {
  const rows: Record<string, unknown>[] = [];
  for (let after = 0; ; ) {
    const page = await simfolder(url, method, { limit: "1000", after_id: String(after) });
    const list = page?.[key];
    if (!Array.isArray(list)) return null;
    rows.push(...(list as Record<string, unknown>[]));
    if (list.length < 1000) return rows;
    after = Number((list[list.length - 1] as Record<string, unknown>)[idField]);
  }
};

const embeddedStore = async (): Promise<CampaignStore> => {
  const dir = mkdtempSync(join(tmpdir(), "simgate-faults-embedded-"));
  const dataDir = join(dir, "data");
  /** Opens the directory the service left; fails as the service would if it cannot be reopened. */
  const whileDown = async <T>(read: (db: Queryable) => Promise<T>): Promise<T> => {
    const db = await PGlite.create({ dataDir, extensions: PGLITE_EXTENSIONS });
    try {
      return await read(db as unknown as Queryable);
    } finally {
      await db.close();
    }
  };
  return {
    kind: "embedded",
    serviceEnv: { SIMGATE_DATA_DIR: dataDir },
    knownCards: async (url) => (await everyRow(url, "cardList", "cards", "card_id"))?.filter((c) => c.number).length ?? 0,
    openSends: async (url) => (await everyRow(url, "smsOutgoingList", "sms", "sms_id"))?.filter((s) => s.state === "queued" || s.state === "sending").length ?? null,
    inFlightWhileDown: () => whileDown(async (db) => (await db.query<{ id: number }>(IN_FLIGHT)).rows.map((r) => Number(r.id))),
    killConnections: async () => 0,
    whileDown,
    close: async () => rmSync(dir, { recursive: true, force: true }),
  };
};
