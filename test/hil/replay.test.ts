import { describe, expect, it } from "@effect/vitest";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach } from "vitest";
import { Effect, SubscriptionRef } from "effect";
import { makeModemActor } from "../../drivers/modem/modem-actor";
import { bringUp } from "../../drivers/modem/bring-up";
import { parseTranscript, ReplayModem, type Transcript } from "../../hil/modem/replay";
import { AtSession } from "../support/at-session";
import { Duplex } from "node:stream";
import { portTo } from "../drivers/sim-line";

// The replay personality: a modem that answers from a recorded transcript, and bring-up on
// each transcript under test/fixtures/transcripts (issue 18: modems no one here wrote).
const DIR = join(import.meta.dirname, "..", "fixtures", "transcripts");
const transcripts = readdirSync(DIR)
  .filter((f) => f.endsWith(".json"))
  .map((f) => parseTranscript(JSON.parse(readFileSync(join(DIR, f), "utf8")), f));

const live: ReplayModem[] = [];
afterEach(() => {
  for (const m of live.splice(0)) m.stop();
});
const replay = (t: Transcript) => {
  const m = new ReplayModem(t);
  live.push(m);
  return m;
};

/** A test session over an in-memory line to a replay modem. */
const sessionTo = (m: ReplayModem) => {
  let detach = () => {};
  const stream = new Duplex({ read() {}, write(chunk: Buffer, _e, cb) { m.input(chunk); cb(); } });
  detach = m.attachHost((bytes) => stream.push(bytes));
  void detach;
  return new AtSession(stream);
};

const tiny: Transcript = {
  name: "tiny",
  description: "two answers to +CSQ, an unsolicited line after the first, a boot line",
  source: "test",
  entries: [
    { urc: "\r\nRDY\r\n" },
    { command: "AT+CSQ", reply: "\r\n+CSQ: 10,99\r\n\r\nOK\r\n" },
    { urc: "\r\n+CMTI: \"SM\",1\r\n" },
    { command: "AT+CSQ", reply: "\r\n+CSQ: 11,99\r\n\r\nOK\r\n", delayMs: 50 },
  ],
};

describe("replay personality", () => {
  it("answers from the transcript in order, repeats the last answer, keeps unsolicited lines where they fell, echoes per ATE", async () => {
    const m = replay(tiny);
    const s = sessionTo(m);
    await s.waitForLine(/RDY/);
    expect(await s.command("AT+CSQ")).toBe("AT+CSQ\r\r\n+CSQ: 10,99\r\n\r\nOK\r\n");
    await s.waitForLine(/\+CMTI: "SM",1/);
    expect(await s.command("ATE0")).toBe("ATE0\r\r\nOK\r\n");
    expect(await s.info("AT+CSQ")).toEqual(["+CSQ: 11,99"]);
    expect(await s.info("AT+CSQ")).toEqual(["+CSQ: 11,99"]);
    expect(await s.command("AT+CGMI")).toBe("\r\nERROR\r\n");
    expect(m.received()).toEqual(["AT+CSQ", "ATE0", "AT+CSQ", "AT+CSQ", "AT+CGMI"]);
  });

  it("refuses a malformed transcript, naming the place", () => {
    expect(() => parseTranscript({ name: "x", description: "y", source: "z", entries: [{ command: "CSQ", reply: "" }] }, "bad.json")).toThrow(
      "bad.json.entries[0].command: must start with AT",
    );
    expect(() => parseTranscript({ name: "x", description: "y", source: "z", entries: [{ reply: "" }] }, "bad.json")).toThrow(/needs either/);
  });

  it("every transcript names its source", () => {
    expect(transcripts.length).toBeGreaterThanOrEqual(3);
    for (const t of transcripts) expect(t.source.length).toBeGreaterThan(20);
  });
});

describe("bring-up on recorded transcripts", () => {
  for (const t of transcripts)
    it.scopedLive(`${t.name}: ${t.description.slice(0, 60)}...`, () =>
      Effect.gen(function* () {
        const expected = t.expected as {
          identity: Record<string, string>;
          sim: Record<string, string>;
          registration: string;
          operator: string;
          profile: string;
          quickQueryMs: number;
        };
        const port = yield* portTo(replay(t), { timeouts: { query: expected.quickQueryMs } });
        const up = yield* bringUp(port, { attempts: 2, timeoutMs: 500 });
        expect(up.snapshot.identity).toMatchObject(expected.identity);
        expect(up.snapshot.sim).toMatchObject(expected.sim);
        expect(up.snapshot.registration).toBe(expected.registration);
        expect(up.snapshot.operator).toBe(expected.operator);
        expect(up.profile.name).toBe(expected.profile);
      }),
    );

  for (const t of transcripts)
    it.scopedLive(`${t.name}: a modem actor comes up on it, with the SIM's status`, () =>
      Effect.gen(function* () {
        const expected = t.expected as { sim: { iccid: string }; registration: string; quickQueryMs: number };
        const port = yield* portTo(replay(t), { timeouts: { query: expected.quickQueryMs } });
        const actor = yield* makeModemActor(port, { sink: { storePart: () => Effect.void }, sweepEveryMs: 0, probe: { attempts: 2, timeoutMs: 500 } });
        const s = yield* SubscriptionRef.get(actor.state);
        expect(s.sim?.iccid).toBe(expected.sim.iccid);
        expect(yield* actor.simStatus).toBe(expected.registration === "ROAMING" ? 5 : 1);
      }),
    );
});
