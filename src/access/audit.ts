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
