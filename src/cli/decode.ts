import { createInterface } from "node:readline";
import { Schema } from "effect";
import { decodeToShape, guessKind } from "./decode-kinds";
import { readArgs, refuse } from "./args";

const USAGE = `usage:
  simgate decode pdu <hex> [--no-smsc]     decode one SMS PDU
  simgate decode at '<text>' [--kind K] [--solicited]
                                           parse a modem reply or unsolicited code
                                           (\\r and \\n escapes are understood)
  simgate decode --batch                   JSON lines on stdin -> JSON lines on stdout:
                                           {"kind", "input", "has_smsc", "solicited"}`;

/** `decode`: one input for people (pretty JSON) or a batch for programs (JSON lines). */
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
    print(decodeToShape({ kind: "pdu", input: value, has_smsc: !values["no-smsc"] }), 2);
    return 0;
  }
  if (what === "at" && value !== undefined) {
    const text = value.replace(/\\r/g, "\r").replace(/\\n/g, "\n");
    // --kind names any kind decode-kinds.ts knows; one it does not is answered in the output.
    const kind = values.kind ?? guessKind(text);
    if (!kind) {
      process.stderr.write(`simgate decode: cannot tell what '${value}' is; name it with --kind\n`);
      return 2;
    }
    print({ kind, result: decodeToShape({ kind, input: text, solicited: values.solicited === true }) }, 2);
    return 0;
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
