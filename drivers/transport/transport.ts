/**
 * A byte pipe to a modem: a serial device (USB modems, the simulator's PTYs) or a raw TCP
 * port (networked modem pools, ser2net). Opening is a scoped resource: closing the scope
 * closes the device.
 *
 * The interface is callbacks rather than streams on purpose: every AT command crosses it
 * twice, and bench:actor measured the stream hops at more than the command itself.
 */
import { Data } from "effect";

export class TransportError extends Data.TaggedError("TransportError")<{
  readonly reason: "open-failed" | "gone" | "write-failed";
  readonly target: string;
  readonly message: string;
}> {}

export interface TransportListener {
  readonly data: (chunk: Uint8Array) => void;
  /** The device went away (unplugged, connection closed, a write failed). Called once. */
  readonly end: (reason: string) => void;
}

export interface Transport {
  /** What was opened, for logs and errors (`/dev/ttyUSB3`, `tcp://10.0.0.5:4001`). */
  readonly target: string;
  /** Queues bytes for the device. A write that fails means the device is gone: `end` is called. */
  readonly send: (data: Uint8Array | string) => void;
  /** Starts delivering chunks (the device is paused until then). Returns a function that stops. */
  readonly listen: (listener: TransportListener) => () => void;
}

/** Calls `end` once, however many ways the device reports going away. */
export const onceEnd = (listener: TransportListener): ((reason: string) => void) => {
  let ended = false;
  return (reason) => {
    if (ended) return;
    ended = true;
    listener.end(reason);
  };
};
