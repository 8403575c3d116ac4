/**
 * The service as its layers compose it (src/app/service-layers.ts), with the store swapped
 * for a throwaway database and a configuration of simulated devices: the HTTP server, the
 * workers and the services answer together, and closing the composition stops them all. A
 * second composition on the same database, with its own host layer, shows the host's claim
 * refusing a device that a live host drives.
 */
import { Context, Effect, Exit, Layer, Option, Scope } from "effect";
import type { Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HttpAddress } from "../../src/app/http-layer";
import { serviceLayers } from "../../src/app/service-layers";
import { CardDirectory } from "../../src/cards/card-directory";
import { AppConfig } from "../../src/config/app-config";
import { ConfigError, parseConfig } from "../../src/config/config";
import { DeviceRegistry } from "../../src/devices/registry-service";
import { EventLog } from "../../src/events/event-log-service";
import { ThisHost } from "../../src/hosts/this-host";
import { JobQueue } from "../../src/jobs/job-queue-service";
import { migrate, openStore } from "../../src/store/database";
import type { Database } from "../../src/store/schema";
import { Store } from "../../src/store/store-service";
import { throwawayDatabase } from "../support/postgres";

let database: { url: string; drop: () => Promise<void> };
let dbScope: Scope.CloseableScope;
let db: Kysely<Database>;

const configOf = (device: string) =>
  parseConfig({ http: { host: "127.0.0.1", port: 0 }, devices: [{ id: device, model: "pool", modems: "simulated", count: 2 }], demo: { smsEveryMs: 0, timing: "instant" } }, {}, "test");

/** The whole service over the test's database; `host` names this composition's host. */
const composed = (host: string, device: string) =>
  serviceLayers({ store: Store.layerOf(db), host: ThisHost.claiming({ id: host, version: "test", ttlMs: 30_000 }) }).pipe(
    Layer.provide(AppConfig.layerOf({ config: configOf(device), source: "test", version: "test" })),
  );

/** Retries an async check until it passes or `timeoutMs` runs out (then its last failure is thrown). */
const eventually = async (check: () => Promise<void>, timeoutMs: number): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
};

beforeAll(async () => {
  database = await throwawayDatabase("simgate_layers");
  dbScope = Effect.runSync(Scope.make());
  db = await Effect.runPromise(Scope.extend(openStore({ kind: "postgres", url: database.url }), dbScope));
  await Effect.runPromise(migrate(db));
}, 60_000);
afterAll(async () => {
  if (dbScope) await Effect.runPromise(Scope.close(dbScope, Exit.void));
  await database?.drop();
});

describe("the service's layers", () => {
  it("compose into a running service: an SMS accepted through the job queue goes out, one sent to a card is stored, and closing stops the server", async () => {
    const scope = Effect.runSync(Scope.make());
    const built = await Effect.runPromise(Layer.buildWithScope(composed("layers-a", "lay"), scope));
    const { url } = Context.get(built, HttpAddress);
    const registry = Context.get(built, DeviceRegistry);
    expect(Context.get(built, ThisHost).id).toBe("layers-a");
    await registry.farm!.settled();
    const status = await fetch(`${url}/status`);
    expect(status.status).toBe(200);

    // Outbound: the JobQueue service's row is taken by the SmsSender layer's worker.
    const modem = registry.farm!.modem("lay-m01");
    const iccid = modem.sim!.iccid;
    const directory = Context.get(built, CardDirectory);
    const where = await Effect.runPromise(directory.whereIs(iccid));
    expect(where).toMatchObject({ kind: "here", device: "lay", modem: 1 });
    const id = await Effect.runPromise(Context.get(built, JobQueue).sendSms({ iccid, to: "+15559000101", text: "through the layers" }));
    await eventually(async () => {
      const row = await db.selectFrom("sms_out").select(["state"]).where("id", "=", id).executeTakeFirstOrThrow();
      expect(row.state).toBe("sent");
    }, 15_000);
    expect(registry.farm!.network.submitted.filter((s) => s.text === "through the layers")).toHaveLength(1);

    // Inbound: the simulator (served by the HTTP layer) sends to the card; the registry's actor stores it.
    const posted = await fetch(`${url}/sim/sms`, { method: "POST", body: JSON.stringify({ to: modem.sim!.number, from: "LayerBank", text: "code 7731" }) });
    expect(posted.status).toBeLessThan(300);
    await eventually(async () => {
      const rows = await db.selectFrom("sms_in").select(["text", "iccid"]).where("sender", "=", "LayerBank").execute();
      expect(rows).toEqual([{ text: "code 7731", iccid }]);
    }, 15_000);
    // The event log service reads what the recorders wrote.
    const page = await Effect.runPromise(Context.get(built, EventLog).page({ type: "smsReceived", devices: null }, { limit: 10 }));
    expect(page.rows.length).toBeGreaterThan(0);

    await Effect.runPromise(Scope.close(scope, Exit.void));
    await expect(fetch(`${url}/status`)).rejects.toThrow();
  }, 60_000);

  it("a second host's composition on the same database is refused the devices a live host drives, naming it", async () => {
    const first = Effect.runSync(Scope.make());
    await Effect.runPromise(Layer.buildWithScope(composed("layers-b", "lay2"), first));
    try {
      const second = Effect.runSync(Scope.make());
      const outcome = await Effect.runPromise(Effect.either(Layer.buildWithScope(composed("layers-c", "lay2"), second)));
      await Effect.runPromise(Scope.close(second, Exit.void));
      expect(outcome._tag).toBe("Left");
      const error = Option.getOrThrow(Option.fromNullable(outcome._tag === "Left" ? outcome.left : null));
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toMatch(/layers-b/);
    } finally {
      await Effect.runPromise(Scope.close(first, Exit.void));
    }
  }, 60_000);
});
