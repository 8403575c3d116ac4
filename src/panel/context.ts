/** What the panel's pages are built from: the same services the APIs use. */
import type { Kysely } from "kysely";
import type { Registry } from "../devices/registry";
import type { ServiceScheduler } from "../scheduler/farm-scheduler";
import type { Database } from "../store/schema";

export interface PanelContext {
  readonly db: Kysely<Database>;
  readonly registry: Registry;
  readonly scheduler: ServiceScheduler;
  /** A host whose heartbeat is older is taken for dead (its modems read as off). */
  readonly hostTtlMs: number;
  /** This host's name, shown next to the modems it drives. */
  readonly host: string;
}
