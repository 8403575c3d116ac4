import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { Effect, Exit, Scope } from "effect";
import type { Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { hashKey } from "../../src/access/keys";
import { poolByKey } from "../../src/pools/pools";
import { migrate, openStore } from "../../src/store/database";
import type { Database } from "../../src/store/schema";
import { throwawayDatabase } from "../support/postgres";

// Each CLI run is a process of its own (Node and the TypeScript loader start every time): a
// test of four runs takes tens of seconds on two busy cores.
vi.setConfig({ testTimeout: 90_000 });

// `simgate pool ...` and `simgate key rotate` as child processes on the PostgreSQL server.
const ROOT = join(import.meta.dirname, "..", "..");
let database: Awaited<ReturnType<typeof throwawayDatabase>>;
let scope: Scope.CloseableScope;
let db: Kysely<Database>;

const cli = (...args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "src/cli/main.ts"), ...args], { cwd: ROOT, encoding: "utf8", env: { ...process.env, DATABASE_URL: database.url }, timeout: 60_000 });

beforeAll(async () => {
  database = await throwawayDatabase("simgate_poolcli");
  scope = Effect.runSync(Scope.make());
  db = await Effect.runPromise(Scope.extend(openStore({ kind: "postgres", url: database.url }), scope));
  await Effect.runPromise(migrate(db));
  const train = await db.insertInto("devices").values({ key: "train", title: "Train", model: "sr-train", channels: 16 }).returning("id").executeTakeFirstOrThrow();
  const box = await db.insertInto("devices").values({ key: "box", title: "Box", model: "sr-box-bank", channels: 8 }).returning("id").executeTakeFirstOrThrow();
  const card = (device: number, place: string, iccid: string, operator: string) => ({ device_id: device, place, iccid, operator, number: `+1555${iccid.slice(-7)}` });
  await db
    .insertInto("sim_cards")
    .values([
      card(train.id, "1-1", "8900100000000000011", "Beeline"),
      card(train.id, "1-2", "8900100000000000012", "MTS"),
      card(train.id, "1-3", "8900100000000000013", "Beeline"),
      card(box.id, "A1", "8900100000000000021", "Beeline"),
    ])
    .execute();
}, 60_000);
afterAll(async () => {
  if (scope) await Effect.runPromise(Scope.close(scope, Exit.void));
  await database?.drop();
});

describe("simgate pool", () => {
  it("create prints a working key and takes the cards that match the filter", async () => {
    const made = cli("pool", "create", "Beeline on the train", "--cards", "device=train;operator=beeline");
    expect(made.status).toBe(0);
    expect(made.stdout).toMatch(/^pool 1 "Beeline on the train": 2 cards now\npool_key: \S+\n$/);
    const key = /pool_key: (\S+)/.exec(made.stdout)![1]!;
    expect(await poolByKey(db, key)).toEqual({ id: 1, title: "Beeline on the train" });
    const members = await db.selectFrom("pool_cards").select("iccid").where("pool_id", "=", 1).orderBy("iccid").execute();
    expect(members.map((m) => m.iccid)).toEqual(["8900100000000000011", "8900100000000000013"]);
    // Stored hashed: the key itself is nowhere in the table.
    const stored = await db.selectFrom("pools").select("key_hash").executeTakeFirstOrThrow();
    expect(stored.key_hash).toBe(hashKey(key));
  });

  it("list shows every pool with its cards; key gives a new key and the old one stops working", async () => {
    const everything = cli("pool", "create", "All", "--cards", "all");
    expect(everything.stdout).toMatch(/: 4 cards now/);
    const oldKey = /pool_key: (\S+)/.exec(everything.stdout)![1]!;
    const list = cli("pool", "list");
    expect(list.status).toBe(0);
    expect(list.stdout.split("\n").filter(Boolean).map((l) => l.split("\t").slice(0, 4))).toEqual([
      ["1", "Beeline on the train", "2 cards", "0 open"],
      ["2", "All", "4 cards", "0 open"],
    ]);
    const rotated = cli("pool", "key", "2");
    expect(rotated.status).toBe(0);
    const newKey = /pool_key: (\S+)/.exec(rotated.stdout)![1]!;
    expect(await poolByKey(db, oldKey)).toBeNull();
    expect(await poolByKey(db, newKey)).toMatchObject({ id: 2 });
    expect(cli("pool", "key", "99")).toMatchObject({ status: 1, stderr: "simgate pool: no pool 99\n" });
  });

  it("refuses a bad filter or missing arguments with exit code 2, saying why", () => {
    const bad = cli("pool", "create", "X", "--cards", "colour=red");
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^simgate pool: "colour=red" is not a filter term \(known: device=\.\.\., operator=\.\.\., iccid=\.\.\., or all\)/);
    expect(cli("pool", "create", "X").stderr).toMatch(/--cards <filter> is needed/);
    expect(cli("pool", "create", "X", "--cards", "iccid=123").stderr).toMatch(/an ICCID is 18-22 digits/);
    expect(cli("pool").status).toBe(2);
  });
});

describe("simgate key rotate", () => {
  it("prints a new key for the user, stored hashed, replacing the old one", async () => {
    const first = cli("key", "rotate", "qa-team");
    expect(first.status).toBe(0);
    const key = /api_key \(qa-team\): (\S+)/.exec(first.stdout)![1]!;
    const second = /api_key \(qa-team\): (\S+)/.exec(cli("key", "rotate", "qa-team").stdout)![1]!;
    expect(second).not.toBe(key);
    const row = await db.selectFrom("api_users").select("key_hash").where("name", "=", "qa-team").executeTakeFirstOrThrow();
    expect(row.key_hash).toBe(hashKey(second));
    expect(cli("key", "rotate", "bad name!").status).toBe(2);
  });
});
