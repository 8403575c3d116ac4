import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_BODY_BYTES, readRequestFields, textFields } from "../../../src/api/http/body";
import type { Route } from "../../../src/api/http/router";
import { simFolderRoutes } from "../../../src/api/simfolder/handler";
import type { SimFolderContext } from "../../../src/api/simfolder/methods";
import { SRNAV_PATH, srNavigatorRoutes } from "../../../src/api/srnav/handler";
import type { SrNavContext } from "../../../src/api/srnav/actions";
import { panelRoutes } from "../../../src/panel/handler";
import type { PanelContext } from "../../../src/panel/context";
import { routesServer } from "../../support/routes";

// The one route table and the one body reader, on a real socket. The facades' refusals of an
// oversize body come before they touch the store, so their contexts here have none: a
// request that reached it would fail the test with a 500.

const noStore = new Proxy({}, { get: () => () => { throw new Error("the store is not used before the body is read"); } });

let server: Server;
let base = "";

const echo: Route = {
  methods: ["GET", "POST"],
  path: "/echo",
  handle: async (req, res, { url }) => {
    const { fields, files } = await readRequestFields(req, url, { maxBytes: 1024 });
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ fields: Object.fromEntries(fields), text: Object.fromEntries(textFields(fields)), files: Object.fromEntries(files) }));
  },
};

