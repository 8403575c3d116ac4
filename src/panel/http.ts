/**
 * What every panel response and request goes through: the security headers (a strict
 * Content-Security-Policy: only this origin's own scripts and styles, nothing inline, nothing
 * from elsewhere), cookies, and the Origin check for state changes.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { timingSafeEqual } from "node:crypto";
import type { Html } from "./html";

export const SESSION_COOKIE = "simgate_session";

export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

const SECURITY_HEADERS = {
  "content-security-policy": CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "same-origin",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
  "cache-control": "no-store",
} as const;

export const sendHtml = (res: ServerResponse, status: number, page: Html, headers: Record<string, string | string[]> = {}): void => {
  res.writeHead(status, { ...SECURITY_HEADERS, "content-type": "text/html; charset=utf-8", ...headers });
  res.end(page.text);
};

export const redirect = (res: ServerResponse, to: string, headers: Record<string, string | string[]> = {}): void => {
  res.writeHead(303, { ...SECURITY_HEADERS, location: to, ...headers });
  res.end();
};

export const securityHeaders = SECURITY_HEADERS;

export const cookies = (req: IncomingMessage): Map<string, string> => {
  const out = new Map<string, string>();
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0) out.set(part.slice(0, eq).trim(), decodeURIComponent(part.slice(eq + 1).trim()));
  }
  return out;
};

/** Secure only over HTTPS (directly or behind a proxy that says so): a LAN panel on plain HTTP would lose it. */
const overTls = (req: IncomingMessage) => (req.socket as { encrypted?: boolean }).encrypted === true || req.headers["x-forwarded-proto"] === "https";

export const sessionCookie = (req: IncomingMessage, token: string | null): string =>
  `${SESSION_COOKIE}=${token ?? ""}; Path=/; HttpOnly; SameSite=Strict${overTls(req) ? "; Secure" : ""}${token === null ? "; Max-Age=0" : ""}`;

export const clientAddress = (req: IncomingMessage): string => req.socket.remoteAddress ?? "unknown";

/**
 * Null when the request comes from this panel's own pages, else the origin it came from.
 * A state change must carry Origin (every current browser sends it on POST) naming this
 * host; a GET (the live stream) may lack it, but then Sec-Fetch-Site, when the browser sends
 * it, must not say another site.
 */
export const foreignOrigin = (req: IncomingMessage, stateChange: boolean): string | null => {
  const origin = req.headers.origin;
  if (origin === undefined) {
    if (stateChange) return "(none)";
    const site = req.headers["sec-fetch-site"];
    return site === undefined || site === "same-origin" || site === "none" ? null : `(sec-fetch-site: ${site})`;
  }
  try {
    return new URL(origin).host === req.headers.host ? null : origin;
  } catch {
    return origin;
  }
};

export const sameSecret = (a: string | undefined, b: string): boolean => {
  if (a === undefined) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};
