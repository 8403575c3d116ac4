/**
 * A TCP relay in front of the PostgreSQL server, so a test can take the database away from a
 * running service and give it back: `cut()` drops every connection and refuses new ones
 * (what a restarting or failed-over server looks like from the client side), `restore()`
 * accepts again. Loopback only.
 */
import { createConnection, createServer, type Server, type Socket } from "node:net";

export interface TcpProxy {
  /** The URL to hand the service: the target URL with the relay's port. */
  readonly url: string;
  /** Drops every open connection; new ones are refused until `restore`. */
  readonly cut: () => Promise<void>;
  /** Drops every open connection but keeps accepting (the server killed the backends). */
  readonly dropConnections: () => void;
  readonly restore: () => Promise<void>;
  readonly connections: () => number;
  readonly close: () => Promise<void>;
}

const listen = (server: Server, port: number) =>
  new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve((server.address() as { port: number }).port);
    });
  });

export const startTcpProxy = async (targetUrl: string): Promise<TcpProxy> => {
  const target = new URL(targetUrl);
  const targetPort = Number(target.port || 5432);
  const open = new Set<Socket>();
  const makeServer = () =>
    createServer((client) => {
      const upstream = createConnection({ host: target.hostname, port: targetPort });
      open.add(client);
      open.add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        open.delete(client);
        open.delete(upstream);
      };
      client.on("error", drop).on("close", drop);
      upstream.on("error", drop).on("close", drop);
      client.pipe(upstream);
      upstream.pipe(client);
    });
  let server = makeServer();
  const port = await listen(server, 0);
  const dropConnections = () => {
    for (const socket of open) socket.destroy();
    open.clear();
  };
  const url = new URL(targetUrl);
  url.port = String(port);
  return {
    url: url.toString(),
    dropConnections,
    cut: async () => {
      dropConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    restore: async () => {
      if (server.listening) return;
      server = makeServer();
      await listen(server, port);
    },
    connections: () => open.size / 2,
    close: async () => {
      dropConnections();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};
