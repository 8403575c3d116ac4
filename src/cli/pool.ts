import { createPool, listPools, parsePoolFilter, PoolFilterError, poolTitleProblem, rotatePoolKey } from "../pools/pools";
import { EMBEDDED_NOTE, withStore } from "./store-for-cli";
import { decodeArg, readArgs, WholeNumberArg } from "./args";

const USAGE = `usage: simgate pool create <title> --cards <filter>
       simgate pool list
       simgate pool key <id>

create  makes an SR-Navigator pool and prints its pool_key (shown once; stored hashed).
        <filter> is "all", or terms joined by ";" such as device=train;operator=MTS
        (device=<config id>, operator=<name>, iccid=<ICCID>; a term may list values
        separated by commas). Cards found later that match join the pool.
list    the pools, their card counts and how many are open.
key     gives pool <id> a new key and prints it; the old one stops working.

${EMBEDDED_NOTE}`;

/** A pool's id as `pool list` prints it. */
const PoolId = WholeNumberArg(0, Number.MAX_SAFE_INTEGER);

export const runPool = async (args: string[]): Promise<number> => {
  const usage = (code: number, why?: string) => {
    process.stderr.write(`${why ? `simgate pool: ${why}\n\n` : ""}${USAGE}\n`);
    return code;
  };
  const read = readArgs(args, { cards: { type: "string" }, help: { type: "boolean", short: "h" } });
  if (!read.ok) return usage(2, read.message);
  if (read.parsed.values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const [sub, ...rest] = read.parsed.positionals;
  const filterText = read.parsed.values.cards;
  if (!sub) return usage(2);
  if (sub !== "create" && filterText !== undefined) return usage(2, "--cards goes with create");
  try {
    if (sub === "create") {
      const title = rest[0];
      if (!title) return usage(2, "a title is needed");
      const titleProblem = poolTitleProblem(title);
      if (titleProblem) return usage(2, titleProblem);
      if (filterText === undefined) return usage(2, "--cards <filter> is needed (all, or e.g. device=train)");
      if (rest.length !== 1) return usage(2, `unexpected arguments: ${rest.slice(1).join(" ")}`);
      const filter = parsePoolFilter(filterText);
      const made = await withStore((db) => createPool(db, title, filter));
      process.stdout.write(`pool ${made.id} "${title}": ${made.cards} cards now\npool_key: ${made.key}\n`);
      return 0;
    }
    if (sub === "list") {
      const rows = await withStore((db) => listPools(db));
      for (const r of rows) process.stdout.write(`${r.id}\t${r.title}\t${r.cards} cards\t${r.open} open\t${JSON.stringify(r.filter)}\n`);
      return 0;
    }
    if (sub === "key") {
      const id = decodeArg(PoolId, rest[0] ?? "", "a pool id is needed (see simgate pool list)");
      if (!id.ok || rest.length !== 1) return usage(2, "a pool id is needed (see simgate pool list)");
      const key = await withStore((db) => rotatePoolKey(db, id.value!));
      if (key === null) {
        process.stderr.write(`simgate pool: no pool ${id.value}\n`);
        return 1;
      }
      process.stdout.write(`pool_key: ${key}\n`);
      return 0;
    }
    return usage(2, `unknown subcommand "${sub}"`);
  } catch (error) {
    if (error instanceof PoolFilterError) return usage(2, error.message);
    process.stderr.write(`simgate pool: ${(error as Error).message}\n`);
    return 1;
  }
};
