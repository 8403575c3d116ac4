/**
 * An in-memory serial line to a virtual modem, for unit tests: a Node Duplex stream whose
 * writes are the host's bytes and whose reads are the modem's output.
 */
import { Duplex } from "node:stream";
import type { VirtualModem } from "../modem/modem";

export const openDuplex = (modem: VirtualModem): Duplex => {
  let detach = () => {};
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      modem.input(chunk);
      callback();
    },
    final(callback) {
      detach();
      callback();
    },
    destroy(error, callback) {
      detach();
      callback(error);
    },
  });
  detach = modem.attachHost((bytes) => stream.push(bytes));
  return stream;
};
