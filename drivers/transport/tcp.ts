import { connect, type Socket } from "node:net";
import { Effect, type Scope } from "effect";
import { onceEnd, TransportError, type Transport, type TransportListener } from "./transport";

/** `tcp://host:port` -> host and port, or null. */
export const parseTcpTarget = (target: string): { host: string; port: number } | null => {
  const match = /^tcp:\/\/([^:/]+):(\d{1,5})$/.exec(target);
  if (!match || Number(match[2]) > 65535) return null;
  return { host: match[1]!, port: Number(match[2]) };
};

/** Opens a raw TCP connection to a networked serial port (ser2net and modem pools). */
export const openTcp = (target: string, options: { connectTimeoutMs?: number } = {}): Effect.Effect<Transport, TransportError, Scope.Scope> =>
  Effect.gen(function* () {
    const address = parseTcpTarget(target);
    if (!address) return yield* Effect.fail(new TransportError({ reason: "open-failed", target, message: "expected tcp://host:port" }));
    const timeoutMs = options.connectTimeoutMs ?? 5000;
    const socket = yield* Effect.acquireRelease(
      Effect.async<Socket, TransportError>((resume) => {
        const socket = connect(address.port, address.host);
        socket.pause();
        socket.setNoDelay(true);
        const timer = setTimeout(() => {
          socket.destroy();
          resume(Effect.fail(new TransportError({ reason: "open-failed", target, message: `no connection after ${timeoutMs} ms` })));
        }, timeoutMs);
        socket.once("connect", () => {
          clearTimeout(timer);
          resume(Effect.succeed(socket));
        });
        socket.once("error", (error) => {
          clearTimeout(timer);
          resume(Effect.fail(new TransportError({ reason: "open-failed", target, message: error.message })));
        });
      }),
      (socket) => Effect.sync(() => socket.destroy()),
    );
    // As for serial ports: an 'error' with no listener would be thrown by Node.
    let ended: ((reason: string) => void) | null = null;
    socket.on("error", (error) => ended?.(error.message));
    const send = (data: Uint8Array | string) => {
      if (socket.destroyed) return ended?.("connection closed");
      socket.write(typeof data === "string" ? Buffer.from(data, "latin1") : data);
    };
    const listen = (listener: TransportListener) => {
      const end = onceEnd(listener);
      ended = end;
      const onData = (chunk: Buffer) => listener.data(chunk);
      const onClose = () => end("connection closed");
      socket.on("data", onData);
      socket.on("close", onClose);
      socket.resume();
      return () => {
        ended = null;
        socket.off("data", onData);
        socket.off("close", onClose);
      };
    };
    return { target, send, listen } satisfies Transport;
  });
