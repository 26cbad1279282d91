// One-time codes: generation, keyed hashing and constant-time comparison.
// No I/O and no ambient randomness: the random source is passed in so tests can fix it.

/** Fills `bytes` with random bytes; in production `crypto.getRandomValues`. */
export type RandomSource = (bytes: Uint8Array) => void;

export const cryptoRandom: RandomSource = (bytes) => {
  crypto.getRandomValues(bytes);
};

/**
 * A string of `length` decimal digits, each uniform: bytes >= 250 are rejected because
 * `byte % 10` over 0..255 would favour 0-5.
 */
export function generateCode(length: number, random: RandomSource): string {
  if (!Number.isInteger(length) || length < 1 || length > 32) {
    throw new RangeError(`code length out of range: ${length}`);
  }
  let code = "";
  const buffer = new Uint8Array(length * 2);
  while (code.length < length) {
    random(buffer);
    for (const byte of buffer) {
      if (byte >= 250) continue;
      code += String(byte % 10);
      if (code.length === length) break;
    }
  }
  return code;
}

/** Imports the HMAC key once per isolate per secret; importKey is not free on the hot path. */
const keyCache = new Map<string, Promise<CryptoKey>>();

export function importCodeKey(secret: string): Promise<CryptoKey> {
  let key = keyCache.get(secret);
  if (!key) {
    key = crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(secret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    keyCache.set(secret, key);
  }
  return key;
}

/**
 * HMAC-SHA256(secret, verificationId ‖ 0x00 ‖ code). The id binds the hash to one verification so
 * a stored hash cannot be replayed against another; a plain hash of 10^6 codes would be reversible.
 */
export async function hashCode(key: CryptoKey, verificationId: string, code: string): Promise<Uint8Array> {
  const message = new TextEncoder().encode(`${verificationId}\u0000${code}`);
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, message));
}

/** Constant-time equality of two MACs (workerd's `timingSafeEqual`); unequal lengths are unequal. */
export function macEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  return crypto.subtle.timingSafeEqual(a, b);
}

/** A candidate code is well formed when it is 4 to 10 ASCII digits. */
export function isWellFormedCode(code: string): boolean {
  return /^[0-9]{4,10}$/.test(code);
}
