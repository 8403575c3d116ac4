import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures");

export const readJsonFixture = <T>(name: string): T => JSON.parse(readFileSync(join(FIXTURES, name), "utf8")) as T;

/** The `.dump` files of a gammu fixture folder, as [name, text] pairs (read as Latin-1 bytes). */
export const gammuDumps = (folder: string): [string, string][] =>
  readdirSync(join(FIXTURES, "gammu", folder))
    .filter((f) => f.endsWith(".dump"))
    .sort()
    .map((f) => [f, readFileSync(join(FIXTURES, "gammu", folder, f), "latin1")]);

export const readGammuFile = (folder: string, file: string): string =>
  readFileSync(join(FIXTURES, "gammu", folder, file), "latin1");