beforeAll(async () => {
  const routes: Route[] = [
    echo,
    { methods: ["GET", "HEAD"], path: "/only-get", handle: (_req, res) => void res.end("got") },
    { methods: ["DELETE"], path: "/only-get", handle: (_req, res) => void res.end("deleted") },
    { methods: ["GET"], path: "/things/:id(\\d+)/parts/:name", handle: (_req, res, { params }) => void res.end(JSON.stringify(params)) },
    { methods: ["GET"], path: "/files/*", handle: (_req, res, { params }) => void res.end(params["*"]) },
    { methods: ["GET"], path: "/picky", when: (req) => req.headers["x-wanted"] === "1", handle: (_req, res) => void res.end("picked") },
    { methods: ["GET"], path: "/fails", handle: () => Promise.reject(new Error("a bug")) },
    // What pg rejects with when the server is not there.
    { methods: ["GET"], path: "/store-away", handle: () => Promise.reject(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" })) },
    ...srNavigatorRoutes(noStore as unknown as SrNavContext),
    ...simFolderRoutes(noStore as unknown as SimFolderContext),
    ...panelRoutes({ db: noStore, registry: { modems: [], devices: [], farm: null }, scheduler: noStore, hostTtlMs: 30_000, host: "here" } as unknown as PanelContext).routes,
  ];
  server = routesServer(routes);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe("the route table", () => {
  it("answers a path no route has with the service's 404 JSON", async () => {
    const res = await fetch(`${base}/nowhere/at%20all`);
    expect([res.status, res.headers.get("content-type"), await res.json()]).toEqual([404, "application/json; charset=utf-8", { error: "no route /nowhere/at%20all" }]);
  });

  it("answers a path that has routes for other methods with 405 and every method they take in Allow", async () => {
    const res = await fetch(`${base}/only-get`, { method: "PUT" });
    expect([res.status, res.headers.get("allow")]).toEqual([405, "GET, HEAD, DELETE"]);
    expect(await res.json()).toEqual({ error: "METHOD_NOT_ALLOWED", message: "PUT is not allowed on /only-get; use GET, HEAD, DELETE" });
    expect(await (await fetch(`${base}/only-get`, { method: "DELETE" })).text()).toBe("deleted");
  });

  it("gives a pattern's named parts decoded, and a part that breaks its own pattern or does not decode matches nothing", async () => {
    expect(await (await fetch(`${base}/things/42/parts/left%20wing`)).json()).toEqual({ id: "42", name: "left wing" });
    expect((await fetch(`${base}/things/x42/parts/a`)).status).toBe(404);
    expect((await fetch(`${base}/things/42/parts/%E0%A4%A`)).status).toBe(404);
    expect(await (await fetch(`${base}/files/a/b.txt`)).text()).toBe("a/b.txt");
  });

  it("skips a route whose condition on the request is not met", async () => {
    expect(await (await fetch(`${base}/picky`, { headers: { "x-wanted": "1" } })).text()).toBe("picked");
    expect((await fetch(`${base}/picky`)).status).toBe(404);
  });

  it("answers a failing handler 500 (logged), and 503 with Retry-After while the store is away", async () => {
    const failed = await fetch(`${base}/fails`);
    expect([failed.status, await failed.json()]).toEqual([500, { error: "INTERNAL", message: "the request could not be completed; it is logged" }]);
    const away = await fetch(`${base}/store-away`);
    expect([away.status, away.headers.get("retry-after"), ((await away.json()) as { error: string }).error]).toEqual([503, "5", "UNAVAILABLE"]);
  });

  it("keeps the SR-Navigator's own word for a method it does not take, and the SimFolder's BAD_METHOD", async () => {
    const sr = await fetch(`${base}${SRNAV_PATH}`, { method: "PUT" });
    expect([sr.status, sr.headers.get("allow"), sr.headers.get("content-type"), await sr.text()]).toEqual([405, "GET, POST", "text/plain; charset=utf-8", "METHOD_NOT_ALLOWED"]);
    const sf = await fetch(`${base}/api/version`, { method: "DELETE" });
    expect([sf.status, ((await sf.json()) as { error: string }).error]).toEqual([404, "BAD_METHOD"]);
  });
});

describe("the body reader", () => {
  type Echo = { fields: Record<string, unknown>; text: Record<string, string>; files: Record<string, string> };
  const post = async (body: string | FormData, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}/echo?a=query&b=query&b=second&q=only`, { method: "POST", body, headers });
    return { status: res.status, body: (await res.json()) as Echo };
  };

  it("takes the query alone on a GET (the first of a repeated name)", async () => {
    expect(((await (await fetch(`${base}/echo?a=1&a=2&b=3`)).json()) as Echo).fields).toEqual({ a: "1", b: "3" });
  });

  it("puts a urlencoded form's fields over the query's", async () => {
    const { body } = await post("a=form&c=form", { "content-type": "application/x-www-form-urlencoded" });
    expect(body.fields).toEqual({ a: "form", b: "query", q: "only", c: "form" });
  });

  it("puts a multipart form's plain fields over the query's, and keeps its file parts apart", async () => {
    const form = new FormData();
    form.set("a", "multi");
    form.set("upload", new Blob(["iccid,name\r\n1,x\r\n"], { type: "text/csv" }), "cards.csv");
    const { body } = await post(form);
    expect(body.fields).toEqual({ a: "multi", b: "query", q: "only" });
    expect(body.files).toEqual({ upload: "iccid,name\r\n1,x\r\n" });
  });

  it("puts a JSON object's values over the query's, kept as JSON values (as text for the string faces)", async () => {
    const { body } = await post(JSON.stringify({ a: ["x", "y"], b: 5, n: null }), { "content-type": "application/json" });
    expect(body.fields).toEqual({ a: ["x", "y"], b: 5, n: null, q: "only" });
    expect(body.text).toEqual({ a: '["x","y"]', b: "5", n: "null", q: "only" });
  });

  it("refuses a JSON body that does not parse or is not an object, saying which", async () => {
    const broken = await fetch(`${base}/api/version`, { method: "POST", body: "{nope", headers: { "content-type": "application/json" } });
    expect([broken.status, ((await broken.json()) as { message: string }).message]).toEqual([400, expect.stringMatching(/^the JSON body does not parse: /)]);
    const list = await fetch(`${base}/api/version`, { method: "POST", body: "[1,2]", headers: { "content-type": "application/json" } });
    expect([list.status, await list.json()]).toEqual([400, { status: "error", error: "BAD_PARAM", message: "the JSON body must be an object" }]);
  });

  it("refuses a body past the route's cap with 413 (the route table's own answer)", async () => {
    const res = await fetch(`${base}/echo`, { method: "POST", body: "a=" + "x".repeat(2000), headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect([res.status, await res.json()]).toEqual([413, { error: "TOO_LARGE", message: "request body over 1024 bytes" }]);
  });
});

describe("an oversize body on each face", () => {
  const oversize = "a=" + "x".repeat(MAX_BODY_BYTES);
  const form = { "content-type": "application/x-www-form-urlencoded" };

  it("SR-Navigator: 413 TOO_LARGE", async () => {
    const res = await fetch(`${base}${SRNAV_PATH}`, { method: "POST", body: oversize, headers: form });
    expect([res.status, await res.text()]).toEqual([413, "TOO_LARGE"]);
  });

  it("SimFolder: 413 with its error JSON", async () => {
    const res = await fetch(`${base}/api/cardList`, { method: "POST", body: oversize, headers: form });
    expect([res.status, await res.json()]).toEqual([413, { status: "error", error: "TOO_LARGE", message: `request body over ${MAX_BODY_BYTES} bytes` }]);
  });

  it("the panel: 413, its own page saying the limit", async () => {
    const res = await fetch(`${base}/settings/language`, { method: "POST", body: oversize, headers: { ...form, origin: base } });
    expect(res.status).toBe(413);
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(await res.text()).toContain(`The form sent was too large (at most ${MAX_BODY_BYTES / 1024} KiB).`);
  });
});
