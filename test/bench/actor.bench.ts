/**
 * bench:actor — what the actor path costs.
 *   1. Latency per command: AT+CSQ through a modem actor's port (queue, framer, matcher),
 *      against a raw write-and-read loop with serialport on the same PTY, measured in the same
 *      run. Ratio goal: <= 1.2.
 *   2. 1,000 idle actors on simulated modems: bring-up time, CPU and memory per modem.
 * Run: npm run bench:actor [-- --modems N --seconds S]
 */
import { parseArgs } from "node:util";
import { SerialPort } from "serialport";
import { Effect, Ref } from "effect";
import { makeAtPort } from "../../drivers/at/at-port";
import { makeModemActor } from "../../drivers/modem/modem-actor";
import type { SmsSink } from "../../drivers/modem/sms-inbox";
import { openSerial } from "../../drivers/transport/serial";
import { Farm } from "../../hil/farm";
import { ServedFarm } from "../../hil/serve";

const { values } = parseArgs({ options: { modems: { type: "string", default: "1000" }, seconds: { type: "string", default: "3" } } });
const MODEMS = Number(values.modems);
const SECONDS = Number(values.seconds);
const ROUNDS = 5;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const memory = () => {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external + m.arrayBuffers;
};

const rawLatency = async (path: string): Promise<number> => {
  const port = new SerialPort({ path, baudRate: 115200, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
  let buffer = "";
  let waiting: (() => void) | null = null;
  port.on("data", (chunk: Buffer) => {
    buffer += chunk.toString("latin1");
    if (buffer.endsWith("OK\r\n") && waiting) {
      const w = waiting;
      waiting = null;
      w();
    }
  });
  const roundTrip = (line: string) =>
    new Promise<void>((resolve) => {
      buffer = "";
      waiting = resolve;
      port.write(line);
    });
  await roundTrip("ATE0\r");
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < SECONDS * 1000) {
    await roundTrip("AT+CSQ\r");
    n++;
  }
  const perCommand = (performance.now() - start) / n;
  await new Promise<void>((resolve) => port.close(() => resolve()));
  return perCommand;
};

const sink: SmsSink = { storePart: () => Effect.void };

const actorLatency = (path: string) =>
  Effect.scoped(
    Effect.gen(function* () {
      const port = yield* makeAtPort(yield* openSerial(path));
      const actor = yield* makeModemActor(port, { sink });
      const count = yield* Ref.make(0);
      yield* actor.port.command("ATE0");
      const start = performance.now();
      while (performance.now() - start < SECONDS * 1000) {
        yield* actor.port.command("AT+CSQ");
        yield* Ref.update(count, (n) => n + 1);
      }
      return (performance.now() - start) / (yield* Ref.get(count));
    }),
  );

const idleActors = (paths: readonly string[]) =>
  Effect.scoped(
    Effect.gen(function* () {
      const before = memory();
      const t0 = performance.now();
      yield* Effect.forEach(paths, (path) => Effect.flatMap(Effect.flatMap(openSerial(path), (t) => makeAtPort(t)), (port) => makeModemActor(port, { sink })), {
        concurrency: 100,
      });
      const startMs = performance.now() - t0;
      const after = memory();
      const cpu0 = process.cpuUsage();
      const w0 = performance.now();
      yield* Effect.sleep(SECONDS * 1000);
      const used = process.cpuUsage(cpu0);
      const cpuPercent = ((used.user + used.system) / 1000 / (performance.now() - w0)) * 100;
      return { startMs, bytesPerModem: (after - before) / paths.length, cpuPercent };
    }),
  );

const main = async () => {
  console.log(`bench:actor — ${MODEMS} modems, ${SECONDS} s per measurement, node ${process.version}`);
  const farm = new Farm({ modems: Array.from({ length: MODEMS }, () => ({})), logLimit: 0 });
  const served = await ServedFarm.start(farm);
  await farm.settled(60_000);
  const ids = [...farm.modems.keys()];
  // Interleave raw and actor runs on the same PTY, so drift on a shared machine hits both,
  // and take the median of the per-round ratios.
  const rounds: { raw: number; actor: number }[] = [];
  // One unmeasured round first: the JIT has not seen either path yet.
  await rawLatency(served.pathOf(ids[0]!)!);
  await Effect.runPromise(actorLatency(served.pathOf(ids[0]!)!));
  for (let round = 0; round < ROUNDS; round++) {
    const raw = await rawLatency(served.pathOf(ids[0]!)!);
    const actor = await Effect.runPromise(actorLatency(served.pathOf(ids[0]!)!));
    rounds.push({ raw, actor });
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const ratio = median(rounds.map((r) => r.actor / r.raw));
  const rawMs = median(rounds.map((r) => r.raw));
  const actorMs = median(rounds.map((r) => r.actor));
  const idle = await Effect.runPromise(idleActors(ids.map((id) => served.pathOf(id)!)));
  await served.stop();
  console.log("measure                                   value        baseline                 ratio");
  console.log(
    `latency per AT+CSQ, actor path            ${(actorMs * 1000).toFixed(0).padStart(6)} us    ${(rawMs * 1000).toFixed(0).padStart(6)} us (raw serialport)   ${ratio.toFixed(2)}  (goal <= 1.2; median of ${ROUNDS} rounds: ${rounds.map((r) => (r.actor / r.raw).toFixed(2)).join(" ")})`,
  );
  console.log(`${MODEMS} actors: bring-up (100 at a time)     ${idle.startMs.toFixed(0).padStart(6)} ms`);
  console.log(`idle CPU, whole process                   ${idle.cpuPercent.toFixed(2).padStart(6)} %      (${(idle.cpuPercent / MODEMS).toFixed(4)} % of a core per modem)`);
  console.log(`memory per actor (heap + buffers)         ${(idle.bytesPerModem / 1024).toFixed(1).padStart(6)} KiB`);
};

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
