import { describe, expect, it } from "@effect/vitest";
import { afterAll, beforeAll } from "vitest";
import { Context, Effect, Exit, Scope } from "effect";
import type { Kysely } from "kysely";
import type { Registry } from "../../src/devices/registry";
import { DeviceRegistry } from "../../src/devices/registry-service";
import { enqueueSms, runSmsSender } from "../../src/jobs/sms-sender";
import { openStore } from "../../src/store/database";
import type { Database } from "../../src/store/schema";
import { buildLayers, testRegistry } from "../support/layers";
import { useMigratedDatabase } from "../support/migrated-database";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy";

// A send that the modem accepted while the database went away: what happened on the modem
// is recorded once the database is back, not left to a lease (minutes) or lost. Only the
// sender's store is behind the proxy that is cut; the registry (the service's layer) keeps
// the database, so what is cut is the send's recording alone.
const store = useMigratedDatabase("simgate_sender_outage");
let proxy: TcpProxy;
let scope: Scope.CloseableScope;
let db: Kysely<Database>;
let direct: Kysely<Database>;
let registry: Registry;

beforeAll(async () => {
  direct = store.db();
  proxy = await startTcpProxy(store.url());
  scope = Effect.runSync(Scope.make());
  db = await Effect.runPromise(Scope.extend(openStore({ kind: "postgres", url: proxy.url }), scope));
  const built = await buildLayers(testRegistry(direct, [{ id: "pool", model: "pool", modems: "simulated", count: 1 }]), scope);
  registry = Context.get(built, DeviceRegistry);
  await registry.farm!.settled();
}, 60_000);
afterAll(async () => {
  if (scope) await Effect.runPromise(Scope.close(scope, Exit.void));
  await proxy?.close();
});

const row = (id: number) => direct.selectFrom("sms_out").select(["state", "outcome"]).where("id", "=", id).executeTakeFirstOrThrow();

describe("a send when the database goes away under it", () => {
  it.scopedLive("is recorded sent once the database is back, and sent once", () =>
    Effect.gen(function* () {
      const modem = registry.farm!.modem("pool-m01");
      yield* Effect.suspend(() => runSmsSender(db, registry, { pollMs: 20, host: "this-host" }));
      // The prompt comes late: the database is cut while the modem holds the message.
      modem.faults.overrideCommand({ command: "+CMGS=", delayMs: 1_500, times: 1 });
      const id = yield* enqueueSms(direct, { iccid: modem.sim!.iccid, to: "+15559000077", text: "sent while the database was away" });
      yield* Effect.promise(async () => {
        while ((await row(id)).state !== "sending") await new Promise((r) => setTimeout(r, 20));
      });
      yield* Effect.promise(() => proxy.cut());
      yield* Effect.sleep("3 seconds");
      yield* Effect.promise(() => proxy.restore());
      const done = yield* Effect.promise(async () => {
        const deadline = Date.now() + 20_000;
        for (;;) {
          const r = await row(id);
          if (r.state !== "sending" && r.state !== "queued") return r;
          if (Date.now() > deadline) return r;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      });
      expect(done).toEqual({ state: "sent", outcome: 1 });
      expect(registry.farm!.network.submitted.filter((s) => s.text === "sent while the database was away")).toHaveLength(1);
    }),
    40_000,
  );
});
