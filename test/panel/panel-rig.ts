/**
 * The panel in a real browser: the service's pieces (startTestService) over simulated SIM
 * banks and two modems on pseudo-terminals (so a test can unplug one), the SimFolder API and
 * the panel on one HTTP server, users of each role, and headless Chromium from Debian's
 * `chromium` package driven by playwright-core (no browser download).
 */
import { mkdirSync } from "node:fs";
import type { Server } from "node:http";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { addUser } from "../../src/access/accounts";
import { simFolderRoutes } from "../../src/api/simfolder/handler";
import { recordModemEvents } from "../../src/events/recorder";
import { reportModemTrouble } from "../../src/devices/modem-trouble";
import { publishModemStates } from "../../src/devices/live-state";
import { panelRoutes, type Panel } from "../../src/panel/handler";
import { startConsole } from "../../src/console/endpoint";
import { Farm } from "../../hil/farm";
import { ServedFarm } from "../../hil/serve";
import { startTestService, type TestService } from "../support/service";
import { routesServer } from "../support/routes";

export const CHROMIUM = process.env.SIMGATE_CHROMIUM ?? "/usr/bin/chromium";
/** Where the browser tests leave their screenshots (git-ignored). */
export const SCREENSHOTS = join(import.meta.dirname, "..", "..", "test-output", "screenshots");

export const USERS = {
  admin: { name: "admin", role: "admin", password: "head of the farm 1" },
  operator: { name: "olga", role: "operator", password: "operator secret 22" },
  viewer: { name: "vera", role: "viewer", password: "viewer secret 333" },
} as const;

export type Who = keyof typeof USERS;

export interface Rig {
  readonly service: TestService;
  readonly served: ServedFarm;
  readonly panel: Panel;
  /** The HTTP server the API and the panel answer on (the console's WebSocket upgrades arrive here too). */
  readonly server: Server;
  readonly base: string;
  readonly browser: Browser;
  /** API keys of the users made here. */
  readonly keys: Record<Who, string>;
  readonly signIn: (who: Who) => Promise<Page>;
  readonly screenshot: (page: Page, name: string) => Promise<void>;
  readonly close: () => Promise<void>;
}

export const startRig = async (name: string): Promise<Rig> => {
  const farm = new Farm({ modems: [{ id: "usb0" }, { id: "usb1" }], seed: 7, timing: "instant" });
  const served = await ServedFarm.start(farm);
  await farm.settled();
  const service = await startTestService(name, [
    { id: "demo", title: "Demo bank", model: "sr-box-bank", rows: 3, modems: "simulated" },
    { id: "lab", title: "Lab box", model: "sr-box-2-bank", rows: 2, modems: "simulated" },
    { id: "rack", title: "USB rack", model: "pool", modems: [served.pathOf("usb0"), served.pathOf("usb1")] },
  ]);
  await service.extend(recordModemEvents(service.db, service.registry));
  await service.extend(reportModemTrouble(service.db, service.registry, () => undefined));
  // The modems' rows (and their signal history, the sparklines), as the service writes them.
  await service.extend(publishModemStates(service.db, service.registry, "test-host"));
  // Who sees what: the operator owns the demo bank, the viewer the lab box; the admin sees all.
  await service.db.updateTable("devices").set({ owner: USERS.operator.name }).where("key", "=", "demo").execute();
  await service.db.updateTable("devices").set({ owner: USERS.viewer.name }).where("key", "=", "lab").execute();
  const keys = {} as Record<Who, string>;
  for (const who of Object.keys(USERS) as Who[]) keys[who] = (await addUser(service.db, USERS[who].name, USERS[who].role, USERS[who].password, "test")).key;

  // Quick session checks, and a reconnect delay long enough for a test to act while a tab is cut off.
  const panel = panelRoutes({ db: service.db, registry: service.registry, scheduler: service.scheduler, hostTtlMs: 30_000, host: "test-host" }, { pollMs: 100, sessionCheckMs: 500, retryMs: 1_500 });
  // The console's endpoint as the service serves it: its WebSocket takes the server's upgrades, its batch is a route.
  const consoleEndpoint = await service.extend(startConsole({ db: service.db, registry: service.registry, scheduler: service.scheduler, host: "test-host", hostTtlMs: 30_000 }));
  // One route table, as the service's: a handler that fails is answered 500 and logged by it.
  const server: Server = routesServer([...simFolderRoutes({ db: service.db, registry: service.registry, scheduler: service.scheduler, version: "test" }), ...panel.routes, ...consoleEndpoint.routes]);
  consoleEndpoint.attach(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  mkdirSync(SCREENSHOTS, { recursive: true });

  const signIn = async (who: Who) => {
    const context = await browser.newContext({ locale: "en-US" });
    const page = await context.newPage();
    await page.goto(`${base}/`);
    await page.getByLabel("User name").fill(USERS[who].name);
    await page.getByLabel("Password").fill(USERS[who].password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${base}/`);
    return page;
  };

  return {
    service,
    served,
    panel,
    server,
    base,
    browser,
    keys,
    signIn,
    screenshot: async (page, shot) => void (await page.screenshot({ path: join(SCREENSHOTS, `${shot}.png`), fullPage: true })),
    close: async () => {
      await browser.close().catch(() => undefined);
      panel.dropStreams();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await service.close();
      await served.stop();
    },
  };
};
