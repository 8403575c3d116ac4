/**
 * The one way every `simgate` command reads its arguments: node:util parseArgs, strict (an
 * unknown option or an option without its value is refused in parseArgs' own words), and
 * option values that are numbers or names decoded by a Schema. A refusal prints the reason
 * and the command's usage and ends with exit code 2.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { Either, Schema } from "effect";

export type Parsed<T extends ParseArgsConfig> = ReturnType<typeof parseArgs<T>>;

/** parseArgs with `strict`; its error message instead of a throw. */
export const readArgs = <const O extends NonNullable<ParseArgsConfig["options"]>>(
  args: readonly string[],
  options: O,
  { positionals = true }: { readonly positionals?: boolean } = {},
): { readonly ok: true; readonly parsed: Parsed<{ args: string[]; options: O; allowPositionals: boolean; strict: true }> } | { readonly ok: false; readonly message: string } => {
  try {
    return { ok: true, parsed: parseArgs({ args: [...args], options, allowPositionals: positionals, strict: true }) };
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
};

/** Digits on the command line as a whole number from `min` to `max`. */
export const WholeNumberArg = (min: number, max: number) =>
  Schema.transform(Schema.String.pipe(Schema.pattern(/^\d+$/)), Schema.Number, { strict: true, decode: Number, encode: String }).pipe(Schema.between(min, max));

/** One of a list of names. */
export const NameArg = <N extends string>(names: readonly N[]): Schema.Schema<N> => Schema.Literal(...names) as unknown as Schema.Schema<N>;

/**
 * An option's value through its schema; absent stays absent. `words` say what the option
 * wants (`--timeout needs a number of ms (at least 200)`), the same for every wrong value.
 */
export const decodeArg = <A, I>(schema: Schema.Schema<A, I>, value: string | undefined, words: string): { readonly ok: true; readonly value: A | undefined } | { readonly ok: false; readonly message: string } => {
  if (value === undefined) return { ok: true, value: undefined };
  const decoded = Schema.decodeUnknownEither(schema)(value);
  return Either.isRight(decoded) ? { ok: true, value: decoded.right } : { ok: false, message: words };
};

/** `simgate <command>: <why>`, a blank line, the usage, on standard error; exit code 2. */
export const refuse = (command: string, usage: string, why: string): number => {
  process.stderr.write(`simgate ${command}: ${why}\n\n${usage}\n`);
  return 2;
};
