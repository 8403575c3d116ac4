import { describe, expect, it } from "@effect/vitest";
import { afterAll, beforeAll } from "vitest";
import { Context, Effect, Exit, Option, Scope, SubscriptionRef } from "effect";
import { sql, type Kysely } from "kysely";
import type { Registry } from "../../src/devices/registry";
import { DeviceRegistry } from "../../src/devices/registry-service";
import { enqueueSms, runSmsSender } from "../../src/jobs/sms-sender";
import { awaitHolder } from "../../src/devices/card-holder";
import { recordCalls, runUssd } from "../../src/jobs/calls-and-ussd";
import { buildStatusReport } from "../../hil/network/pdu-builder";
import type { Database } from "../../src/store/schema";
import type { CardSwitcher } from "../../src/scheduler/card-switcher";
import { until } from "../support/service-process";
import { buildLayers, testRegistry } from "../support/layers";
import { useMigratedDatabase } from "../support/migrated-database";

// Outgoing SMS as jobs, on the PostgreSQL server, through a simulated pool's supervised actors
// (the service's registry layer; each test starts the sender with its own timings).
const store = useMigratedDatabase("simgate_jobs");
let scope: Scope.CloseableScope;
let db: Kysely<Database>;
let registry: Registry;

beforeAll(async () => {
  db = store.db();
  scope = Effect.runSync(Scope.make());
  const built = await buildLayers(testRegistry(db, [{ id: "pool", model: "pool", modems: "simulated", count: 4 }]), scope);
  registry = Context.get(built, DeviceRegistry);
  await registry.farm!.settled();
}, 60_000);
afterAll(async () => {
  if (scope) await Effect.runPromise(Scope.close(scope, Exit.void));
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

describe("status reports", () => {
  it.scopedLive("a report that comes after the sender restarted still marks the message delivered; one that matches nothing is kept", () =>
    Effect.gen(function* () {
      const m = modem(3);
      // Sent by one sender, which then stops (a restart of the service).
      const first = yield* Scope.make();
      yield* Scope.extend(startSender(), first);
      const id = yield* enqueueSms(db, { iccid: m.sim!.iccid, to: "+15559000033", text: "report me later" });
      yield* untilState(id, (s) => s.state === "sent");
      yield* Scope.close(first, Exit.void);
      const [part] = yield* Effect.promise(() => db.selectFrom("sms_out_parts").select(["mr"]).where("sms_id", "=", id).execute());
      yield* startSender();
      // The SMSC's report comes late, to a sender that never saw the send.
      const report = (mr: number, to: string) =>
        buildStatusReport({ smsc: "+15550000000", mr, recipient: to, submittedAt: new Date(), dischargedAt: new Date(), offsetMinutes: 0, status: 0 });
      m.deliverStatusReport(report(part!.mr!, "+15559000033"));
      expect((yield* untilState(id, (s) => s.outcome === 2)).state).toBe("delivered");
      // A report for nothing simgate sent: kept, with its event.
      const stray = (part!.mr! + 7) & 0xff;
      m.deliverStatusReport(report(stray, "+15559000077"));
      const kept = yield* Effect.promise(async () => {
        for (;;) {
          const row = await db.selectFrom("sms_reports").selectAll().where("mr", "=", stray).executeTakeFirst();
          if (row) return row;
          await new Promise((r) => setTimeout(r, 20));
        }
      }).pipe(Effect.timeout(10_000));
      expect(kept).toMatchObject({ iccid: m.sim!.iccid, recipient: "+15559000077", sms_id: null, status: 0 });
      const events = yield* Effect.promise(() => db.selectFrom("events").select(["type", "payload"]).where("type", "=", "smsReportUnmatched").execute());
      expect(events.map((e) => e.payload)).toContainEqual(expect.objectContaining({ mr: stray, recipient: "+15559000077" }));
    }),
  );

  it.scopedLive("a message that waited for its card keeps its retries: only attempts on the modem count", () =>
    Effect.gen(function* () {
      yield* Effect.suspend(() => runSmsSender(db, registry, { pollMs: 20, retryBaseMs: 50, cardAwaitMs: 30 }));
      const m = modem(2);
      const card = m.sim!;
      m.setSim(null);
      const id = yield* enqueueSms(db, { iccid: card.iccid, to: "+15559000022", text: "after a long wait" });
      // Many rounds of looking for the card (each gives the job back to the queue).
      yield* Effect.sleep("1500 millis");
      expect((yield* sms(id)).state).toBe("queued");
      m.faults.failSend(1, 500);
      m.setSim(card);
      const row = yield* untilState(id, (s) => s.state === "sent" || s.state === "failed");
      expect(row.state).toBe("sent");
      const job = yield* Effect.promise(() =>
        db.selectFrom("jobs").select(["attempts"]).where(sql<boolean>`payload @> ${JSON.stringify({ smsId: id })}::jsonb`).executeTakeFirstOrThrow(),
      );
      expect(job.attempts).toBe(2);
    }),
  );

  it.scopedLive("a reference that wrapped around goes to the newest part sent with it", () =>
    Effect.gen(function* () {
      yield* startSender();
      const m = modem(4);
      m.nextMr = 9;
      const older = yield* enqueueSms(db, { iccid: m.sim!.iccid, to: "+15559000044", text: "older with reference 9" });
      yield* untilState(older, (s) => s.state === "sent");
      m.nextMr = 9;
      const newer = yield* enqueueSms(db, { iccid: m.sim!.iccid, to: "+15559000044", text: "newer with reference 9" });
      yield* untilState(newer, (s) => s.state === "sent");
      m.deliverStatusReport(buildStatusReport({ smsc: "+15550000000", mr: 9, recipient: "+15559000044", submittedAt: new Date(), dischargedAt: new Date(), offsetMinutes: 0, status: 0 }));
      yield* untilState(newer, (s) => s.outcome === 2);
      expect((yield* sms(older)).outcome).toBe(1);
    }),
  );
});

describe("a send the modem accepted without a reference", () => {
  it.scopedLive("is sent, and says its delivery report cannot be matched", () =>
    Effect.gen(function* () {
      yield* startSender();
      const m = modem(4);
      m.faults.sendsWithoutReference = 1;
      const id = yield* enqueueSms(db, { iccid: m.sim!.iccid, to: "+15559000066", text: "no reference came back", statusReport: true });
      const row = yield* untilState(id, (s) => s.state !== "queued" && s.state !== "sending");
      expect(row).toMatchObject({ state: "sent-without-reference", outcome: 1 });
      expect((yield* sms(id)).error).toBe("the modem accepted part 1 without a message reference: no delivery report can be matched to it");
      expect(registry.farm!.network.submitted.filter((s) => s.text === "no reference came back")).toHaveLength(1);
    }),
  );
});

describe("a send cut off before the modem answered", () => {
  /** A message whose part 1 was handed to the modem by a host that then died. */
  const cutOff = (iccid: string, text: string) =>
    Effect.gen(function* () {
      const id = yield* enqueueSms(db, { iccid, to: "+15559000055", text });
      yield* Effect.promise(() => db.insertInto("sms_submits").values({ sms_id: id, seq: 1, host: "gone-host" }).execute());
      return id;
    });
  const sentTexts = (text: string) => registry.farm!.network.submitted.filter((s) => s.text === text).length;

  it.scopedLive("is not sent again: it is unknown, and says why", () =>
    Effect.gen(function* () {
      yield* Effect.suspend(() => runSmsSender(db, registry, { pollMs: 20, retryBaseMs: 50, host: "this-host" }));
      const id = yield* cutOff(modem(1).sim!.iccid, "maybe sent already");
      const row = yield* untilState(id, (s) => s.state !== "queued" && s.state !== "sending");
      expect(row).toMatchObject({ state: "unknown", outcome: null });
      expect((yield* sms(id)).error).toMatch(/part 1 was handed to the modem .* by host gone-host .* it may have gone out; not sent again/);
      yield* Effect.sleep("300 millis");
      expect(sentTexts("maybe sent already")).toBe(0);
    }),
  );

  it.scopedLive("lets its card go: the hold its job took before the cut stops pinning the card once the message is unknown", () =>
    Effect.gen(function* () {
      const holds = new Map<string, Set<string>>();
      const switcher: CardSwitcher = {
        request: (iccid, holder) => Effect.sync(() => void (holds.get(iccid) ?? holds.set(iccid, new Set()).get(iccid)!).add(holder)).pipe(Effect.as("held" as const)),
        release: (iccid, holder) => Effect.sync(() => void holds.get(iccid)?.delete(holder)),
        leased: () => Effect.succeed(null),
        switchFailed: () => Effect.succeed(null),
      };
      const iccid = modem(1).sim!.iccid;
      const id = yield* cutOff(iccid, "unknown, and its card free again");
      // The run that was cut off had taken its hold (holds are rows: it outlived that host).
      yield* switcher.request(iccid, `sms-out:${id}`);
      yield* Effect.suspend(() => runSmsSender(db, registry, { pollMs: 20, retryBaseMs: 50, host: "this-host", switcher }));
      yield* untilState(id, (s) => s.state === "unknown");
      const job = () => db.selectFrom("jobs").select("state").where(sql<boolean>`payload @> ${JSON.stringify({ smsId: id })}::jsonb`).executeTakeFirstOrThrow();
      yield* Effect.promise(() => until(job, (j) => j.state === "done", "the job done"));
      expect([...(holds.get(iccid) ?? [])]).toEqual([]);
    }),
  );

  it.scopedLive("is sent again once, after the configured wait, when no report said it was delivered", () =>
    Effect.gen(function* () {
      yield* Effect.suspend(() => runSmsSender(db, registry, { pollMs: 20, retryBaseMs: 50, host: "this-host", resendUnknownAfterMs: 400 }));
      const id = yield* cutOff(modem(1).sim!.iccid, "sent again after a wait");
      yield* untilState(id, (s) => s.state === "unknown");
      expect(sentTexts("sent again after a wait")).toBe(0);
      yield* untilState(id, (s) => s.state === "sent");
      expect(sentTexts("sent again after a wait")).toBe(1);
      const records = yield* Effect.promise(() => db.selectFrom("sms_submits").select(["seq", "host", "mr"]).where("sms_id", "=", id).execute());
      expect(records).toEqual([{ seq: 1, host: "this-host", mr: expect.any(Number) }]);
    }),
  );
});

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

  it.scopedLive("a card swapped without a word from the modem is caught before the send: nothing goes out from the card that came in", () =>
    Effect.gen(function* () {
      yield* Effect.suspend(() => runSmsSender(db, registry, { pollMs: 20, retryBaseMs: 50 }));
      const m = modem(4);
      const asked = m.sim!;
      const network = registry.farm!.network;
      const stranger = network.addSim({ iccid: "8900199000000000017", imsi: "001019900000001", number: "+15559900001", operator: asked.spec.operator });
      // The actor has read the card the message asks for.
      yield* awaitHolder(registry, asked.iccid, 10_000).pipe(Effect.flatMap(Option.match({ onNone: () => Effect.die("the card never came up"), onSome: () => Effect.void })));
      m.faults.silentSimChange = true;
      m.setSim(stranger);
      const id = yield* enqueueSms(db, { iccid: asked.iccid, to: "+15559000044", text: "only from the card asked for" });
      const job = () => db.selectFrom("jobs").select(["last_error", "attempts"]).where(sql<boolean>`payload @> ${JSON.stringify({ smsId: id })}::jsonb`).executeTakeFirstOrThrow();
      const waiting = yield* Effect.promise(() => until(job, (j) => (j.last_error ?? "").includes("is no longer in this modem"), "the job told the card changed", 10_000));
      expect(waiting.last_error).toBe(`card ${asked.iccid} is no longer in this modem (it holds ${stranger.iccid}): nothing was sent`);
      expect(waiting.attempts).toBe(0);
      expect(network.submitted.filter((s) => s.text === "only from the card asked for")).toEqual([]);
      // The card comes back (as silently): it is read again, and the message goes out from it.
      m.setSim(asked);
      const actor = yield* Effect.flatMap(SubscriptionRef.get(registry.modems.find((r) => r.position === 4)!.supervised.actor), (a) => a);
      yield* actor.refreshSim;
      yield* untilState(id, (s) => s.state === "sent");
      m.faults.silentSimChange = false;
      expect(network.submitted.filter((s) => s.text === "only from the card asked for").map((s) => s.fromIccid)).toEqual([asked.iccid]);
    }),
    20_000,
  );

  it.scopedLive("a long message whose second part failed is completed, not sent again from the start: part 1 goes out once", () =>
    Effect.gen(function* () {
      yield* Effect.suspend(() => runSmsSender(db, registry, { pollMs: 20, retryBaseMs: 50, host: "this-host" }));
      const m = modem(3);
      const text = `${"Three parts, and the second one fails the first time. ".repeat(6)}End.`;
      const before = m.log.length;
      m.faults.failSend(2, 500);
      const id = yield* enqueueSms(db, { iccid: m.sim!.iccid, to: "+15559000066", text });
      yield* untilState(id, (s) => s.state === "sent");
      const submits = m.log.slice(before).filter((e) => e.dir === "in" && /^AT\+CMGS=/i.test(e.text));
      // Part 1, part 2 refused, then parts 2 and 3: four submits, not five.
      expect(submits).toHaveLength(4);
      const got = registry.farm!.network.submitted.filter((s) => s.text === text);
      expect(got).toHaveLength(1);
      expect(got[0]).toMatchObject({ parts: 3, missing: [] });
      const parts = yield* Effect.promise(() => db.selectFrom("sms_out_parts").select(["seq"]).where("sms_id", "=", id).orderBy("seq").execute());
      expect(parts.map((p) => p.seq)).toEqual([1, 2, 3]);
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

describe("calls and USSD in the store", () => {
  it.scopedLive("a call into a card is recorded, one row updated from ringing to its end", () =>
    Effect.gen(function* () {
      yield* recordCalls(db, registry);
      const m = modem(2);
      registry.farm!.network.callSim({ to: m.sim!.number, from: "+15550003030", ringForMs: 100 });
      const row = yield* Effect.gen(function* () {
        for (;;) {
          const rows = yield* Effect.promise(() => db.selectFrom("calls").selectAll().where("iccid", "=", m.sim!.iccid).execute());
          if (rows.length === 1 && rows[0]!.state === "ended") return rows[0]!;
          yield* Effect.sleep(20);
        }
      }).pipe(Effect.timeoutFail({ duration: 8000, onTimeout: () => new Error("no ended call row") }));
      expect(row).toMatchObject({ direction: "incoming", number: "+15550003030", end_reason: "no-carrier", answered_at: null });
      expect(row.ended_at!.getTime()).toBeGreaterThanOrEqual(row.started_at.getTime());
    }),
  );

  it.scopedLive("a USSD exchange is recorded with its decoded reply and raw payload; a card in no modem is refused", () =>
    Effect.gen(function* () {
      const m = modem(4);
      const result = yield* runUssd(db, registry, m.sim!.iccid, "*100#");
      expect(result.reply?.text).toBe(`Balance: ${m.sim!.balance.toFixed(2)} ${registry.farm!.network.operatorOf(m.sim!).currency}`);
      const row = yield* Effect.promise(() => db.selectFrom("ussd").selectAll().where("id", "=", result.id).executeTakeFirstOrThrow());
      expect(row).toMatchObject({ iccid: m.sim!.iccid, request: "*100#", reply: result.reply!.text, raw: result.reply!.raw, status: "done" });
      expect((yield* runUssd(db, registry, "8900000000000000000", "*100#").pipe(Effect.flip))._tag).toBe("CardNotOnline");
    }),
  );
});
