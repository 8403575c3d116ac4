/**
 * The one request reader of the service's HTTP faces: the query string, and a POST body read
 * once and capped (a client cannot make the service buffer without end) as a form
 * (application/x-www-form-urlencoded, or multipart/form-data: plain fields, and file parts
 * apart for the routes that take a file) or a JSON object, whose values stay JSON values
 * (a list may be an array). Body fields win over query fields of the same name.
 */
import type { IncomingMessage } from "node:http";

/** What a body may weigh unless its route says otherwise. */
export const MAX_BODY_BYTES = 256 * 1024;

export class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`request body over ${limit} bytes`);
  }
}

/** A JSON body that does not parse, or is not an object; `detail` is the parser's own words. */
export class BodyUnreadable extends Error {
  constructor(
    message: string,
    readonly detail: string,
  ) {
    super(message);
  }
}

export interface ReadOptions {
  /** The cap for this route (default MAX_BODY_BYTES); BodyTooLarge past it. */
  readonly maxBytes?: number;
  /**
   * What the body is: by its content type (the default); "json" whatever the type says (an
   * API that takes nothing else); "form" whatever the type says (a face whose clients send
   * forms only, and whose parameters are text: a JSON body is read as the form it is not, as
   * such a face always did).
   */
  readonly as?: "by-content-type" | "json" | "form";
}

export interface RequestFields {
  /** Query fields (the first of a repeated name), then the body's over them. */
  readonly fields: Map<string, unknown>;
  /** A multipart body's file parts, by field name, as text. */
  readonly files: Map<string, string>;
}

/** The raw body, refused past `maxBytes` without buffering the rest. */
const readRawBody = (req: IncomingMessage, maxBytes = MAX_BODY_BYTES): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on("data", (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > maxBytes) {
        refused = true;
        reject(new BodyTooLarge(maxBytes));
        // Drained, not buffered: the answer can still be written on this connection.
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });

const BOUNDARY = /multipart\/form-data;.*boundary="?([^";]+)"?/i;

const multipart = (text: string, boundary: string, into: RequestFields) => {
  for (const part of text.split(`--${boundary}`)) {
    const split = part.indexOf("\r\n\r\n");
    if (split < 0) continue;
    const head = part.slice(0, split);
    const name = /name="([^"]*)"/i.exec(head)?.[1];
    if (!name) continue;
    const value = part.slice(split + 4).replace(/\r\n$/, "");
    if (/filename=/i.test(head)) into.files.set(name, value);
    else into.fields.set(name, value);
  }
};

const jsonObject = (text: string): Record<string, unknown> => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new BodyUnreadable(`the JSON body does not parse: ${(error as Error).message}`, (error as Error).message);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    const what = parsed === null ? "null" : Array.isArray(parsed) ? "an array" : `a ${typeof parsed}`;
    throw new BodyUnreadable("the JSON body must be an object", `${what}, not an object`);
  }
  return parsed as Record<string, unknown>;
};

/** The fields of a body already read, by its content type (a form when it names none). */
const bodyFields = (body: Buffer, contentType: string, options: Pick<ReadOptions, "as"> = {}, into: RequestFields = { fields: new Map(), files: new Map() }): RequestFields => {
  const text = body.toString("utf8");
  if (!text.trim()) return into;
  if (options.as === "json" || (options.as !== "form" && contentType.includes("application/json"))) {
    for (const [k, v] of Object.entries(jsonObject(text))) into.fields.set(k, v);
    return into;
  }
  const boundary = BOUNDARY.exec(contentType)?.[1];
  if (boundary) multipart(text, boundary, into);
  else for (const [k, v] of new URLSearchParams(text)) into.fields.set(k, v);
  return into;
};

/** The body's fields alone (a POST's; other methods carry none). */
export const readBodyFields = async (req: IncomingMessage, options: ReadOptions = {}): Promise<RequestFields> => {
  if (req.method !== "POST") return { fields: new Map(), files: new Map() };
  return bodyFields(await readRawBody(req, options.maxBytes), req.headers["content-type"] ?? "", options);
};

/** The query's fields, then the body's over them. */
export const readRequestFields = async (req: IncomingMessage, url: URL, options: ReadOptions = {}): Promise<RequestFields> => {
  const into: RequestFields = { fields: new Map(), files: new Map() };
  for (const [k, v] of url.searchParams) if (!into.fields.has(k)) into.fields.set(k, v);
  if (req.method !== "POST") return into;
  return bodyFields(await readRawBody(req, options.maxBytes), req.headers["content-type"] ?? "", options, into);
};

/**
 * Fields as text, for the faces whose parameters are strings (read with `as: "form"`, every
 * value already is); any JSON value as its JSON text.
 */
export const textFields = (fields: ReadonlyMap<string, unknown>): Map<string, string> => {
  const out = new Map<string, string>();
  for (const [k, v] of fields) out.set(k, typeof v === "string" ? v : JSON.stringify(v));
  return out;
};
