/**
 * `npm run bench:protocol`: the cost of the facade's corrections over raw node-pdu on the
 * same inputs (decode and encode), and the AT framer's throughput. Ratios are measured in
 * the same run, so a noisy machine moves both sides alike. Goal: corrections under 25%.
 */
import { parse, Submit } from "node-pdu";
import { frameAll } from "../../protocol/at/framer";
import { decodeSmsPdu } from "../../protocol/sms/decode";
import { encodeSubmit } from "../../protocol/sms/encode";
import { readJsonFixture } from "../support/fixtures";

const vectors = readJsonFixture<{ vectors: { pdu: string; has_smsc: boolean; expected: { error?: boolean } }[] }>(
  "pdu-vectors.json",
).vectors.filter((v) => !v.expected.error);
const pdus = vectors.map((v) => (v.has_smsc ? v.pdu : `00${v.pdu}`));
const texts = ["Your code is 4856", "Hello, world! ".repeat(8), "Да здравствует король, детка!", "x".repeat(300)];

/** Runs fn in rounds until `ms` pass; returns operations per second of the best round. */
const measure = (fn: () => void, opsPerCall: number, ms = 1500): number => {
  for (let i = 0; i < 200; i++) fn(); // warm up
  let best = 0;
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const t0 = performance.now();
    let calls = 0;
    while (performance.now() - t0 < 100) {
      fn();
      calls++;
    }
    best = Math.max(best, (calls * opsPerCall) / ((performance.now() - t0) / 1000));
  }
  return best;
};

// Alternate the two sides so drift in machine load does not favour one.
const compare = (name: string, raw: () => void, facade: () => void, ops: number) => {
  const r: number[] = [];
  const f: number[] = [];
  for (let i = 0; i < 3; i++) {
    r.push(measure(raw, ops, 700));
    f.push(measure(facade, ops, 700));
  }
  const rawOps = Math.max(...r);
  const facadeOps = Math.max(...f);
  const overhead = rawOps / facadeOps - 1;
  console.log(
    `${name.padEnd(8)} node-pdu ${Math.round(rawOps).toLocaleString("en").padStart(10)}/s   facade ${Math.round(facadeOps)
      .toLocaleString("en")
      .padStart(10)}/s   facade/node-pdu time ratio ${(1 + overhead).toFixed(2)} (${overhead <= 0.25 ? "within" : "OVER"} the 1.25 goal)`,
  );
};

console.log(`protocol benchmark, node ${process.version}, ${pdus.length} PDUs and ${texts.length} texts`);
compare(
  "decode",
  () => {
    for (const p of pdus) parse(p);
  },
  () => {
    for (const p of pdus) decodeSmsPdu(p);
  },
  pdus.length,
);
compare(
  "encode",
  () => {
    for (const t of texts) new Submit("+15555551234", t).getPartStrings();
  },
  () => {
    for (const t of texts) encodeSubmit({ to: "+15555551234", text: t, reference: 1 });
  },
  texts.length,
);

const chunk =
  "\r\n+CMTI: \"SM\",3\r\n\r\n+CREG: 1,\"84CD\",\"00D30156\"\r\n+CMGL: 1,1,,23\r\n07912374151616F6040B912374786468F300002010701280334009D4E2940A6A01002D\r\n\r\nOK\r\n> ";
const bytes = new TextEncoder().encode(chunk.repeat(2000));
const framesPerSec = measure(() => frameAll(bytes), 1, 1500);
console.log(`framer   ${((framesPerSec * bytes.length) / 1e6).toFixed(1)} MB/s over a ${(bytes.length / 1024).toFixed(0)} KiB transcript`);
