/**
 * Requests that must be served by the host driving a modem while the caller waits (answering
 * a ringing call, hanging up): a host that gets one for a card on another host's modem
 * passes it on to that host's HTTP server (`hosts.url`) and hands back its answer. Work that
 * can wait (sends, USSD, AT lines, dials) goes through the jobs table instead.
 *
 * A request is passed on once: the receiving host serves it if the card is on its modems and
 * refuses it otherwise (the card moved meanwhile), never passing it further.
 */
import { hostname } from "node:os";
import { sql, type Kysely } from "kysely";
import type { Database } from "../store/schema";

/** Marks a request passed on by another host; its value names that host. */
export const FORWARDED_BY = "x-simgate-forwarded-by";
const FORWARD_TIMEOUT_MS = 30_000;

export interface DrivingHost {
  readonly id: string;
  readonly url: string | null;
}

/** The live host, other than `me`, whose modem holds the card now (from its modem_state rows). */
export const drivingHostOf = async (db: Kysely<Database>, iccid: string, me: string, ttlMs: number): Promise<DrivingHost | null> => {
  const row = await db
    .selectFrom("modem_state as m")
    .innerJoin("hosts as h", "h.id", "m.host")
    .select(["h.id", "h.url"])
    .where("m.iccid", "=", iccid)
    .where("m.host", "<>", me)
    .where(sql<boolean>`h.heartbeat_at > now() - ${`${ttlMs} milliseconds`}::interval`)
    .orderBy("m.updated_at", "desc")
    .executeTakeFirst();
  return row ?? null;
};

/** Records where this host's HTTP server is reached. */
export const recordHostUrl = async (db: Kysely<Database>, id: string, url: string): Promise<void> => {
  await db.updateTable("hosts").set({ url }).where("id", "=", id).execute();
};

/**
 * Where other hosts reach this one: SIMGATE_HOST_URL, else this machine's name (or the
 * address the server is bound to, when it is a specific one) and the port it listens on.
 */
export const hostUrlFromEnv = (boundHost: string, port: number, env: NodeJS.ProcessEnv = process.env): string => {
  const given = env.SIMGATE_HOST_URL?.trim();
  if (given) return given.replace(/\/+$/, "");
  const name = boundHost === "0.0.0.0" || boundHost === "::" ? hostname() : boundHost;
  return `http://${name.includes(":") ? `[${name}]` : name}:${port}`;
};

export class ForwardFailed extends Error {}

/** Passes a JSON request on to another host; its status and body come back as they are. */
export const forwardJson = async (host: DrivingHost, path: string, body: unknown, me: string): Promise<{ status: number; body: string }> => {
  if (!host.url) throw new ForwardFailed(`host ${host.id} drives the card but has not said where it is reached (it predates hosts.url, or has not finished starting)`);
  try {
    const res = await fetch(`${host.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", [FORWARDED_BY]: me },
      body: JSON.stringify(body),
      // The body carries the caller's key: never re-sent to wherever a redirect points.
      redirect: "error",
      signal: AbortSignal.timeout(FORWARD_TIMEOUT_MS),
    });
    return { status: res.status, body: await res.text() };
  } catch (error) {
    throw new ForwardFailed(`host ${host.id} (${host.url}), which drives the card, did not answer: ${(error as Error).message}`);
  }
};
