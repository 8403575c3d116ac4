/**
 * Request parameters as the panel APIs take them: the query string, overridden field by
 * field by a form body (application/x-www-form-urlencoded, or multipart/form-data with plain
 * fields). Bodies are capped: a client cannot make the service buffer without end.
 */
import type { IncomingMessage } from "node:http";

export const MAX_BODY_BYTES = 256 * 1024;


export class BodyTooLarge extends Error {}

/** The request body, refused past `maxBytes` (default MAX_BODY_BYTES) without buffering the rest. */
export const readBody = (req: IncomingMessage, maxBytes = MAX_BODY_BYTES): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        reject(new BodyTooLarge(`request body over ${maxBytes} bytes`));
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });

/** Plain fields of a multipart body (files are ignored). */
const multipartFields = (body: Buffer, boundary: string): Map<string, string> => {
  const fields = new Map<string, string>();
  for (const part of body.toString("utf8").split(`--${boundary}`)) {
    const split = part.indexOf("\r\n\r\n");
    if (split < 0) continue;
    const head = part.slice(0, split);
    const name = /name="([^"]*)"/i.exec(head)?.[1];
    if (!name || /filename=/i.test(head)) continue;
    fields.set(name, part.slice(split + 4).replace(/\r\n$/, ""));
  }
  return fields;
};

/** The fields of a form body: multipart/form-data by its boundary, else urlencoded. */
export const formFields = (body: Buffer, contentType: string): Map<string, string> => {
  const boundary = /multipart\/form-data;.*boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  return boundary ? multipartFields(body, boundary) : new Map(new URLSearchParams(body.toString("utf8")));
};

export const requestParams = async (req: IncomingMessage): Promise<Map<string, string>> => {
  const url = new URL(req.url ?? "/", "http://localhost");
  const params = new Map<string, string>();
  for (const [k, v] of url.searchParams) if (!params.has(k)) params.set(k, v);
  if (req.method !== "POST") return params;
  const body = await readBody(req);
  if (body.length === 0) return params;
  for (const [k, v] of formFields(body, req.headers["content-type"] ?? "")) params.set(k, v);
  return params;
};
