import { connect, type Socket } from "node:net";
import { Effect, Stream, type Scope } from "effect";
import { TransportError, type Transport } from "./transport";

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
    const socket = yield* Effect.acquireRelease(
      Effect.async<Socket, TransportError>((resume) => {
        const socket = connect(address.port, address.host);
        socket.pause();
        socket.setNoDelay(true);
        const timer = setTimeout(() => {
          socket.destroy();
          resume(Effect.fail(new TransportError({ reason: "open-failed", target, message: `no connection after ${options.connectTimeoutMs ?? 5000} ms` })));
        }, options.connectTimeoutMs ?? 5000);
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
    const swallow = () => {};
    socket.on("error", swallow);
    const reads = Stream.async<Uint8Array, TransportError>((emit) => {
      const onData = (chunk: Buffer) => void emit.single(chunk);
      const onEnd = () => void emit.fail(new TransportError({ reason: "gone", target, message: "connection closed" }));
      const onError = (error: Error) => void emit.fail(new TransportError({ reason: "gone", target, message: error.message }));
      socket.on("data", onData);
      socket.on("close", onEnd);
      socket.on("error", onError);
      socket.resume();
      return Effect.sync(() => {
        socket.off("data", onData);
        socket.off("close", onEnd);
        socket.off("error", onError);
      });
    });
    const write = (data: Uint8Array | string) =>
      Effect.async<void, TransportError>((resume) => {
        if (socket.destroyed) return resume(Effect.fail(new TransportError({ reason: "gone", target, message: "connection closed" })));
        socket.write(typeof data === "string" ? Buffer.from(data, "latin1") : data, (error) =>
          resume(error ? Effect.fail(new TransportError({ reason: "write-failed", target, message: error.message })) : Effect.void),
        );
      });
    return { target, write, reads } satisfies Transport;
  });
