/**
 * What needs someone's attention, over the last hour, for the devices a user sees: modems
 * that stopped answering or were reset, SIMs blocked or absent, bank switches that failed,
 * messages that could not be attributed to a card or not be read, and (the user's own)
 * webhook receiver failing. Read from the event log and the rows the services keep, so it
 * covers every host.
 */
import { sql } from "kysely";
import type { PanelContext } from "./context";
import type { DeviceRow, Viewer } from "./farm-view";

export type AlertKind = "modem-down" | "modem-reset" | "sim-blocked" | "sim-absent" | "switch-failed" | "sms-unattributed" | "sms-unreadable" | "webhook-failing";

export interface Alert {
  readonly kind: AlertKind;
  readonly device: string | null;
  readonly modem: number | null;
  readonly detail: string;
  readonly at: Date;
}

const MODEM_DOWN = new Set(["unresponsive", "lost", "open-failed", "bring-up-failed", "check-failed"]);

const kindOf = (type: string, payload: Record<string, unknown>): AlertKind | null => {
  if (type === "smsUnattributed") return "sms-unattributed";
  if (type === "simStatus") return payload.state === 3 ? "sim-blocked" : payload.state === 6 ? "sim-absent" : null;
  if (type !== "modemTrouble") return null;
  if (MODEM_DOWN.has(String(payload.kind))) return "modem-down";
  if (payload.kind === "reset") return "modem-reset";
  if (payload.kind === "sms-unreadable") return "sms-unreadable";
  return null;
};

export const alertsFor = async (ctx: PanelContext, user: Viewer, devices: readonly DeviceRow[], limit = 30): Promise<Alert[]> => {
  const keys = devices.map((d) => d.key);
  let events = ctx.db
    .selectFrom("events")
    .select(["type", "device", "payload", "at"])
    .where("type", "in", ["modemTrouble", "simStatus", "smsUnattributed"])
    .where(sql<boolean>`at > now() - interval '1 hour'`)
    // Only the alerting ones: a connect or a status that is fine is not read at all.
    .where(sql<boolean>`(type = 'smsUnattributed' or (type = 'simStatus' and (payload->>'state')::int in (3, 6)) or (type = 'modemTrouble' and payload->>'kind' in ('unresponsive', 'lost', 'open-failed', 'bring-up-failed', 'check-failed', 'reset', 'sms-unreadable')))`)
    .orderBy("id", "desc")
    .limit(limit);
  events = user.admin ? events : events.where("device", "in", keys.length ? keys : [""]);
  const failed = await ctx.db
    .selectFrom("holds")
    .select(["device", "position", "modem", "error", "updated_at"])
    .where("state", "=", "failed")
    .where("device", "in", keys.length ? keys : [""])
    .execute();
  const webhook = await ctx.db
    .selectFrom("outbox")
    .select([sql<number>`count(*)::int`.as("n"), sql<string | null>`max(last_error)`.as("error"), sql<Date | null>`max(created_at)`.as("at")])
    .where("delivered_at", "is", null)
    .where("attempts", ">", 0)
    .where("user_id", "=", user.id)
    .executeTakeFirstOrThrow();
  const out: Alert[] = [];
  for (const f of failed) out.push({ kind: "switch-failed", device: f.device, modem: f.modem, detail: `${f.position}: ${f.error ?? "the switch failed"}`, at: f.updated_at });
  if (webhook.n > 0) out.push({ kind: "webhook-failing", device: null, modem: null, detail: `${webhook.n} waiting: ${webhook.error ?? "no answer"}`, at: webhook.at ?? new Date() });
  for (const e of await events.execute()) {
    const payload = (e.payload ?? {}) as Record<string, unknown>;
    const kind = kindOf(e.type, payload);
    if (kind)
      out.push({ kind, device: e.device, modem: typeof payload.modem === "number" ? payload.modem : null, detail: typeof payload.detail === "string" ? payload.detail : e.type === "simStatus" ? `${payload.number ?? payload.card_id ?? ""}` : "", at: e.at });
  }
  return out.slice(0, limit);
};

export interface HourCount {
  readonly hour: Date;
  readonly received: number;
  readonly sent: number;
}

/** Messages in and out per hour over the last 24 hours, on the user's devices' cards. */
export const messagesPerHour = async (ctx: PanelContext, user: Viewer, devices: readonly DeviceRow[]): Promise<HourCount[]> => {
  const ids = devices.map((d) => d.id);
  const count = async (table: "sms_in" | "sms_out", column: "received_at" | "created_at") => {
    let q = ctx.db
      .selectFrom(`${table} as m` as "sms_in as m")
      .select([sql<Date>`date_trunc('hour', m.${sql.ref(column)}, 'UTC')`.as("hour"), sql<number>`count(*)::int`.as("n")])
      .where(sql<boolean>`m.${sql.ref(column)} > date_trunc('hour', now(), 'UTC') - interval '23 hours'`)
      .groupBy(sql`1`);
    if (!user.admin) q = q.where(sql<boolean>`m.iccid in (select iccid from sim_cards where device_id = any(${ids.length ? ids : [-1]}::int[]))`);
    return new Map((await q.execute()).map((r) => [new Date(r.hour).getTime(), r.n]));
  };
  const [received, sent] = await Promise.all([count("sms_in", "received_at"), count("sms_out", "created_at")]);
  const now = new Date();
  now.setUTCMinutes(0, 0, 0);
  return Array.from({ length: 24 }, (_, i) => {
    const hour = new Date(now.getTime() - (23 - i) * 3_600_000);
    return { hour, received: received.get(hour.getTime()) ?? 0, sent: sent.get(hour.getTime()) ?? 0 };
  });
};
