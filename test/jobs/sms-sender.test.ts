import { describe, expect, it } from "@effect/vitest";
import { afterAll, beforeAll } from "vitest";
import { Effect, Exit, Scope } from "effect";
import { sql, type Kysely } from "kysely";
import { throwawayDatabase } from "../support/postgres";
import { parseConfig } from "../../src/config/config";
import { startRegistry, type Registry } from "../../src/devices/registry";
import { enqueueSms, runSmsSender } from "../../src/jobs/sms-sender";
import { migrate, openStore } from "../../src/store/database";
import type { Database } from "../../src/store/schema";

// Outgoing SMS as jobs, on the PostgreSQL server, through a simulated pool's supervised actors.
let database: Awaited<ReturnType<typeof throwawayDatabase>>;
let scope: Scope.CloseableScope;
let db: Kysely<Database>;
let registry: Registry;

beforeAll(async () => {
  database = await throwawayDatabase("simgate_jobs");
  scope = Effect.runSync(Scope.make());
  const config = parseConfig({ devices: [{ id: "pool", model: "pool", modems: "simulated", count: 4 }], demo: { smsEveryMs: 0, timing: "instant" } }, {}, "test");
  db = await Effect.runPromise(Scope.extend(openStore({ kind: "postgres", url: database.url }), scope));
  await Effect.runPromise(migrate(db));
  registry = await Effect.runPromise(Scope.extend(startRegistry(config, db), scope));
  await registry.farm!.settled();
}, 60_000);
afterAll(async () => {
  if (scope) await Effect.runPromise(Scope.close(scope, Exit.void));
  await database?.drop();
});

const modem = (n: number) => registry.farm!.modem(`pool-m0${n}`);
const sms = (id: number) => Effect.promise(() => db.selectFrom("sms_out").selectAll().where("id", "=", id).executeTakeFirstOrThrow());
const untilState = (id: number, done: (s: { state: string; outcome: number | null }) => boolean, timeoutMs = 10_000) =>
  Effect.gen(function* () {
    for (;;) {
      const row = yield* sms(id);
      if (done(row)) return row;
      yield* Effect.sleep(20);
    }
  }).pipe(Effect.timeoutFail({ duration: timeoutMs, onTimeout: () => new Error(`sms ${id} never got there`) }));
const startSender = () => Effect.suspend(() => runSmsSender(db, registry, { pollMs: 20, retryBaseMs: 50 }));

describe("outgoing SMS jobs", () => {
  it.scopedLive("a long message is sent through the modem holding the card, its parts recorded, then delivered", () =>
    Effect.gen(function* () {
      yield* startSender();
      const text = `${"A message in two parts. ".repeat(8)}The end.`;
      const id = yield* enqueueSms(db, { iccid: modem(1).sim!.iccid, to: "+15559000001", text, statusReport: true });
      const row = yield* untilState(id, (s) => s.outcome === 2);
      expect(row.state).toBe("delivered");
      expect(registry.farm!.network.submitted.at(-1)).toMatchObject({ to: "+15559000001", text, parts: 2 });
      const parts = yield* Effect.promise(() => db.selectFrom("sms_out_parts").selectAll().where("sms_id", "=", id).orderBy("seq").execute());
      expect(parts.map((p) => [p.seq, Number.isInteger(p.mr), p.report_status])).toEqual([
        [1, true, 0],
        [2, true, 0],
      ]);
    }),
  );

  it.scopedLive("a retryable modem error (+CMS ERROR: 500) is tried again; a final one fails with its code", () =>
    Effect.gen(function* () {
      yield* startSender();
      modem(2).faults.failSend(1, 500);
      const retried = yield* enqueueSms(db, { iccid: modem(2).sim!.iccid, to: "+15559000002", text: "second time lucky" });
      expect((yield* untilState(retried, (s) => s.state === "sent")).outcome).toBe(1);
      const attempts = yield* Effect.promise(() =>
        db.selectFrom("jobs").select(["attempts", "last_error"]).where(sql<boolean>`payload @> ${JSON.stringify({ smsId: retried })}::jsonb`).executeTakeFirstOrThrow(),
      );
      expect(attempts.attempts).toBe(2);
      expect(attempts.last_error).toContain("+CMS ERROR: 500");
      modem(2).faults.failSend(1, 304);
      const failed = yield* enqueueSms(db, { iccid: modem(2).sim!.iccid, to: "+15559000002", text: "refused" });
      const row = yield* untilState(failed, (s) => s.state === "failed");
      expect([row.outcome, row.modem_error]).toEqual([0, 304]);
      expect(row.error).toContain("+CMS ERROR: 304");
    }),
  );

  it.scopedLive("a message waits while its card is in no modem, and goes once the card is back", () =>
    Effect.gen(function* () {
      yield* startSender();
      const m = modem(3);
      const sim = m.sim!;
      m.setSim(null);
      const id = yield* enqueueSms(db, { iccid: sim.iccid, to: "+15559000003", text: "waited for the card" });
      yield* Effect.sleep(200);
      expect((yield* sms(id)).state).toBe("queued");
      m.setSim(sim);
      expect((yield* untilState(id, (s) => s.state === "sent")).outcome).toBe(1);
    }),
  );

  it.scopedLive("jobs survive a restart: accepted while no sender runs, sent when one starts", () =>
    Effect.gen(function* () {
      const id = yield* enqueueSms(db, { iccid: modem(4).sim!.iccid, to: "+15559000004", text: "accepted before the start" });
      yield* Effect.sleep(100);
      expect((yield* sms(id)).state).toBe("queued");
      yield* startSender();
      expect((yield* untilState(id, (s) => s.state === "sent")).outcome).toBe(1);
    }),
  );

  it.scopedLive("a hung modem delays only its own messages", () =>
    Effect.gen(function* () {
      yield* startSender();
      modem(1).faults.hanging = true;
      const stuck = yield* enqueueSms(db, { iccid: modem(1).sim!.iccid, to: "+15559000005", text: "behind a hung modem" });
      const other = yield* enqueueSms(db, { iccid: modem(4).sim!.iccid, to: "+15559000006", text: "not blocked" });
      expect((yield* untilState(other, (s) => s.state === "sent")).outcome).toBe(1);
      expect(["queued", "sending"]).toContain((yield* sms(stuck)).state);
      modem(1).faults.hanging = false;
    }),
  );
});
