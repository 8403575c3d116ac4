import { spawn } from "node:child_process";
import type { Server } from "node:http";
import { join } from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { addUser, AccountError, checkSignIn, listUsers, setPassword, setRole } from "../../src/access/accounts";
import { bootstrapKeys, BootstrapKeyError } from "../../src/access/bootstrap";
import { MAX_FAILURES_PER_USER, recordAttempt, throttled } from "../../src/access/login-throttle";
import { hashPassword, passwordProblem, verifyPassword } from "../../src/access/passwords";
import { endUserSessions, sessionOf, startSession } from "../../src/access/sessions";
import { simFolderRoutes } from "../../src/api/simfolder/handler";
import { routesServer } from "../support/routes";
import type { SimFolderContext } from "../../src/api/simfolder/methods";
import { useMigratedDatabase } from "../support/migrated-database";

// Users, roles, passwords, sessions and throttling as rows; the role on the API key.
const store = useMigratedDatabase("simgate_access");
// Password hashing is slow on purpose; several per test add up on a busy machine.
vi.setConfig({ testTimeout: 60_000 });
const db = () => store.db();
const ROOT = join(import.meta.dirname, "..", "..");

describe("passwords", () => {
  it("refuses short passwords, the user name, and too few different characters", () => {
    expect(passwordProblem("short", "ann")).toMatch(/at least 10/);
    expect(passwordProblem("xx-operator-xx", "operator")).toMatch(/user name/);
    expect(passwordProblem("aaaaaaaaaaab", "ann")).toMatch(/4 different/);
    expect(passwordProblem("correct horse battery", "ann")).toBeNull();
  });

  it("hashes with scrypt and a salt: the same password hashes differently, verifies, and a wrong one does not", async () => {
    const a = await hashPassword("correct horse battery");
    const b = await hashPassword("correct horse battery");
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword("correct horse battery", a)).toBe(true);
    expect(await verifyPassword("correct horse batterz", a)).toBe(false);
    expect(await verifyPassword("anything at all", null)).toBe(false);
  });
});

describe("accounts and sessions", () => {
  it("adds a user with a role and a password, signs in, and a password change ends every session", async () => {
    const { key } = await addUser(db(), "vera", "viewer", "long secret phrase one", "test");
    expect(key.length).toBeGreaterThan(20);
    await expect(addUser(db(), "vera", "viewer", "another long one", "test")).rejects.toThrow(/exists already/);
    await expect(addUser(db(), "vlad", "viewer", "vlad-1234567", "test")).rejects.toThrow(AccountError);
    const user = await checkSignIn(db(), "vera", "long secret phrase one");
    expect(user?.name).toBe("vera");
    expect(await checkSignIn(db(), "vera", "wrong password!")).toBeNull();
    expect(await checkSignIn(db(), "nobody", "long secret phrase one")).toBeNull();

    const one = await startSession(db(), user!.id, "127.0.0.1");
    const two = await startSession(db(), user!.id, "10.0.0.2");
    expect((await sessionOf(db(), one.token))?.user).toMatchObject({ name: "vera", role: "viewer", admin: false });
    expect((await sessionOf(db(), one.token))?.csrf).toBe(one.csrf);
    await setPassword(db(), "vera", "a brand new passphrase", "test");
    expect(await sessionOf(db(), one.token)).toBeNull();
    expect(await sessionOf(db(), two.token)).toBeNull();
    expect(await checkSignIn(db(), "vera", "a brand new passphrase")).not.toBeNull();

    await setRole(db(), "vera", "operator", "test");
    expect((await listUsers(db())).find((u) => u.name === "vera")).toMatchObject({ role: "operator", hasPassword: true });
    const audit = await db().selectFrom("audit_log").select(["action", "user_name"]).orderBy("id").execute();
    expect(audit.map((a) => a.action)).toEqual(["user.add", "user.passwd", "user.role"]);
  });

  it("a session ends after 30 idle minutes and 12 hours after sign-in, however busy", async () => {
    await addUser(db(), "ida", "operator", "long secret phrase two", "test");
    const ida = (await checkSignIn(db(), "ida", "long secret phrase two"))!;
    const idle = await startSession(db(), ida.id, null);
    const old = await startSession(db(), ida.id, null);
    const fresh = await startSession(db(), ida.id, null);
    const { hashKey } = await import("../../src/access/keys");
    await db().updateTable("panel_sessions").set({ last_seen_at: sql<Date>`now() - interval '31 minutes'` }).where("id", "=", hashKey(idle.token)).execute();
    await db()
      .updateTable("panel_sessions")
      .set({ created_at: sql<Date>`now() - interval '12 hours 1 minute'` as never, last_seen_at: sql<Date>`now()` })
      .where("id", "=", hashKey(old.token))
      .execute();
    expect(await sessionOf(db(), idle.token)).toBeNull();
    expect(await sessionOf(db(), old.token)).toBeNull();
    expect(await sessionOf(db(), fresh.token)).not.toBeNull();
    expect(await sessionOf(db(), "not-a-token")).toBeNull();
    expect(await endUserSessions(db(), ida.id)).toBe(3);
  });
});

