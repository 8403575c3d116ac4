import { createInterface } from "node:readline";
import { Schema } from "effect";
import { DECODE_KINDS, decodeToShape, guessKind } from "./decode-kinds";
import { readArgs, refuse } from "./args";

const USAGE = `usage:
  simgate decode pdu <hex> [--no-smsc]     decode one SMS PDU
  simgate decode at '<text>' [--kind K] [--solicited]
                                           parse a modem reply or unsolicited code
                                           (\\r and \\n escapes are understood)
  simgate decode --batch                   JSON lines on stdin -> JSON lines on stdout:
                                           {"kind", "input", "has_smsc", "solicited"}`;

/** A decode that did not succeed: its error is printed, and the command exits 1. */
const failed = (result: unknown) => typeof result === "object" && result !== null && !Array.isArray(result) && "error" in result;

/**
 * `decode`: one input for people (pretty JSON; exit 1 when it does not decode, 2 for bad
 * usage) or a batch for programs (JSON lines, an error line per bad input, exit 0).
 */
export const runDecode = async (args: string[]): Promise<number> => {
  const read = readArgs(args, {
    batch: { type: "boolean" },
    "no-smsc": { type: "boolean" },
    kind: { type: "string" },
    solicited: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (!read.ok) return refuse("decode", USAGE, read.message);
  const { values, positionals } = read.parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values.batch) return runBatch();
  const [what, value] = positionals;
  if (what === "pdu" && value) {
    const result = decodeToShape({ kind: "pdu", input: value, has_smsc: !values["no-smsc"] });
    print(result, 2);
    return failed(result) ? 1 : 0;
  }
  if (what === "at" && value !== undefined) {
    const text = value.replace(/\\r/g, "\r").replace(/\\n/g, "\n");
    if (values.kind !== undefined && !(DECODE_KINDS as readonly string[]).includes(values.kind))
      return refuse("decode", USAGE, `unknown kind '${values.kind}' (known: ${DECODE_KINDS.join(", ")})`);
    const kind = values.kind ?? guessKind(text);
    if (!kind) {
      process.stderr.write(`simgate decode: cannot tell what '${value}' is; name it with --kind\n`);
      return 2;
    }
    const result = decodeToShape({ kind, input: text, solicited: values.solicited === true });
    print({ kind, result }, 2);
    return failed(result) ? 1 : 0;
  }
  process.stderr.write(USAGE + "\n");
  return 2;
};

const runBatch = async (): Promise<number> => {
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  let lineNo = 0;
  for await (const line of lines) {
    lineNo++;
    if (!line.trim()) continue;
    let req: unknown;
    try {
      req = JSON.parse(line);
    } catch {
      print({ error: `line ${lineNo}: not JSON` });
      continue;
    }
    if (!isRequest(req)) {
      print({ error: `line ${lineNo}: expected {"kind": string, "input": string, "has_smsc"?: boolean, "solicited"?: boolean}` });
      continue;
    }
    print(decodeToShape(req));
  }
  return 0;
};

/** A line of `--batch`; keys it does not name are ignored. */
const BatchRequest = Schema.Struct({ kind: Schema.String, input: Schema.String, has_smsc: Schema.optional(Schema.Boolean), solicited: Schema.optional(Schema.Boolean) });
const isRequest = Schema.is(BatchRequest);

const print = (value: unknown, indent?: number) => process.stdout.write(JSON.stringify(value, null, indent) + "\n");
