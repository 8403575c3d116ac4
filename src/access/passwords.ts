/**
 * Panel passwords: scrypt from node:crypto (memory-hard, no native dependency), stored as
 * `scrypt$N$r$p$salt$hash` so the cost can be raised later without breaking old hashes.
 * Unlike API keys, passwords are chosen by people and guessable, so a slow hash matters here.
 */
import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";

// N=2^15, r=8: 32 MiB and ~60-100 ms per hash on the project's machine; maxmem must allow it.
const COST = { N: 32_768, r: 8, p: 1 } as const;
const KEY_BYTES = 32;
const MAX_MEM = 64 * 1024 * 1024;

export const MIN_PASSWORD_LENGTH = 10;
const MAX_PASSWORD_LENGTH = 200;

const derive = (password: string, salt: Buffer, cost: { N: number; r: number; p: number }): Promise<Buffer> =>
  new Promise((resolve, reject) => scrypt(password.normalize("NFC"), salt, KEY_BYTES, { ...cost, maxmem: MAX_MEM }, (error, key) => (error ? reject(error) : resolve(key))));

/** Why a password cannot be used, or null when it can. */
export const passwordProblem = (password: string, userName: string): string | null => {
  if (password.length < MIN_PASSWORD_LENGTH) return `a password needs at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > MAX_PASSWORD_LENGTH) return `a password has at most ${MAX_PASSWORD_LENGTH} characters`;
  if (password.toLowerCase().includes(userName.toLowerCase()) && userName.length >= 3) return "a password must not contain the user name";
  if (new Set(password).size < 4) return "a password needs at least 4 different characters";
  return null;
};

export const hashPassword = async (password: string): Promise<string> => {
  const salt = randomBytes(16);
  const hash = await derive(password, salt, COST);
  return `scrypt$${COST.N}$${COST.r}$${COST.p}$${salt.toString("base64url")}$${hash.toString("base64url")}`;
};

export const verifyPassword = async (password: string, stored: string | null): Promise<boolean> => {
  const parts = stored?.split("$");
  if (!parts || parts.length !== 6 || parts[0] !== "scrypt") {
    // Same work as a real check, so a missing user or password does not answer faster.
    await derive(password, randomBytes(16), COST);
    return false;
  }
  const [, n, r, p, salt, hash] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(hash, "base64url");
  const actual = await derive(password, Buffer.from(salt, "base64url"), { N: Number(n), r: Number(r), p: Number(p) });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
};

/** A password to print once (first start): 18 random characters from an unambiguous alphabet. */
export const newPassword = (): string => {
  const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  return Array.from(randomBytes(18), (b) => alphabet[b % alphabet.length]).join("");
};
