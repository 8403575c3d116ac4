import { createInterface } from "node:readline";
import { decodeToShape, guessKind } from "./decode-kinds";

const USAGE = `usage:
  simgate decode pdu <hex> [--no-smsc]     decode one SMS PDU
  simgate decode at '<text>' [--kind K] [--solicited]
                                           parse a modem reply or unsolicited code
                                           (\\r and \\n escapes are understood)
  simgate decode --batch                   JSON lines on stdin -> JSON lines on stdout:
                                           {"kind", "input", "has_smsc", "solicited"}`;

/** `decode`: one input for people (pretty JSON) or a batch for programs (JSON lines). */
export const runDecode = async (args: string[]): Promise<number> => {
  if (args.includes("--batch")) return runBatch();
  const [what, value] = args;
  if (what === "pdu" && value) {
    print(decodeToShape({ kind: "pdu", input: value, has_smsc: !args.includes("--no-smsc") }), 2);
    return 0;
  }
  if (what === "at" && value !== undefined) {
    const text = value.replace(/\\r/g, "\r").replace(/\\n/g, "\n");
    const kindAt = args.indexOf("--kind");
    const kind = kindAt >= 0 ? args[kindAt + 1] : guessKind(text);
    if (!kind) {
      process.stderr.write(`simgate decode: cannot tell what '${value}' is; name it with --kind\n`);
      return 2;
    }
    print({ kind, result: decodeToShape({ kind, input: text, solicited: args.includes("--solicited") }) }, 2);
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

const isRequest = (v: unknown): v is { kind: string; input: string; has_smsc?: boolean; solicited?: boolean } => {
  if (typeof v !== "object" || v === null) return false;
  const r = v as Record<string, unknown>;
  const optionalBoolean = (x: unknown) => x === undefined || typeof x === "boolean";
  return typeof r.kind === "string" && typeof r.input === "string" && optionalBoolean(r.has_smsc) && optionalBoolean(r.solicited);
};

const print = (value: unknown, indent?: number) => process.stdout.write(JSON.stringify(value, null, indent) + "\n");
