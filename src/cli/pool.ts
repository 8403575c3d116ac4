import { createPool, listPools, parsePoolFilter, PoolFilterError, poolTitleProblem, rotatePoolKey } from "../pools/pools";
import { EMBEDDED_NOTE, withStore } from "./store-for-cli";

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

export const runPool = async (args: string[]): Promise<number> => {
  const [sub, ...rest] = args;
  const usage = (code: number, why?: string) => {
    process.stderr.write(`${why ? `simgate pool: ${why}\n\n` : ""}${USAGE}\n`);
    return code;
  };
  if (!sub || sub === "--help") return usage(sub ? 0 : 2);
  try {
    if (sub === "create") {
      const title = rest[0];
      const at = rest.indexOf("--cards");
      const filterText = at >= 0 ? rest[at + 1] : undefined;
      if (!title || title.startsWith("--")) return usage(2, "a title is needed");
      const titleProblem = poolTitleProblem(title);
      if (titleProblem) return usage(2, titleProblem);
      if (filterText === undefined) return usage(2, "--cards <filter> is needed (all, or e.g. device=train)");
      if (rest.length !== 3) return usage(2, `unexpected arguments: ${rest.filter((_, i) => i !== 0 && i !== at && i !== at + 1).join(" ")}`);
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
      const id = rest[0];
      if (!id || !/^\d+$/.test(id) || rest.length !== 1) return usage(2, "a pool id is needed (see simgate pool list)");
      const key = await withStore((db) => rotatePoolKey(db, Number(id)));
      if (key === null) {
        process.stderr.write(`simgate pool: no pool ${id}\n`);
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
