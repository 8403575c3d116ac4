/**
 * Puts a farm on real devices: every modem and SIM-bank controller gets a pseudo-terminal (with
 * a stable symlink, like /dev/serial/by-id) and, when asked, a raw loopback TCP port (like a
 * ser2net port of a networked modem pool). Keeps the manifest file current.
 */
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import type { Farm } from "./farm";
import { SrController } from "./bank/sr-controller";
import { PtyHost, type PtyPort } from "./transport/pty-host";

/** Anything that talks over a serial line: a modem or a bank controller. */
interface LineDevice {
  input(chunk: Uint8Array | string): void;
  attachHost(sink: (bytes: Buffer) => void): () => void;
}

export interface ServeOptions {
  /** Directory for the stable symlinks (`<dir>/<id>`); none when omitted. */
  readonly linkDir?: string;
  /** Modem n (1-based, in farm order) listens on tcpBasePort + n - 1; banks follow the modems. */
  readonly tcpBasePort?: number;
  /** Manifest file, rewritten whenever a path or a SIM changes. */
  readonly manifestPath?: string;
  /** Printed into the manifest so a rig can find the control endpoint. */
  readonly controlUrl?: string;
}

interface Endpoint {
  readonly id: string;
  readonly device: LineDevice;
  pty: PtyPort | null;
  lastPath?: string;
  detach: () => void;
  tcp: { server: Server; port: number; client: Socket | null } | null;
}

export class ServedFarm {
  private readonly endpoints = new Map<string, Endpoint>();
  readonly controllers = new Map<string, SrController>();
  private manifestTimer: NodeJS.Timeout | null = null;
  controlUrl: string | undefined;

  private constructor(
    readonly farm: Farm,
    private readonly ptys: PtyHost,
    private readonly options: ServeOptions,
  ) {
    this.controlUrl = options.controlUrl;
  }

  static async start(farm: Farm, options: ServeOptions = {}): Promise<ServedFarm> {
    const ptys = await PtyHost.start();
    const served = new ServedFarm(farm, ptys, options);
    try {
      if (options.linkDir) mkdirSync(options.linkDir, { recursive: true });
      let n = 0;
      for (const modem of farm.modems.values()) {
        await served.addEndpoint(modem.id, modem, options.tcpBasePort === undefined ? undefined : options.tcpBasePort + n);
        modem.onChange(() => served.scheduleManifest());
        n++;
      }
      for (const bank of farm.banks.values()) {
        const controller = new SrController(bank);
        served.controllers.set(bank.id, controller);
        await served.addEndpoint(bank.id, controller, options.tcpBasePort === undefined ? undefined : options.tcpBasePort + n);
        n++;
      }
      farm.start();
      served.writeManifest();
      return served;
    } catch (error) {
      await served.stop();
      throw error;
    }
  }

  /**
   * Serves one more line device on its own pseudo-terminal (and TCP port, when given): a
   * replay modem answering from a field capture, say, next to the farm's modems.
   */
  async serveDevice(id: string, device: LineDevice, tcpPort?: number): Promise<string> {
    if (this.endpoints.has(id)) throw new Error(`a device "${id}" is served already`);
    await this.addEndpoint(id, device, tcpPort);
    return this.pathOf(id)!;
  }

  private async addEndpoint(id: string, device: LineDevice, tcpPort: number | undefined): Promise<void> {
    const endpoint: Endpoint = { id, device, pty: null, detach: () => {}, tcp: null };
    this.endpoints.set(id, endpoint);
    await this.plug(endpoint);
    if (tcpPort !== undefined) endpoint.tcp = await this.listenTcp(device, tcpPort);
  }

  private async plug(endpoint: Endpoint, avoidPath?: string): Promise<void> {
    const link = this.options.linkDir ? join(this.options.linkDir, endpoint.id) : undefined;
    let pty = await this.ptys.open(link);
    if (pty.path === avoidPath) {
      // The kernel hands out the lowest free pts number, which is the one just freed; a
      // re-enumerated USB modem comes back elsewhere, so take the next one.
      const other = await this.ptys.open(link);
      await pty.close();
      pty = other;
    }
    pty.onData((bytes) => endpoint.device.input(bytes));
    endpoint.detach = endpoint.device.attachHost((bytes) => pty.write(bytes));
    endpoint.pty = pty;
  }

