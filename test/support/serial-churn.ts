/**
 * Opens and closes serial ports on simulated modems over and over, with reads out, writes in
 * flight and devices unplugged under them; prints "survived" and exits 0 if the process is
 * still alive at the end. Run in its own process by test/drivers/serial-hangup.test.ts: a
 * binding that polls a destroyed poller takes the whole process down (SIGSEGV), not one test.
 */
import { Effect, Exit, Scope } from "effect";
import { openSerial } from "../../drivers/transport/serial";
import { Farm } from "../../hil/farm";
import { ServedFarm } from "../../hil/serve";

const main = async () => {
  const rounds = Number(process.argv[2] ?? 300);
  const farm = new Farm({ modems: [{ id: "a" }, { id: "b" }] });
  const served = await ServedFarm.start(farm);
  await farm.settled();
  for (let i = 0; i < rounds; i++) {
    const id = i % 2 ? "a" : "b";
    const scope = Effect.runSync(Scope.make());
    const transport = await Effect.runPromise(Scope.extend(openSerial(served.pathOf(id)!), scope));
    transport.listen({ data: () => {}, end: () => {} });
    transport.send("AT\r");
    if (i % 3 === 0) await new Promise((r) => setTimeout(r, (i % 4) * 1.5));
    if (i % 7 === 0) await served.unplug(id);
    await Effect.runPromise(Scope.close(scope, Exit.void));
    if (i % 7 === 0) await served.replug(id);
  }
  await served.stop();
  process.stdout.write("survived\n");
  process.exit(0);
};
void main();
