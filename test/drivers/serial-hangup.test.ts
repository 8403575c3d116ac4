import { describe, expect, it } from "@effect/vitest";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { Effect } from "effect";
import { openSerial } from "../../drivers/transport/serial";
import { Farm } from "../../hil/farm";
import { ServedFarm } from "../../hil/serve";
import { eventuallyEffect } from "../support/eventually";

// A USB modem pulled out: the kernel hangs its tty up. From then on read() returns 0 bytes
// at once and poll() reports POLLHUP|POLLERR; writes fail with EIO. The transport has to
// notice from the read side alone (nothing may be written to the modem for a while: the
// supervisor's health check comes every 30 s), and must not spin on the 0-byte reads.
let served: ServedFarm;

beforeAll(async () => {
  const farm = new Farm({ modems: [{ id: "listening" }, { id: "paused" }] });
  served = await ServedFarm.start(farm);
  await farm.settled();
});
afterAll(async () => served?.stop());

/** read(2) calls this process has made so far, all threads (the thread pool's fs.read too). */
const readCalls = (): number => Number(/^syscr:\s*(\d+)$/m.exec(readFileSync("/proc/self/io", "latin1"))?.[1] ?? NaN);

describe("serial transport: a tty that hangs up", () => {
  it.scopedLive("a read waiting on the tty when the modem is unplugged: the device is reported gone within a second, without a write", () =>
    Effect.gen(function* () {
      const transport = yield* openSerial(served.pathOf("listening")!);
      let received = "";
      let reason: string | null = null;
      transport.listen({
        data: (chunk) => void (received += Buffer.from(chunk).toString("latin1")),
        end: (why) => void (reason ??= why),
      });
      // The reader is running (a read is waiting on the tty) before the modem goes.
      transport.send("AT\r");
      yield* eventuallyEffect(() => received.includes("OK"), "the modem's OK");
      yield* Effect.promise(() => served.unplug("listening"));
      yield* eventuallyEffect(() => reason !== null, "the transport's end", 1000);
      expect(reason).toMatch(/hung up/);
    }),
  );

  it.scopedLive("a read that starts after the hang-up (the tty answers 0 bytes): reported within a second, without spinning on the tty", () =>
    Effect.gen(function* () {
      // Paused until someone listens, so the first read comes after the hang-up: the state a
      // reader is in whenever the hang-up lands between two of its reads.
      const transport = yield* openSerial(served.pathOf("paused")!);
      yield* Effect.promise(() => served.unplug("paused"));
      const readsBefore = readCalls();
      const listenedAt = Date.now();
      let endedAt: number | null = null;
      let reason = "";
      transport.listen({
        data: () => {},
        end: (why) => {
          endedAt ??= Date.now();
          reason = why;
        },
      });
      // A fixed window rather than "until ended": a transport that reports the end but keeps
      // reading (or never reports it) is caught by the read count either way.
      yield* Effect.sleep(1000);
      const reads = readCalls() - readsBefore;
      expect(endedAt, "the transport reported the device gone").not.toBeNull();
      expect(endedAt! - listenedAt).toBeLessThan(1000);
      expect(reason).toMatch(/hung up/);
      // The shipped binding re-read a hung-up tty about 12,000 times a second. An idle test
      // worker makes a few dozen reads a second of its own; the bound leaves room for those
      // on a busy machine while a spin, even one slowed down a hundredfold, stays above it.
      expect(reads).toBeLessThan(100);
    }),
  );
});

describe("serial transport: ports closed while their reads are out", () => {
  // In a process of its own: the failure this guards against is a segmentation fault (the
  // read asked a poller destroyed with its port to poll), which takes the process down.
  it("300 ports opened, written, unplugged and closed in turn leave the process alive", () => {
    const run = spawnSync(process.execPath, ["--import", "tsx", join(import.meta.dirname, "../support/serial-churn.ts"), "300"], { encoding: "utf8", timeout: 90_000 });
    expect({ status: run.status, signal: run.signal, out: run.stdout.trim() }, run.stderr.slice(-2000)).toEqual({ status: 0, signal: null, out: "survived" });
  }, 100_000);
});
