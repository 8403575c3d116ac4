import { SerialPort } from "serialport";
import { Effect, Stream, type Scope } from "effect";
import { TransportError, type Transport } from "./transport";

export interface SerialOptions {
  readonly baudRate?: number;
}

/**
 * Opens a serial device with an exclusive lock (two programs on one port is a classic failure
 * of modem farms). The device stays paused until `reads` is run, so nothing is lost between
 * opening and the reader starting.
 */
export const openSerial = (path: string, options: SerialOptions = {}): Effect.Effect<Transport, TransportError, Scope.Scope> =>
  Effect.gen(function* () {
    const port = yield* Effect.acquireRelease(
      Effect.async<SerialPort, TransportError>((resume) => {
        const port = new SerialPort({ path, baudRate: options.baudRate ?? 115200, autoOpen: false, lock: true });
        port.open((error) =>
          resume(error ? Effect.fail(new TransportError({ reason: "open-failed", target: path, message: error.message })) : Effect.succeed(port)),
        );
      }),
      (port) =>
        Effect.async<void>((resume) => {
          if (!port.isOpen) return resume(Effect.void);
          port.close(() => resume(Effect.void));
        }),
    );
    // serialport also emits write failures as 'error' events; with no listener Node would
    // throw them. Failures reach callers through the write callback and the reads stream.
    // Never removed: a write can fail while the scope is closing the port.
    const swallow = () => {};
    port.on("error", swallow);
    const reads = Stream.async<Uint8Array, TransportError>((emit) => {
      const onData = (chunk: Buffer) => void emit.single(chunk);
      const onClose = (error: (Error & { disconnected?: boolean }) | null) =>
        void emit.fail(new TransportError({ reason: "gone", target: path, message: error?.message ?? "port closed" }));
      const onError = (error: Error) => void emit.fail(new TransportError({ reason: "gone", target: path, message: error.message }));
      port.on("data", onData);
      port.on("close", onClose);
      port.on("error", onError);
      return Effect.sync(() => {
        port.off("data", onData);
        port.off("close", onClose);
        port.off("error", onError);
      });
    });
    const write = (data: Uint8Array | string) =>
      Effect.async<void, TransportError>((resume) => {
        if (!port.isOpen) return resume(Effect.fail(new TransportError({ reason: "gone", target: path, message: "port is closed" })));
        port.write(typeof data === "string" ? Buffer.from(data, "latin1") : data, (error) =>
          resume(error ? Effect.fail(new TransportError({ reason: "write-failed", target: path, message: error.message })) : Effect.void),
        );
      });
    return { target: path, write, reads } satisfies Transport;
  });
