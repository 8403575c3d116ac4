/**
 * `simgate user add|passwd|role|list`: panel and API users from the shell. Passwords are read
 * from SIMGATE_PASSWORD when set (scripts), else from standard input (one line), so they
 * never appear in the process list or shell history.
 */
import { createInterface } from "node:readline";
import { AccountError, addUser, listUsers, setPassword, setRole } from "../access/accounts";
import { isRole, ROLES } from "../access/roles";
import { EMBEDDED_NOTE, withStore } from "./store-for-cli";

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

export const runUser = async (args: string[]): Promise<number> => {
  const [action, name, role] = args;
  const usage = (code: number) => (process.stderr.write(`${USAGE}\n`), code);
  try {
    switch (action) {
      case "add": {
        if (!name || !role || args.length !== 3) return usage(2);
        if (!isRole(role)) throw new AccountError(`no role "${role}" (${ROLES.join(", ")})`);
        const password = await readPassword();
        const { key } = await withStore((db) => addUser(db, name, role, password, BY));
        process.stdout.write(`user ${name} (${role}) added\napi_key (${name}): ${key}   (shown once; stored hashed)\n`);
        return 0;
      }
      case "passwd": {
        if (!name || args.length !== 2) return usage(2);
        const password = await readPassword();
        await withStore((db) => setPassword(db, name, password, BY));
        process.stdout.write(`password of ${name} set; their sessions are ended\n`);
        return 0;
      }
      case "role": {
        if (!name || !role || args.length !== 3) return usage(2);
        if (!isRole(role)) throw new AccountError(`no role "${role}" (${ROLES.join(", ")})`);
        await withStore((db) => setRole(db, name, role, BY));
        process.stdout.write(`${name} is now ${role}\n`);
        return 0;
      }
      case "list": {
        if (args.length !== 1) return usage(2);
        const users = await withStore((db) => listUsers(db));
        for (const u of users) process.stdout.write(`${u.name.padEnd(20)} ${u.role.padEnd(9)} ${u.hasPassword ? "password set" : "no password (API only)"}\n`);
        return 0;
      }
      default:
        return usage(action === "--help" ? 0 : 2);
    }
  } catch (error) {
    process.stderr.write(`simgate user: ${(error as Error).message}\n`);
    return error instanceof AccountError ? 2 : 1;
  }
};
