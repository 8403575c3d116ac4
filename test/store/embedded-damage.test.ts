import { mkdtempSync, statSync, truncateSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Effect } from "effect";
import { describe, expect, it } from "vitest";
import { openStore } from "../../src/store/database";

// The embedded database refuses a damaged data directory with what to do about it, instead
// of a stack trace from inside the engine.
describe("the embedded database", () => {
  it("names the directory, says it may be damaged and how to recover, and changes nothing", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "simgate-damaged-"));
    await Effect.runPromise(Effect.scoped(openStore({ kind: "embedded", dataDir })));
    // The control file is what a hard stop mid-write can leave half-written.
    truncateSync(join(dataDir, "global", "pg_control"), 0);
    const outcome = await Effect.runPromise(Effect.either(Effect.scoped(openStore({ kind: "embedded", dataDir }))));
    expect(outcome._tag).toBe("Left");
    const message = outcome._tag === "Left" ? outcome.left.message : "";
    expect(message).toContain(`embedded database in ${dataDir}`);
    expect(message).toContain("may have been left damaged by a hard stop");
    expect(message).toContain("DATABASE_URL");
    // Left as it was found, for whoever recovers it.
    expect(statSync(join(dataDir, "global", "pg_control")).size).toBe(0);
  }, 60_000);
});