describe("sign-in throttling", () => {
  it("after 5 failures a user name is refused for 15 minutes, and an address after 20, counted from rows", async () => {
    for (let i = 0; i < MAX_FAILURES_PER_USER - 1; i++) await recordAttempt(db(), "Tom", "192.0.2.1", false);
    expect(await throttled(db(), "tom", "192.0.2.9")).toBeNull();
    await recordAttempt(db(), "tom", "192.0.2.1", false);
    expect(await throttled(db(), "TOM", "192.0.2.9")).toMatchObject({ by: "user", retryInMinutes: 15 });
    // Failures older than the window no longer count.
    await db().updateTable("login_attempts").set({ at: sql<Date>`now() - interval '16 minutes'` as never }).where("user_name", "=", "tom").execute();
    expect(await throttled(db(), "tom", "192.0.2.9")).toBeNull();
    for (let i = 0; i < 20; i++) await recordAttempt(db(), `guess${i}`, "198.51.100.7", false);
    expect(await throttled(db(), "someone", "198.51.100.7")).toMatchObject({ by: "address" });
    expect(await throttled(db(), "someone", "198.51.100.8")).toBeNull();
  });
});

describe("first start", () => {
  it("prints a one-time admin password once; SIMGATE_ADMIN_PASSWORD sets it instead, and a weak one is refused", async () => {
    const first = await bootstrapKeys(db(), {});
    const printed = /password (\S+)\s+\(shown once/.exec(first.password)?.[1];
    expect(printed).toBeDefined();
    expect(await checkSignIn(db(), "admin", printed!)).not.toBeNull();
    expect((await listUsers(db())).find((u) => u.name === "admin")?.role).toBe("admin");
    const again = await bootstrapKeys(db(), {});
    expect(again.password).toContain("password stored");
    expect(await checkSignIn(db(), "admin", printed!)).not.toBeNull();
    const given = await bootstrapKeys(db(), { SIMGATE_ADMIN_PASSWORD: "the operators' own secret" });
    expect(given.password).toContain("from SIMGATE_ADMIN_PASSWORD");
    expect(await checkSignIn(db(), "admin", "the operators' own secret")).not.toBeNull();
    expect(await checkSignIn(db(), "admin", printed!)).toBeNull();
    await expect(bootstrapKeys(db(), { SIMGATE_ADMIN_PASSWORD: "short" })).rejects.toThrow(BootstrapKeyError);
  });
});

describe("the role on the API key", () => {
  let server: Server;
  let base = "";
  beforeAll(async () => {
    // Refusal happens before a method runs, so the methods tried here need no hardware.
    const ctx = { db: db(), registry: { modems: [], devices: [], farm: null }, scheduler: {} as never, version: "test" } as unknown as SimFolderContext;
    server = routesServer(simFolderRoutes(ctx));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("a viewer's key reads, and every state-changing method answers FORBIDDEN; an operator's key is not refused", async () => {
    const viewer = await addUser(db(), "watcher", "viewer", "long secret phrase three", "test");
    const operator = await addUser(db(), "worker", "operator", "long secret phrase four", "test");
    const call = async (method: string, key: string) => {
      const res = await fetch(`${base}/api/${method}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ api_key: key, card_id: 1, text: "hi", number: "+15550001", url: "http://x" }) });
      return { status: res.status, body: (await res.json()) as { status: string; error?: string; message?: string } };
    };
    expect((await call("settingsGet", viewer.key)).body.status).toBe("ok");
    for (const method of ["smsSend", "ussdSend", "cardSelect", "cardEdit", "settingsSet", "smsDelete", "callBegin", "atSend"]) {
      const answer = await call(method, viewer.key);
      expect([method, answer.status, answer.body.error]).toEqual([method, 403, "FORBIDDEN"]);
      expect(answer.body.message).toContain("viewer");
    }
    const asOperator = await call("settingsSet", operator.key);
    expect(asOperator.body.error).not.toBe("FORBIDDEN");
  });
});

describe("simgate user", () => {
  // Asynchronously: a synchronous child would block the test worker (and its reporting) for as long as it runs.
  const cli = (env: Record<string, string>, args: string[], input = "") =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "src/cli/main.ts"), "user", ...args], { cwd: ROOT, env: { ...process.env, DATABASE_URL: store.url(), ...env } });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
      child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
      child.on("close", (status) => resolve({ status, stdout, stderr }));
      child.stdin.end(input);
    });

  // Few runs: each starts a process that opens and migrates the store and hashes a password.
  it("adds, changes a password (from stdin) and a role, lists; a mistake exits 2 with the reason", async () => {
    const added = await cli({ SIMGATE_PASSWORD: "long secret phrase five" }, ["add", "olga", "operator"]);
    expect(added.status, added.stderr).toBe(0);
    expect(added.stdout).toMatch(/^user olga \(operator\) added\napi_key \(olga\): \S{20,}/);
    const fromStdin = await cli({ SIMGATE_PASSWORD: "" }, ["passwd", "olga"], "typed on stdin 42\n");
    expect([fromStdin.status, fromStdin.stdout], fromStdin.stderr).toEqual([0, "password of olga set; their sessions are ended\n"]);
    const wrongRole = await cli({}, ["role", "olga", "boss"]);
    expect([wrongRole.status, wrongRole.stderr.trim()]).toEqual([2, 'simgate user: no role "boss" (admin, operator, viewer)']);
    expect((await cli({}, ["role", "olga", "viewer"])).stdout).toBe("olga is now viewer\n");
    expect((await cli({}, ["list"])).stdout).toMatch(/^olga\s+viewer\s+password set$/m);
  }, 600_000);

  it("the password set from stdin is the one that signs in", async () => {
    expect(await checkSignIn(db(), "olga", "typed on stdin 42")).not.toBeNull();
  });
});
