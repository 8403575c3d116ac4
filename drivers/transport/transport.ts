/**
 * A byte pipe to a modem: a serial device (USB modems, the simulator's PTYs) or a raw TCP
 * port (networked modem pools, ser2net). Opening is a scoped resource: closing the scope
 * closes the device.
 */
import { Data, type Effect, type Stream } from "effect";

export class TransportError extends Data.TaggedError("TransportError")<{
  readonly reason: "open-failed" | "gone" | "write-failed";
  readonly target: string;
  readonly message: string;
}> {}

export interface Transport {
  /** What was opened, for logs and errors (`/dev/ttyUSB3`, `tcp://10.0.0.5:4001`). */
  readonly target: string;
  readonly write: (data: Uint8Array | string) => Effect.Effect<void, TransportError>;
  /** Bytes from the device; fails with reason "gone" when the device disappears. */
  readonly reads: Stream.Stream<Uint8Array, TransportError>;
}
