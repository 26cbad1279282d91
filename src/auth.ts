// API-key authentication. Keys are compared as SHA-256 digests in constant time, so neither the
// comparison's timing nor a key's length says anything about the configured keys.
import type { Config } from "./config.ts";

export interface Principal {
  /** The service the key belongs to; `API_KEYS` are the built-in default service's keys. */
  service: string;
  /** A digest prefix naming the key without revealing it; scopes idempotency keys. */
  keyId: string;
}

export const DEFAULT_SERVICE = "default";

const digestCache = new WeakMap<Config, Promise<Uint8Array[]>>();

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

/** Reads `Authorization: Bearer <key>`; returns null for a missing, malformed or unknown key. */
export async function authenticate(authorization: string | null | undefined, config: Config): Promise<Principal | null> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
  if (!match) return null;
  let digests = digestCache.get(config);
  if (!digests) {
    digests = Promise.all(config.apiKeys.map(sha256));
    digestCache.set(config, digests);
  }
  const candidate = await sha256(match[1]!);
  let found = false;
  // Compare against every key without early exit.
  for (const digest of await digests) {
    if (crypto.subtle.timingSafeEqual(candidate, digest)) found = true;
  }
  if (!found) return null;
  const keyId = Array.from(candidate.subarray(0, 8), (b) => b.toString(16).padStart(2, "0")).join("");
  return { service: DEFAULT_SERVICE, keyId };
}
