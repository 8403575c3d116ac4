/**
 * `simgate user add|passwd|role|list`: panel and API users from the shell. Passwords are read
 * from SIMGATE_PASSWORD when set (scripts), else from standard input (one line), so they
 * never appear in the process list or shell history.
 */
import { createInterface } from "node:readline";
import { AccountError, addUser, listUsers, setPassword, setRole } from "../access/accounts";
import { ROLES } from "../access/roles";
import { EMBEDDED_NOTE, withStore } from "./store-for-cli";
import { decodeArg, NameArg, readArgs, refuse } from "./args";

const USAGE = `usage: simgate user add <name> <role>      a new user (prints its API key once)
       simgate user passwd <name>          a new panel password (signs the user out everywhere)
       simgate user role <name> <role>     change a user's role
       simgate user list                   users, roles, whether they have a password

Roles: ${ROLES.join(", ")} (one role for the panel and the API). The password is read from
SIMGATE_PASSWORD, else from standard input; at least 10 characters, not the user name.

${EMBEDDED_NOTE}`;

const readPassword = async (): Promise<string> => {
  if (process.env.SIMGATE_PASSWORD) return process.env.SIMGATE_PASSWORD;
  if (process.stdin.isTTY) process.stderr.write("password: ");
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    lines.close();
    return line;
  }
  throw new AccountError("no password given (standard input was empty; or set SIMGATE_PASSWORD)");
};

const BY = "shell";

const Role = NameArg(ROLES);

export const runUser = async (args: string[]): Promise<number> => {
  const read = readArgs(args, { help: { type: "boolean", short: "h" } });
  if (!read.ok) return refuse("user", USAGE, read.message);
  if (read.parsed.values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const { positionals } = read.parsed;
  const [action, name] = positionals;
  const usage = (code: number) => (process.stderr.write(`${USAGE}\n`), code);
  const role = decodeArg(Role, positionals[2], `no role "${positionals[2]}" (${ROLES.join(", ")})`);
  try {
    switch (action) {
      case "add": {
        if (!name || positionals.length !== 3) return usage(2);
        if (!role.ok) throw new AccountError(role.message);
        const given = role.value!;
        const password = await readPassword();
        const { key } = await withStore((db) => addUser(db, name, given, password, BY));
        process.stdout.write(`user ${name} (${given}) added\napi_key (${name}): ${key}   (shown once; stored hashed)\n`);
        return 0;
      }
      case "passwd": {
        if (!name || positionals.length !== 2) return usage(2);
        const password = await readPassword();
        await withStore((db) => setPassword(db, name, password, BY));
        process.stdout.write(`password of ${name} set; their sessions are ended\n`);
        return 0;
      }
      case "role": {
        if (!name || positionals.length !== 3) return usage(2);
        if (!role.ok) throw new AccountError(role.message);
        const given = role.value!;
        await withStore((db) => setRole(db, name, given, BY));
        process.stdout.write(`${name} is now ${given}\n`);
        return 0;
      }
      case "list": {
        if (positionals.length !== 1) return usage(2);
        const users = await withStore((db) => listUsers(db));
        for (const u of users) process.stdout.write(`${u.name.padEnd(20)} ${u.role.padEnd(9)} ${u.hasPassword ? "password set" : "no password (API only)"}\n`);
        return 0;
      }
      default:
        return usage(2);
    }
  } catch (error) {
    process.stderr.write(`simgate user: ${(error as Error).message}\n`);
    return error instanceof AccountError ? 2 : 1;
  }
};
