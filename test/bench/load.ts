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

export const summary = (name: string, run: LoadRun, seconds: number) => {
  const sorted = [...run.latencies].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  const rate = sorted.length / seconds;
  console.log(`${name.padEnd(40)} ${rate.toFixed(0).padStart(7)} req/s   p50 ${at(0.5).toFixed(2)} ms   p99 ${at(0.99).toFixed(2)} ms   errors ${run.errors}`);
  return { rate, p50: at(0.5), p99: at(0.99) };
};
