import { hashKey, newKey } from "../access/keys";
import { Schema } from "effect";
import { EMBEDDED_NOTE, withStore } from "./store-for-cli";
import { decodeArg, readArgs, refuse } from "./args";

const USAGE = `usage: simgate key rotate <user>

Gives the API user a new api_key (created if the user does not exist) and prints it once;
the old key stops working. The first start makes the user "admin".

${EMBEDDED_NOTE}`;

/** An API user's name, as the SimFolder API and the configuration's `owner` spell it. */
const UserName = Schema.String.pipe(Schema.pattern(/^[\w.-]{1,64}$/));

export const runKey = async (args: string[]): Promise<number> => {
  const read = readArgs(args, { help: { type: "boolean", short: "h" } });
  if (!read.ok) return refuse("key", USAGE, read.message);
  if (read.parsed.values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const [action, given, ...extra] = read.parsed.positionals;
  if (action !== "rotate" || given === undefined || extra.length > 0) return refuse("key", USAGE, action === "rotate" ? "one user name is needed" : action === undefined ? "what to do? (rotate)" : `unknown subcommand "${action}"`);
  const user = decodeArg(UserName, given, `"${given}" is not a user name (1-64 letters, digits, '.', '_', '-')`);
  if (!user.ok) return refuse("key", USAGE, user.message);
  const name = user.value!;
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
