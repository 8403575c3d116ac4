// A loopback HTTP load generator in its own thread: one client per URL, each requesting its
// URL in a loop for `seconds`, recording each request's latency in ms. Given a job in
// workerData it runs that once; otherwise it runs each job posted to it and stays, so its
// connections stay open from one job to the next (loads measured in turn, load.ts).
import { parentPort, workerData } from "node:worker_threads";

const run = async ({ urls, seconds }) => {
  const latencies = [];
  let errors = 0;
  const stopAt = performance.now() + seconds * 1000;
  await Promise.all(
    urls.map(async (url) => {
      while (performance.now() < stopAt) {
        const start = performance.now();
        try {
          const res = await fetch(url);
          await res.text();
          if (res.status !== 200) errors++;
        } catch {
          errors++;
        }
        latencies.push(performance.now() - start);
      }
    }),
  );
  return { latencies, errors };
};

if (workerData?.urls) parentPort.postMessage(await run(workerData));
else parentPort.on("message", async (job) => parentPort.postMessage(await run(job)));
