/**
 * bench:sim — 1,000 virtual modems in one process, on real pseudo-terminals.
 * Prints start-up time, idle CPU, memory per modem and AT round trips per second, each beside
 * a baseline measured in the same run on the same machine:
 *   - start-up against opening the same number of bare PTYs;
 *   - round trips against a bare echo device on the same PTY path (a reply to every CR,
 *     no AT interpreter), so the ratio is the cost of the modem itself;
 *   - idle CPU against the same process before the farm existed.
 * Run: npm run bench:sim [-- --modems N --seconds S]
 */
import type { Duplex } from "node:stream";
import { parseArgs } from "node:util";
import { SerialPort } from "serialport";
import { Farm } from "../../hil/farm";
import { ServedFarm } from "../../hil/serve";
import { PtyHost } from "../../hil/transport/pty-host";
import { openDuplex } from "../../hil/transport/duplex";

const { values } = parseArgs({ options: { modems: { type: "string", default: "1000" }, seconds: { type: "string", default: "3" } } });
const MODEMS = Number(values.modems);
const SECONDS = Number(values.seconds);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

const memory = () => {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external + m.arrayBuffers;
};

const idleCpu = async (ms: number): Promise<number> => {
  const start = process.cpuUsage();
  const t0 = performance.now();
  await sleep(ms);
  const used = process.cpuUsage(start);
  return ((used.user + used.system) / 1000 / (performance.now() - t0)) * 100;
};

const openPort = (path: string) =>
  new Promise<SerialPort>((resolve, reject) => {
    const port = new SerialPort({ path, baudRate: 115200, autoOpen: false });
    port.open((e) => (e ? reject(e) : resolve(port)));
  });

type Line = Pick<Duplex, "write" | "on" | "removeAllListeners">;

/** Round trips per second: every line sends a command and waits for OK, for `seconds`. */
const roundTrips = async (lines: readonly Line[], command: string, seconds: number): Promise<number> => {
  let count = 0;
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(
    lines.map(
      (line) =>
        new Promise<void>((resolve) => {
          let buffer = "";
          const send = () => {
            if (performance.now() >= deadline) {
              line.removeAllListeners("data");
              return resolve();
            }
            buffer = "";
            line.write(command);
          };
          line.on("data", (chunk: Buffer) => {
            buffer += chunk.toString("latin1");
            if (buffer.endsWith("OK\r\n")) {
              count++;
              send();
            }
          });
          send();
        }),
    ),
  );
  return count / seconds;
};

const closeAll = (ports: SerialPort[]) => Promise.all(ports.map((p) => new Promise<void>((r) => p.close(() => r()))));

const main = async () => {
  console.log(`bench:sim — ${MODEMS} virtual modems, ${SECONDS} s per measurement, node ${process.version}`);
  const baseIdle = await idleCpu(SECONDS * 1000);

  // Baseline: the same number of bare PTYs with an echo device behind each.
  const relay = await PtyHost.start();
  let t0 = performance.now();
  const bare = [];
  for (let i = 0; i < MODEMS; i++) bare.push(await relay.open());
  const bareStartMs = performance.now() - t0;
  for (const pty of bare) pty.onData((bytes) => bytes.includes(13) && pty.write(Buffer.from("\r\nOK\r\n")));
  const bareSerial = await Promise.all(bare.map((p) => openPort(p.path)));
  const bareRtt = await roundTrips(bareSerial, "AT+CSQ\r", SECONDS);
  await closeAll(bareSerial);
  await relay.stop();

  // The farm.
  const memBefore = memory();
  t0 = performance.now();
  const farm = new Farm({ modems: Array.from({ length: MODEMS }, () => ({})), logLimit: 0 });
  const served = await ServedFarm.start(farm);
  await farm.settled(60_000);
  const startMs = performance.now() - t0;
  const memAfter = memory();
  const idle = await idleCpu(SECONDS * 1000);

  const ports = await Promise.all([...farm.modems.keys()].map((id) => openPort(served.pathOf(id)!)));
  // Echo off, as every driver does; then the same loop as the baseline.
  await roundTrips(ports, "ATE0\r", 0.2);
  const rtt = await roundTrips(ports, "AT+CSQ\r", SECONDS);
  await closeAll(ports);

  // The modems alone, without the PTY path: in-memory duplex round trips.
  const streams = [...farm.modems.values()].map((m) => openDuplex(m));
  const inMemory = await roundTrips(streams, "AT+CSQ\r", SECONDS);
  for (const s of streams) s.destroy();
  await served.stop();

  const rows: [string, string, string, string][] = [
    ["start-up (PTYs open, all registered)", `${startMs.toFixed(0)} ms`, `${bareStartMs.toFixed(0)} ms (bare PTYs)`, (startMs / bareStartMs).toFixed(2)],
    ["idle CPU, whole process", `${idle.toFixed(2)} %`, `${baseIdle.toFixed(2)} % (before the farm)`, "-"],
    ["memory per modem (heap + buffers)", `${((memAfter - memBefore) / MODEMS / 1024).toFixed(1)} KiB`, `${mb(memAfter - memBefore)} MiB in all`, "-"],
    ["AT round trips/s over PTYs (AT+CSQ)", rtt.toFixed(0), `${bareRtt.toFixed(0)} (bare echo device)`, (rtt / bareRtt).toFixed(2)],
    ["AT round trips/s in memory", inMemory.toFixed(0), "-", "-"],
  ];
  const width = [38, 14, 30, 6];
  console.log(["measure", "simgate", "baseline", "ratio"].map((h, i) => h.padEnd(width[i]!)).join("  "));
  for (const row of rows) console.log(row.map((c, i) => c.padEnd(width[i]!)).join("  "));
  console.log(`per modem idle CPU: ${((idle - baseIdle) / MODEMS).toFixed(4)} % of one core`);
};

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
