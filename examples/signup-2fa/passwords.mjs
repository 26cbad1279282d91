// Password hashing with scrypt from node:crypto: a per-password random salt, parameters stored with
// the hash so they can be raised later, and a constant-time comparison.
import { randomBytes, scrypt as scryptCallback, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";

const scrypt = promisify(scryptCallback);
// N = 2^15, r = 8, p = 1: about 32 MiB and tens of ms per hash, within OWASP's scrypt guidance.
const PARAMS = { N: 2 ** 15, r: 8, p: 1 };
const KEY_BYTES = 32;
const MAX_MEMORY_BYTES = 64 * 1024 * 1024;

/** "scrypt$N$r$p$salt$hash" (base64url). */
export async function hashPassword(password) {
  const salt = randomBytes(16);
  const key = await scrypt(password.normalize("NFKC"), salt, KEY_BYTES, { ...PARAMS, maxmem: MAX_MEMORY_BYTES });
  return ["scrypt", PARAMS.N, PARAMS.r, PARAMS.p, salt.toString("base64url"), key.toString("base64url")].join("$");
}

export async function verifyPassword(password, stored) {
  const [scheme, N, r, p, salt, hash] = stored.split("$");
  if (scheme !== "scrypt") return false;
  const expected = Buffer.from(hash, "base64url");
  const key = await scrypt(password.normalize("NFKC"), Buffer.from(salt, "base64url"), expected.length, {
    N: Number(N),
    r: Number(r),
    p: Number(p),
    maxmem: MAX_MEMORY_BYTES,
  });
  return timingSafeEqual(key, expected);
}

// Checked against when the number is unknown, so a login takes as long whether or not it exists.
export const DUMMY_HASH = await hashPassword(randomBytes(16).toString("hex"));
