/**
 * API and pool keys: 32 random bytes shown once, stored as their SHA-256. The keys carry
 * their own entropy, so a fast hash is enough; a lookup by hash never compares the secret
 * itself, and the final comparison is constant-time.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

export const newKey = (): string => randomBytes(24).toString("base64url");

export const hashKey = (key: string): string => createHash("sha256").update(key, "utf8").digest("hex");

export const sameHash = (a: string, b: string): boolean => {
  const x = Buffer.from(a, "hex");
  const y = Buffer.from(b, "hex");
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
};

/** Keys a client may send: printable, bounded (anything else is refused before hashing). */
export const plausibleKey = (key: unknown): key is string => typeof key === "string" && key.length >= 8 && key.length <= 200 && /^[\x21-\x7e]+$/.test(key);
