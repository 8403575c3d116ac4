import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { throwawayDatabase } from "../support/postgres";
import { startServiceProcess, until, type ServiceProcess } from "../support/service-process";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy";

// The service on PostgreSQL through a relay the test controls: its connections are killed
// under load, then the database goes away altogether and comes back. The process must live
// through all of it, answer 503 (SR-Navigator: ERROR) while the database is gone, say so on
// /readyz, and lose nothing it received meanwhile.
const API_KEY = "outage-test-key-0123456789abcdef";
const POOL_KEY = "outage-pool-key-0123456789abcdef";

let database: Awaited<ReturnType<typeof throwawayDatabase>>;
let proxy: TcpProxy;
let service: ServiceProcess;
let url: string;

const simfolder = (method: string) => fetch(`${url}/api/${method}?api_key=${API_KEY}`);
const srnav = (action: string) => fetch(`${url}/api/handler.php?pool_key=${POOL_KEY}&action=${action}`);

beforeAll(async () => {
  database = await throwawayDatabase("simgate_outage");
  proxy = await startTcpProxy(database.url);
  const dir = mkdtempSync(join(tmpdir(), "simgate-outage-"));
  const config = join(dir, "simgate.config.json");
  writeFileSync(config, JSON.stringify({ devices: [{ id: "lab", model: "pool", modems: "simulated", count: 2 }], demo: { smsEveryMs: 0, timing: "instant" } }));
  service = startServiceProcess({ DATABASE_URL: proxy.url, SIMGATE_CONFIG: config, SIMGATE_API_KEY: API_KEY, SIMGATE_POOL_KEY: POOL_KEY });
  url = await service.url();
}, 90_000);

afterAll(async () => {
  service?.kill("SIGKILL");
  await service?.exited;
  await proxy?.close();
  await database?.drop();
});

type CardList = { status: string; cards?: { iccid: string; number: string | null; sim_status?: number }[] };

describe("the service when its database connections die", () => {
  it("lives through killed connections and a lost database, answers 503 meanwhile, and stores what arrived", async () => {
    const log = () => `\n--- service output:\n${service.output()}`;
    await until(() => fetch(`${url}/readyz`).then((r) => r.status), (s) => s === 200, "never ready");
    const cards = await until(
      async () => (await (await simfolder("cardList")).json()) as CardList,
      (v) => (v.cards ?? []).filter((c) => c.number).length === 2,
      "the two simulated cards never appeared",
    );
    const number = cards.cards!.find((c) => c.number)!.number!;

    // 1. Connections killed under load, from both ends: the relay drops them, and the server
    // terminates the backends.
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    const name = new URL(database.url).pathname.slice(1);
    const statuses: number[] = [];
    const load = Promise.all(
      Array.from({ length: 120 }, async (_, i) => {
        await new Promise((r) => setTimeout(r, i * 5));
        const r = await (i % 3 === 0 ? srnav("getNumbers") : i % 3 === 1 ? simfolder("cardList") : simfolder("smsList"));
        statuses.push(r.status);
        await r.arrayBuffer();
      }),
    );
    for (let k = 0; k < 10; k++) {
      if (k % 2 === 0) proxy.dropConnections();
      else await admin.query("select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()", [name]);
      await new Promise((r) => setTimeout(r, 60));
    }
    // A request that could not even connect means the process died: say what it printed.
    await load.catch(async (error: Error) => {
      const code = service.alive() ? "still running" : `exited with ${await service.exited}`;
      throw new Error(`${error.message}: ${(error.cause as Error | undefined)?.message ?? ""}; the service ${code}${log()}`);
    });
    await admin.end();
    expect(service.alive(), log()).toBe(true);
    expect(statuses.filter((s) => s !== 200 && s !== 503), log()).toEqual([]);
    await until(() => simfolder("cardList").then((r) => r.status), (s) => s === 200, "requests never succeeded again after the kills");

    // 2. The database gone: /readyz says so, /healthz does not, requests answer 503 with a word.
    await proxy.cut();
    const notReady = await until(() => fetch(`${url}/readyz`), (r) => r.status === 503, "/readyz never said not ready");
    expect(await notReady.json()).toEqual({ ready: false, database: "unreachable" });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const sf = await simfolder("cardList");
    expect(sf.status).toBe(503);
    expect(await sf.json()).toMatchObject({ status: "error", error: "UNAVAILABLE" });
    const sr = await srnav("getNumbers");
    expect(sr.status).toBe(503);
    expect(await sr.text()).toBe("ERROR");
    // An SMS arrives while the database is away: it stays on the SIM, not lost.
    const sent = await fetch(`${url}/sim/sms`, { method: "POST", body: JSON.stringify({ to: number, from: "MyBank", text: "sent during the outage" }) });
    expect(sent.status).toBe(201);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(service.alive(), log()).toBe(true);

    // 3. Back: ready again, and the message is stored once.
    await proxy.restore();
    await until(() => fetch(`${url}/readyz`).then((r) => r.status), (s) => s === 200, "never ready again");
    const listed = await until(
      async () => (await (await simfolder("smsList")).json()) as { sms?: { msg: string }[] },
      (v) => (v.sms ?? []).some((m) => m.msg === "sent during the outage"),
      "the message that came during the outage was never stored",
      60_000,
    );
    expect(listed.sms!.filter((m) => m.msg === "sent during the outage")).toHaveLength(1);
    expect(service.alive(), log()).toBe(true);
    service.kill("SIGTERM");
    expect(await service.exited).toBe(0);
  }, 180_000);
});
