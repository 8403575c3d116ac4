/** Shared by the HTTP benchmarks: a loopback load generator in a worker thread, and its summary line. */
import { Worker } from "node:worker_threads";

export interface LoadRun {
  readonly latencies: number[];
  readonly errors: number;
}

/** One client per URL, each requesting it in a loop for `seconds`. */
export const load = (urls: string[], seconds: number): Promise<LoadRun> =>
  new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./load-worker.mjs", import.meta.url), { workerData: { urls, seconds } });
    worker.once("message", resolve);
    worker.once("error", reject);
  });

/**
 * Several loads measured in turn, after a warm-up of each: `slices` short runs of each,
 * `seconds` in all per load, the order rotated every round. On a shared machine a burst of other work then lands on
 * every load alike, and their ratios hold still, where blocks of `seconds` one after the
 * other measured the burst as much as the code.
 */
export const loadInTurn = async <K extends string>(loads: Record<K, string[]>, seconds: number, { slices = 10, warmUpSeconds = 2 } = {}): Promise<Record<K, LoadRun>> => {
  const names = Object.keys(loads) as K[];
  const out = Object.fromEntries(names.map((n) => [n, { latencies: [] as number[], errors: 0 }])) as Record<K, { latencies: number[]; errors: number }>;
  // One worker for every slice: its connections stay open, so a slice measures requests, not handshakes.
  const worker = new Worker(new URL("./load-worker.mjs", import.meta.url));
  let waiting: { resolve: (run: LoadRun) => void; reject: (error: unknown) => void } | null = null;
  worker.on("message", (run: LoadRun) => waiting?.resolve(run));
  worker.on("error", (error) => waiting?.reject(error));
  const slice = (urls: string[], length = seconds / slices) =>
    new Promise<LoadRun>((resolve, reject) => {
      waiting = { resolve, reject };
      worker.postMessage({ urls, seconds: length });
    });
  try {
    // A warm-up of each first: the connections open, and the code under load is compiled by
    // the time it is measured (the first thousands of requests run slower until the JIT has
    // seen them: a service runs for days, a benchmark would otherwise measure its start).
    for (const name of names) await slice(loads[name], warmUpSeconds);
    for (let round = 0; round < slices; round++)
      for (let i = 0; i < names.length; i++) {
        const name = names[(round + i) % names.length]!;
        const run = await slice(loads[name]);
        for (const ms of run.latencies) out[name].latencies.push(ms);
        out[name].errors += run.errors;
      }
  } finally {
    await worker.terminate();
  }
  return out;
};

export const summary = (name: string, run: LoadRun, seconds: number) => {
  const sorted = [...run.latencies].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  const rate = sorted.length / seconds;
  console.log(`${name.padEnd(40)} ${rate.toFixed(0).padStart(7)} req/s   p50 ${at(0.5).toFixed(2)} ms   p99 ${at(0.99).toFixed(2)} ms   errors ${run.errors}`);
  return { rate, p50: at(0.5), p99: at(0.99) };
};
