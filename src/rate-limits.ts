// The service's rate limits as a start meets them: the definitions, read from the service registry
// through a per-isolate cache (like API keys: a change made in another isolate applies within
// KEY_CACHE_MS, one made here at once), and the counters a start's key values take. A start that
// names no rate limit never reaches this module: it costs nothing.
import { hex, KEY_CACHE_MS, registryOf, sha256, type Principal } from "./auth.ts";
import { rateLimitScopes, type RateLimitDefinition } from "./core/rate-limits.ts";
import type { ScopeRequest } from "./core/scopes.ts";
import { afterReset } from "./objects/reset.ts";

const cache = new Map<string, { definitions: Promise<RateLimitDefinition[]>; expiresAt: number }>();
const CACHE_MAX = 2_000;

/** The service's rate limits with their buckets; concurrent starts share one registry read. */
export function rateLimitDefinitions(env: Env, serviceId: string): Promise<RateLimitDefinition[]> {
  const now = Date.now();
  const cached = cache.get(serviceId);
  if (cached && cached.expiresAt > now) return cached.definitions;
  const definitions = afterReset<RateLimitDefinition[]>(() => registryOf(env).rateLimitDefinitions(serviceId));
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
  cache.set(serviceId, { definitions, expiresAt: now + KEY_CACHE_MS });
  // A failed read is not remembered: the next start asks again.
  definitions.catch(() => cache.get(serviceId)?.definitions === definitions && cache.delete(serviceId));
  return definitions;
}

/** Forgets this isolate's copy of a service's rate limits (after a change made here). */
export function forgetRateLimits(serviceId: string): void {
  cache.delete(serviceId);
}

/**
 * The counters a start takes for its key values (core/rate-limits.ts decides which). Values are
 * hashed first: a counter's name carries no IP address or phone number in clear.
 */
export async function rateLimitScopesFor(env: Env, principal: Principal, values: Readonly<Record<string, string>>): Promise<ScopeRequest[]> {
  const keys = Object.keys(values);
  if (keys.length === 0) return [];
  const [definitions, digests] = await Promise.all([
    rateLimitDefinitions(env, principal.serviceId),
    Promise.all(keys.map(async (key) => [key, await rateLimitValueDigest(values[key]!)] as const)),
  ]);
  return rateLimitScopes(principal.service, definitions, values, Object.fromEntries(digests));
}

/** A key's value as its counters know it: the first 128 bits of a SHA-256, in hex. */
export async function rateLimitValueDigest(value: string): Promise<string> {
  return hex(await sha256(`edge-verify/rate-limit-value\0${value}`)).slice(0, 32);
}
