/** What the panel's pages are built from: the same services the APIs use. */
import { Runtime, type Effect } from "effect";
import type { Kysely } from "kysely";
import type { Directory } from "../cards/card-directory";
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
  /**
   * The service's runtime (its logger and log level): effects a page runs log as the rest of
   * the service does. Effect's default runtime when not given (tests).
   */
  readonly runtime?: Runtime.Runtime<never>;
  /** Where cards are, who holds them and how they are (the service's CardDirectory). */
  readonly directory: Directory;
}

/** What the panel is started with: the service passes its CardDirectory; a test may leave it to be built from the rest. */
export type PanelSetup = Omit<PanelContext, "directory"> & { readonly directory?: Directory };

/** Runs an effect of the services for a page, in the service's runtime. */
export const runIn =
  (ctx: PanelContext) =>
  <A, E>(effect: Effect.Effect<A, E>): Promise<A> =>
    Runtime.runPromise(ctx.runtime ?? Runtime.defaultRuntime)(effect);
