/**
 * The console leases standing on modems (0023's console_leases), as the device grid, the
 * dashboard and the console page show them: who holds a modem and until when.
 */
import { sql } from "kysely";
import type { PanelContext } from "./context";

/** A console lease as the pages show it. */
export interface LeaseView {
  readonly holder: string;
  readonly until: Date;
}

export const leaseKey = (device: string, modem: number): string => `${device}#${modem}`;

/**
 * The leases standing now on these devices' modems, by `device#modem`. A row whose time is up
 * is no lease (it stays until someone takes the modem over), so it is judged by the database's
 * clock, as the service judges it.
 */
export const consoleLeases = async (ctx: PanelContext, devices: readonly string[]): Promise<Map<string, LeaseView>> => {
  if (devices.length === 0) return new Map();
  const rows = await ctx.db
    .selectFrom("console_leases")
    .select(["device", "modem", "holder", "expires_at"])
    .where("device", "in", [...new Set(devices)])
    .where(sql<boolean>`expires_at > now()`)
    .execute();
  return new Map(rows.map((r) => [leaseKey(r.device, r.modem), { holder: r.holder, until: new Date(r.expires_at) }]));
};
