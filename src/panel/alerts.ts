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
  // Three independent reads at once: each round trip counts on a page refreshed live.
  const [failed, webhook, recent] = await Promise.all([
    ctx.db
      .selectFrom("holds")
      .select(["device", "position", "modem", "error", "updated_at"])
      .where("state", "=", "failed")
      .where("device", "in", keys.length ? keys : [""])
      .execute(),
    ctx.db
      .selectFrom("outbox")
      .select([sql<number>`count(*)::int`.as("n"), sql<string | null>`max(last_error)`.as("error"), sql<Date | null>`max(created_at)`.as("at")])
      .where("delivered_at", "is", null)
      .where("attempts", ">", 0)
      .where("user_id", "=", user.id)
      .executeTakeFirstOrThrow(),
    events.execute(),
  ]);
  const out: Alert[] = [];
  for (const f of failed) out.push({ kind: "switch-failed", device: f.device, modem: f.modem, detail: `${f.position}: ${f.error ?? "the switch failed"}`, at: f.updated_at });
  if (webhook.n > 0) out.push({ kind: "webhook-failing", device: null, modem: null, detail: `${webhook.n} waiting: ${webhook.error ?? "no answer"}`, at: webhook.at ?? new Date() });
  for (const e of recent) {
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

/**
 * A message is stored in a transaction stamped with its own start (now()), and such
 * transactions are short: an hour that ended this long ago gets no more messages, and its
 * counts are written down once (sms_hours, 0014) instead of counted at every refresh.
 */
const SETTLED_AFTER = "2 minutes";

/** Writes down the closed hours of the last day that are not yet: once an hour, by whichever page asks first. */
const rollUpClosedHours = async (ctx: PanelContext): Promise<void> => {
  const written = await sql<{ n: number }>`
    with wanted as (
      select generate_series(
        date_trunc('hour', now() - ${SETTLED_AFTER}::interval, 'UTC') - interval '23 hours',
        date_trunc('hour', now() - ${SETTLED_AFTER}::interval, 'UTC') - interval '1 hour',
        interval '1 hour') as hour
    ), missing as (
      select hour from wanted w where not exists (select 1 from sms_hours s where s.hour = w.hour and s.device_id = 0)
    ), span as (
      select min(hour) as first, max(hour) + interval '1 hour' as last from missing
    ), counted as (
      select date_trunc('hour', m.received_at, 'UTC') as hour, coalesce(c.device_id, 0) as device_id, 1 as received, 0 as sent
        from sms_in m left join sim_cards c on c.iccid = m.iccid, span
        where m.received_at >= span.first and m.received_at < span.last
      union all
      select date_trunc('hour', m.created_at, 'UTC'), coalesce(c.device_id, 0), 0, 1
        from sms_out m left join sim_cards c on c.iccid = m.iccid, span
        where m.created_at >= span.first and m.created_at < span.last
      union all
      -- Each hour written down gets its row for "no device", empty or not: the mark that it is done.
      select hour, 0, 0, 0 from missing
    ), inserted as (
      insert into sms_hours (hour, device_id, received, sent)
      select hour, device_id, sum(received), sum(sent) from counted where hour in (select hour from missing) group by 1, 2
      on conflict do nothing
      returning 1
    )
    select count(*)::int as n from inserted`.execute(ctx.db);
  if ((written.rows[0]?.n ?? 0) > 0) await ctx.db.deleteFrom("sms_hours").where(sql<boolean>`hour < now() - interval '2 days'`).execute();
};

/** Messages in and out per hour over the last 24 hours, on the user's devices' cards. */
export const messagesPerHour = async (ctx: PanelContext, user: Viewer, devices: readonly DeviceRow[]): Promise<HourCount[]> => {
  const ids = devices.map((d) => d.id);
  // The closed hours from their rows; the hour still open (and one just closed) from the messages.
  const open = sql<Date>`date_trunc('hour', now() - ${SETTLED_AFTER}::interval, 'UTC')`;
  let closed = ctx.db
    .selectFrom("sms_hours")
    .select(["hour", sql<number>`sum(received)::int`.as("received"), sql<number>`sum(sent)::int`.as("sent")])
    .where(sql<boolean>`hour >= date_trunc('hour', now(), 'UTC') - interval '23 hours'`)
    .where(sql<boolean>`hour < ${open}`)
    .groupBy("hour");
  if (!user.admin) closed = closed.where("device_id", "in", ids.length ? ids : [-1]);
  const count = async (table: "sms_in" | "sms_out", column: "received_at" | "created_at") => {
    let q = ctx.db
      .selectFrom(`${table} as m` as "sms_in as m")
      .select([sql<Date>`date_trunc('hour', m.${sql.ref(column)}, 'UTC')`.as("hour"), sql<number>`count(*)::int`.as("n")])
      .where(sql<boolean>`m.${sql.ref(column)} >= ${open}`)
      .groupBy(sql`1`);
    if (!user.admin) q = q.where(sql<boolean>`m.iccid in (select iccid from sim_cards where device_id = any(${ids.length ? ids : [-1]}::int[]))`);
    return new Map((await q.execute()).map((r) => [new Date(r.hour).getTime(), r.n]));
  };
  // The open hour is counted while the closed ones are written down (when one is missing) and read.
  const [rolled, received, sent] = await Promise.all([
    rollUpClosedHours(ctx).then(() => closed.execute()),
    count("sms_in", "received_at"),
    count("sms_out", "created_at"),
  ]);
  // An hour written down wins over the live count of it: at two minutes past an hour the
  // statements may see the boundary on either side, and the hour must not count twice.
  for (const r of rolled) {
    const at = new Date(r.hour).getTime();
    received.set(at, r.received);
    sent.set(at, r.sent);
  }
  const now = new Date();
  now.setUTCMinutes(0, 0, 0);
  return Array.from({ length: 24 }, (_, i) => {
    const hour = new Date(now.getTime() - (23 - i) * 3_600_000);
    return { hour, received: received.get(hour.getTime()) ?? 0, sent: sent.get(hour.getTime()) ?? 0 };
  });
};
