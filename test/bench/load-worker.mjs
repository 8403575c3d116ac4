// A loopback HTTP load generator in its own thread: `concurrency` clients, each requesting
// its URL in a loop for `seconds`, recording each request's latency in ms.
import { parentPort, workerData } from "node:worker_threads";

const { urls, seconds } = workerData;
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
parentPort.postMessage({ latencies, errors });