  private listenTcp(device: LineDevice, port: number): Promise<NonNullable<Endpoint["tcp"]>> {
    return new Promise((resolve, reject) => {
      const tcp: NonNullable<Endpoint["tcp"]> = { server: createServer(), port, client: null };
      tcp.server.on("connection", (socket) => {
        // One client at a time, as a serial line (and ser2net's default) allows.
        if (tcp.client) {
          socket.end("port in use\r\n");
          return;
        }
        tcp.client = socket;
        socket.setNoDelay(true);
        const detach = device.attachHost((bytes) => socket.write(bytes));
        socket.on("data", (bytes) => device.input(bytes));
        socket.on("close", () => {
          detach();
          tcp.client = null;
        });
        socket.on("error", () => socket.destroy());
      });
      tcp.server.once("error", reject);
      tcp.server.listen(port, "127.0.0.1", () => {
        const address = tcp.server.address();
        resolve({ ...tcp, port: typeof address === "object" && address ? address.port : port });
        tcp.server.removeListener("error", reject);
      });
    });
  }

  /** The modem's device disappears (USB unplug) and the modem loses power. */
  async unplug(id: string): Promise<void> {
    const endpoint = this.endpoint(id);
    this.farm.modems.get(id)?.powerOff();
    endpoint.detach();
    endpoint.lastPath = endpoint.pty?.path ?? endpoint.lastPath;
    await endpoint.pty?.close();
    endpoint.pty = null;
    this.writeManifest();
  }

  /** It comes back, on a new tty (re-enumeration), and boots. */
  async replug(id: string): Promise<void> {
    const endpoint = this.endpoint(id);
    if (endpoint.pty) return;
    await this.plug(endpoint, endpoint.lastPath);
    this.farm.modems.get(id)?.powerOn();
    this.writeManifest();
  }

  private endpoint(id: string): Endpoint {
    const endpoint = this.endpoints.get(id);
    if (!endpoint) throw new Error(`no modem or bank "${id}"`);
    return endpoint;
  }

  pathOf(id: string): string | null {
    return this.endpoints.get(id)?.pty?.path ?? null;
  }

  tcpPortOf(id: string): number | null {
    return this.endpoints.get(id)?.tcp?.port ?? null;
  }

  manifest() {
    const modems = [...this.farm.modems.values()].map((m) => {
      const e = this.endpoints.get(m.id);
      const sim = m.sim;
      return {
        id: m.id,
        path: e?.pty?.path ?? null,
        link: e?.pty?.link ?? null,
        tcp: e?.tcp ? `tcp://127.0.0.1:${e.tcp.port}` : null,
        imei: m.imei,
        personality: m.personality.name,
        number: sim?.number ?? null,
        iccid: sim?.iccid ?? null,
        imsi: sim?.spec.imsi ?? null,
        operator: sim ? m.network.operatorOf(sim).name : null,
      };
    });
    const banks = [...this.farm.banks.values()].map((b) => {
      const e = this.endpoints.get(b.id);
      return {
        id: b.id,
        model: b.model,
        path: e?.pty?.path ?? null,
        link: e?.pty?.link ?? null,
        tcp: e?.tcp ? `tcp://127.0.0.1:${e.tcp.port}` : null,
        modems: b.modemList.map((m) => m.id),
      };
    });
    return { modems, banks, ...(this.controlUrl ? { control: this.controlUrl } : {}) };
  }

  private scheduleManifest(): void {
    if (!this.options.manifestPath || this.manifestTimer) return;
    this.manifestTimer = setTimeout(() => {
      this.manifestTimer = null;
      this.writeManifest();
    }, 50);
  }

  /** Written to a temporary file and renamed, so a reader never sees half a manifest. */
  writeManifest(): void {
    const path = this.options.manifestPath;
    if (!path) return;
    writeFileSync(`${path}.tmp`, `${JSON.stringify(this.manifest(), null, 2)}\n`);
    renameSync(`${path}.tmp`, path);
  }

  async stop(): Promise<void> {
    if (this.manifestTimer) clearTimeout(this.manifestTimer);
    this.farm.stop();
    for (const endpoint of this.endpoints.values()) {
      endpoint.detach();
      endpoint.tcp?.client?.destroy();
      if (endpoint.tcp) await new Promise<void>((resolve) => endpoint.tcp!.server.close(() => resolve()));
    }
    await this.ptys.stop();
  }
}
