/** The audit log: who did what in the panel (or to users from the shell), when, on what. */
import type { Kysely } from "kysely";
import type { Database } from "../store/schema";

export interface AuditEntry {
  readonly user: string;
  readonly action: string;
  readonly address?: string | null;
  readonly device?: string | null;
  readonly position?: string | null;
  readonly iccid?: string | null;
  readonly detail?: Record<string, unknown>;
}

export const audit = async (db: Kysely<Database>, entry: AuditEntry): Promise<void> => {
  await db
    .insertInto("audit_log")
    .values({
      user_name: entry.user,
      action: entry.action,
      address: entry.address ?? null,
      device: entry.device ?? null,
      position: entry.position ?? null,
      iccid: entry.iccid ?? null,
      detail: JSON.stringify(entry.detail ?? {}),
    })
    .execute();
};

export interface AuditRow {
  readonly id: number;
  readonly at: Date;
  readonly user: string;
  readonly address: string | null;
  readonly action: string;
  readonly device: string | null;
  readonly position: string | null;
  readonly iccid: string | null;
  readonly detail: Record<string, unknown>;
}

/**
 * The audit log, newest first: `limit` entries before id `before` (keyset), optionally of one
 * user and of actions starting with `action` ("user." for every change to users).
 */
export const auditLog = async (db: Kysely<Database>, filter: { user?: string; action?: string; before?: number; limit: number }): Promise<{ rows: AuditRow[]; older: boolean }> => {
  let q = db.selectFrom("audit_log").selectAll();
  if (filter.user) q = q.where("user_name", "=", filter.user);
  if (filter.action) q = q.where("action", "like", `${filter.action.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  if (filter.before !== undefined) q = q.where("id", "<", filter.before);
  const rows = await q.orderBy("id", "desc").limit(filter.limit + 1).execute();
  return {
    older: rows.length > filter.limit,
    rows: rows.slice(0, filter.limit).map((r) => ({
      id: Number(r.id),
      at: r.at,
      user: r.user_name,
      address: r.address,
      action: r.action,
      device: r.device,
      position: r.position,
      iccid: r.iccid,
      detail: (r.detail ?? {}) as Record<string, unknown>,
    })),
  };
};
