import { Effect } from "effect";
import { migrate, openStore, redact, storeTargetFromEnv } from "../store/database";
import { readArgs, refuse } from "./args";

const USAGE = `usage: simgate migrate

Applies the store's migrations: to the PostgreSQL server in DATABASE_URL when it is set,
else to the embedded database in SIMGATE_DATA_DIR (default ./data). The service also
applies them at start.`;

export const runMigrate = async (args: string[]): Promise<number> => {
  const read = readArgs(args, { help: { type: "boolean", short: "h" } }, { positionals: false });
  if (!read.ok) return refuse("migrate", USAGE, read.message);
  if (read.parsed.values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const target = storeTargetFromEnv();
  const where = target.kind === "postgres" ? redact(target.url) : `embedded database in ${target.dataDir}`;
  const outcome = await Effect.runPromise(Effect.scoped(Effect.flatMap(openStore(target), migrate)).pipe(Effect.either));
  if (outcome._tag === "Left") {
    process.stderr.write(`simgate migrate: ${outcome.left.message}\n`);
    return 1;
  }
  const applied = outcome.right.applied;
  process.stdout.write(applied.length ? `${where}: applied ${applied.join(", ")}\n` : `${where}: up to date\n`);
  return 0;
};
