import { hashKey, newKey } from "../access/keys";
import { EMBEDDED_NOTE, withStore } from "./store-for-cli";

const USAGE = `usage: simgate key rotate <user>

Gives the API user a new api_key (created if the user does not exist) and prints it once;
the old key stops working. The first start makes the user "admin".

${EMBEDDED_NOTE}`;

export const runKey = async (args: string[]): Promise<number> => {
  if (args[0] !== "rotate" || args.length !== 2 || !/^[\w.-]{1,64}$/.test(args[1]!)) {
    process.stderr.write(`${USAGE}\n`);
    return args[0] === "--help" ? 0 : 2;
  }
  const name = args[1]!;
  const key = newKey();
  try {
    await withStore((db) =>
      db
        .insertInto("api_users")
        .values({ name, key_hash: hashKey(key) })
        .onConflict((oc) => oc.column("name").doUpdateSet({ key_hash: hashKey(key) }))
        .execute(),
    );
  } catch (error) {
    process.stderr.write(`simgate key: ${(error as Error).message}\n`);
    return 1;
  }
  process.stdout.write(`api_key (${name}): ${key}\n`);
  return 0;
};
