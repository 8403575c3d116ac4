/**
 * One line per refused input: `<source>.<path>: <what>` (e.g. `simgate.config.json.devices[1].modmes:
 * unknown setting (known: id, title, ...)`), read from a Schema's ParseError. The schemas carry
 * their own words as `message` annotations; this module only finds the first issue, writes its
 * place, and says which keys are known when a key is not.
 */
import { ParseResult, type SchemaAST } from "effect";

type Path = ReadonlyArray<PropertyKey>;

/** `devices[1].modems[0]` after the source: dots before names, brackets around indexes. */
export const placeOf = (source: string, path: Path): string =>
  path.reduce<string>((at, key) => (typeof key === "number" ? `${at}[${key}]` : at === "" ? String(key) : `${at}.${String(key)}`), source);

/** The keys an object may have at `path` of the encoded (input) side of a schema. */
export const knownKeysAt = (ast: SchemaAST.AST, path: Path): readonly string[] | null => {
  switch (ast._tag) {
    case "Transformation":
      return knownKeysAt(ast.from, path) ?? knownKeysAt(ast.to, path);
    case "Refinement":
      return knownKeysAt(ast.from, path);
    case "Suspend":
      return knownKeysAt(ast.f(), path);
    case "Union":
      for (const member of ast.types) {
        const keys = knownKeysAt(member, path);
        if (keys) return keys;
      }
      return null;
    case "TypeLiteral": {
      if (path.length === 0) return ast.propertySignatures.map((p) => String(p.name));
      const property = ast.propertySignatures.find((p) => p.name === path[0]);
      return property ? knownKeysAt(property.type, path.slice(1)) : null;
    }
    case "TupleType": {
      if (path.length === 0 || typeof path[0] !== "number") return null;
      const element = ast.elements[path[0]]?.type ?? ast.rest[0]?.type;
      return element ? knownKeysAt(element, path.slice(1)) : null;
    }
    default:
      return null;
  }
};

/** The first thing wrong, as `<source>.<path>: <what>`; `source` "" leaves just the path. */
export const describeParseError = (error: ParseResult.ParseError, source: string, schema: { readonly ast: SchemaAST.AST }): string => {
  // Only a union reports several issues (one per member); the deepest one is the member that
  // nearly fitted (`modems[0]` rather than `modems` is not "simulated").
  const issue = ParseResult.ArrayFormatter.formatErrorSync(error).reduce<ParseResult.ArrayFormatterIssue | undefined>(
    (best, next) => (best === undefined || next.path.length > best.path.length ? next : best),
    undefined,
  );
  if (!issue) return `${source}: is not valid`;
  const place = placeOf(source, issue.path);
  if (issue._tag === "Unexpected") {
    const known = knownKeysAt(schema.ast, issue.path.slice(0, -1));
    return `${place}: unknown setting${known ? ` (known: ${known.join(", ")})` : ""}`;
  }
  return `${place || source}: ${issue.message}`;
};
