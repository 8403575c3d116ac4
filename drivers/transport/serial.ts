import { read } from "node:fs";
import { promisify } from "node:util";
import { autoDetect, BindingsError, LinuxBinding, type AutoDetectTypes, type LinuxBindingInterface, type LinuxOpenOptions, type LinuxPortBinding } from "@serialport/bindings-cpp";
import { SerialPortStream } from "@serialport/stream";
import { Effect, type Scope } from "effect";
import { onceEnd, TransportError, type Transport, type TransportListener } from "./transport";

export interface SerialOptions {
  readonly baudRate?: number;
}

// serialport reads into a pool of highWaterMark bytes per port (64 KiB by default); AT
// traffic comes in far smaller pieces, and a farm has hundreds of ports.
const READ_POOL_BYTES = 4096;

/*
 * Why the Linux binding is wrapped: an unplugged USB modem (or a PTY whose master closed) has
 * its tty hung up. From then on read() answers 0 bytes at once, and poll() reports
 * POLLHUP|POLLERR, which libuv passes on as an error. A read already waiting on the poller
 * when the hang-up comes is told so. But the binding's unixRead (@serialport/bindings-cpp
 * 13.0.0, dist/unix-read.js) answers 0 bytes by reading again at once, without the poller,
 * so a read that starts after the hang-up (it lands between two reads, or nobody listened
 * yet) spins: about 12,000 reads a second, a core per unplugged modem, and the port stays
 * open until a write fails with EIO, which for an idle modem is the supervisor's health
 * check up to 30 s later.
 *
 * So each opened port gets a read of its own: unixRead, except that after 0 bytes it waits
 * for the poller as it does after EAGAIN. A poller error, or 0 bytes again after the poller
 * said readable, is a hang-up (with the binding's vmin of 1 a live tty with nothing to read
 * answers EAGAIN, and the lock keeps other readers away, so readable-then-nothing is the end).
 * The read then fails rather than returning 0 bytes: SerialPortStream would take 0 bytes for
 * the end of the stream and leave the port open, while a failed read without `canceled` is
 * a disconnect to it, and it closes the port, which ends the transport. Writes, close and
 * the rest stay the binding's own. Only the Linux binding is wrapped (farms run on Linux,
 * where this was checked); other platforms get the binding serialport would pick.
 */
const readAsync = promisify(read);
const TRY_AGAIN = new Set(["EAGAIN", "EWOULDBLOCK", "EINTR"]);

const hungUp = (detail: string) => new Error(`the tty hung up (${detail})`);

const readable = (port: LinuxPortBinding) =>
  new Promise<void>((resolve, reject) =>
    port.poller.once("readable", (error) => {
      if (!error) return resolve();
      // A close cancels the wait with a `canceled` error, which the stream must see as such.
      reject((error as Partial<BindingsError>).canceled ? error : hungUp(`poll: ${error.message}`));
    }),
  );

const readUntilHangUp = async (port: LinuxPortBinding, buffer: Buffer, offset: number, length: number) => {
  let pollerSaidReadable = false;
  for (;;) {
    if (!port.isOpen || port.fd === null) throw new BindingsError("Port is not open", { canceled: true });
    let bytesRead = -1;
    try {
      ({ bytesRead } = await readAsync(port.fd, buffer, offset, length, null));
    } catch (error) {
      if (!TRY_AGAIN.has((error as NodeJS.ErrnoException).code ?? "")) throw error;
    }
    if (bytesRead > 0) return { bytesRead, buffer };
    // Closed while the read was out: the poller is destroyed with the port, and asking a
    // destroyed poller to poll takes the whole process down (a libuv assertion).
    if (!port.isOpen || port.fd === null) throw new BindingsError("Port is not open", { canceled: true });
    if (bytesRead === 0 && pollerSaidReadable) throw hungUp("read returns 0 bytes");
    await readable(port);
    pollerSaidReadable = true;
  }
};

// Parameters typed by hand: @serialport/bindings-interface publishes no types for the way
// this project resolves modules, so the binding interface's own come out as `any`.
const hangUpAwareLinuxBinding: LinuxBindingInterface = {
  list: () => LinuxBinding.list(),
  open: async (options: LinuxOpenOptions): Promise<LinuxPortBinding> => {
    const port = await LinuxBinding.open(options);
    port.read = (buffer: Buffer, offset: number, length: number) => readUntilHangUp(port, buffer, offset, length);
    return port;
  },
};

const binding: AutoDetectTypes = process.platform === "linux" ? hangUpAwareLinuxBinding : autoDetect();

/**
 * Opens a serial device with an exclusive lock (two programs on one port is a classic failure
 * of modem farms). The device stays paused until someone listens, so nothing is lost between
 * opening and the reader starting.
 */
export const openSerial = (path: string, options: SerialOptions = {}): Effect.Effect<Transport, TransportError, Scope.Scope> =>
  Effect.gen(function* () {
    const port = yield* Effect.acquireRelease(
      Effect.async<SerialPortStream, TransportError>((resume) => {
        const port = new SerialPortStream({ binding, path, baudRate: options.baudRate ?? 115200, autoOpen: false, lock: true, highWaterMark: READ_POOL_BYTES });
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
