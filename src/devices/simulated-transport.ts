/**
 * A transport to a simulated device in the same process (the demo farm, `simulated` in a
 * configuration): the same AT port and actor code as for real hardware, without PTYs. Bytes
 * travel asynchronously both ways, as on a real line.
 */
import { Effect } from "effect";
import type { Transport, TransportListener } from "../../drivers/transport/transport";

export interface LineDevice {
  input(chunk: Uint8Array | string): void;
  attachHost(sink: (bytes: Buffer) => void): () => void;
}

export const openSimulated = (device: LineDevice, target: string): Effect.Effect<Transport> =>
  Effect.sync(() => ({
    target,
    send: (data) => {
      const bytes = typeof data === "string" ? data : Buffer.from(data);
      setImmediate(() => device.input(bytes));
    },
    listen: (listener: TransportListener) => device.attachHost((bytes) => setImmediate(() => listener.data(bytes))),
  }));
