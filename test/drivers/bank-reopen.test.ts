import { describe, expect, it } from "@effect/vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { Effect } from "effect";
import { reopeningBank } from "../../drivers/bank/reopening-bank";
import { makeSrSerialBank, srBankLayout } from "../../drivers/bank/sr-serial";
import { openSerial } from "../../drivers/transport/serial";
import { Farm } from "../../hil/farm";
import { ServedFarm } from "../../hil/serve";

// An SR controller whose USB-serial line vanishes and comes back on another tty, opened by
// its stable link: switches fail with the reason while it is away, and work again once it
// is back, without restarting anything.
let served: ServedFarm;
const links = join(mkdtempSync(join(tmpdir(), "simgate-bank-")), "by-id");

beforeAll(async () => {
  served = await ServedFarm.start(new Farm({ banks: [{ id: "box", model: "sr-box-bank", rows: 2 }] }), { linkDir: links });
  await served.farm.settled();
});
afterAll(async () => served?.stop());

describe("a SIM bank whose line comes and goes", () => {
  it.scopedLive("reopens the controller's line after it vanished, and says so", () =>
    Effect.gen(function* () {
      const said: string[] = [];
      const driver = yield* reopeningBank(
        srBankLayout("sr-box-bank", 2),
        openSerial(join(links, "box")),
        (line) => makeSrSerialBank(line, { model: "sr-box-bank", rows: 2, timeoutMs: 500 }),
        (detail) => Effect.sync(() => void said.push(detail)),
      );
      expect((yield* driver.select("A2")).position).toBe("A2");
      yield* Effect.promise(() => served.unplug("box"));
      const away = yield* driver.select("B2").pipe(Effect.flip);
      expect(away).toMatchObject({ _tag: "BankError", reason: "gone" });
      expect(away.detail).toContain("could not be opened again");
      yield* Effect.promise(() => served.replug("box"));
      const back = yield* driver.select("B2");
      expect(back.position).toBe("B2");
      expect(served.farm.banks.get("box")!.positionOf(back.modem)).toBe("B2");
      expect(said).toContain("the controller's line is open again");
    }),
    20_000,
  );

  it.scopedLive("starts without its line (the adapter not plugged in yet): switches say why, and work once it is there", () =>
    Effect.gen(function* () {
      const said: string[] = [];
      yield* Effect.promise(() => served.unplug("box"));
      const driver = yield* reopeningBank(
        srBankLayout("sr-box-bank", 2),
        openSerial(join(links, "box")),
        (line) => makeSrSerialBank(line, { model: "sr-box-bank", rows: 2, timeoutMs: 500 }),
        (detail) => Effect.sync(() => void said.push(detail)),
      );
      // Its layout is known without the line.
      expect(driver.positions).toContain("B2");
      expect(driver.preview("B2")?.modem).toBe(2);
      const away = yield* driver.select("B1").pipe(Effect.flip);
      expect(away).toMatchObject({ _tag: "BankError", reason: "gone" });
      expect(away.detail).toMatch(/^the controller's line could not be opened: /);
      yield* Effect.promise(() => served.replug("box"));
      expect((yield* driver.select("B1")).position).toBe("B1");
      expect(served.farm.banks.get("box")!.positionOf(2)).toBe("B1");
      expect(said.at(-1)).toBe("the controller's line is open");
    }),
    20_000,
  );
});
