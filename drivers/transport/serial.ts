import { SerialPort } from "serialport";
import { Effect, type Scope } from "effect";
import { onceEnd, TransportError, type Transport, type TransportListener } from "./transport";

export interface SerialOptions {
  readonly baudRate?: number;
}

// serialport reads into a pool of highWaterMark bytes per port (64 KiB by default); AT
// traffic comes in far smaller pieces, and a farm has hundreds of ports.
const READ_POOL_BYTES = 4096;

/**
 * Opens a serial device with an exclusive lock (two programs on one port is a classic failure
 * of modem farms). The device stays paused until someone listens, so nothing is lost between
 * opening and the reader starting.
 */
export const openSerial = (path: string, options: SerialOptions = {}): Effect.Effect<Transport, TransportError, Scope.Scope> =>
  Effect.gen(function* () {
    const port = yield* Effect.acquireRelease(
      Effect.async<SerialPort, TransportError>((resume) => {
        const port = new SerialPort({ path, baudRate: options.baudRate ?? 115200, autoOpen: false, lock: true, highWaterMark: READ_POOL_BYTES });
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
    // serialport also emits write failures as 'error' events, which Node throws when nobody
    // listens. Never removed: a write can fail while the scope is closing the port.
    let ended: ((reason: string) => void) | null = null;
    port.on("error", (error: Error) => ended?.(error.message));
    const send = (data: Uint8Array | string) => {
      if (!port.isOpen) return ended?.("port is closed");
      // A tty that vanished fails the write with EIO; serialport does not always tell a reader.
      port.write(typeof data === "string" ? Buffer.from(data, "latin1") : data, (error) => error && ended?.(error.message));
    };
    const listen = (listener: TransportListener) => {
      const end = onceEnd(listener);
      ended = end;
      const onData = (chunk: Buffer) => listener.data(chunk);
      const onClose = (error: Error | null) => end(error?.message ?? "port closed");
      port.on("data", onData);
      port.on("close", onClose);
      return () => {
        ended = null;
        port.off("data", onData);
        port.off("close", onClose);
      };
    };
    return { target: path, send, listen } satisfies Transport;
  });
