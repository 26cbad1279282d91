// A service's own rate limits (Twilio Verify's Programmable Rate Limits): the rules a definition
// must meet, and the counters a start takes for the key values it supplies. A rate limit names a
// key (`end_user_ip_address`); each of its buckets allows `max` starts per `intervalSeconds` for
// each value of that key. Pure: no I/O; the caller hashes the values (a value may be an IP or a
// phone number, and is never used in clear).
import { invalidArgument } from "./errors.ts";
import type { ScopeRequest } from "./scopes.ts";

/** Twilio's rule for a rate limit's UniqueName (error 60209): letters, digits, `-`, `_` and `.`. */
export const UNIQUE_NAME = /^[A-Za-z0-9._-]+$/;
export const UNIQUE_NAME_MAX_LENGTH = 64;
export const DESCRIPTION_MAX_LENGTH = 256;
/** Per service (Twilio error 60207 when reached). */
export const MAX_RATE_LIMITS_PER_SERVICE = 10;
/** Per rate limit (Twilio error 60210 when reached). */
export const MAX_BUCKETS_PER_RATE_LIMIT = 5;
export const BUCKET_MAX_MIN = 1;
export const BUCKET_MAX_MAX = 1_000_000;
export const INTERVAL_SECONDS_MIN = 1;
/** 30 days: a sliding window's 60 buckets are then 12 hours wide. */
export const INTERVAL_SECONDS_MAX = 2_592_000;
/** A key's value in a start's `RateLimits`. */
export const RATE_LIMIT_VALUE_MAX_LENGTH = 256;

export const RATE_LIMIT_SID = /^RK[0-9a-f]{32}$/;
export const BUCKET_SID = /^BL[0-9a-f]{32}$/;

/** What enforcement needs of a rate limit: its name and buckets (no description, no dates). */
export interface RateLimitDefinition {
  sid: string;
  uniqueName: string;
  buckets: readonly BucketDefinition[];
}

export interface BucketDefinition {
  sid: string;
  max: number;
  intervalSeconds: number;
}

/** Why a UniqueName is refused, or null when it is well formed. */
export function uniqueNameProblem(name: string): string | null {
  if (name.length === 0) return "is required";
  if (name.length > UNIQUE_NAME_MAX_LENGTH) return `must be at most ${UNIQUE_NAME_MAX_LENGTH} characters`;
  if (!UNIQUE_NAME.test(name)) return "only supports alphanumeric characters and -, _ or .";
  return null;
}

/** A bucket's Max or Interval from its wire text, or why it is refused. */
export function bucketNumber(text: string, min: number, max: number): { value: number } | { problem: string } {
  const value = /^\d{1,10}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(value) || value < min || value > max) return { problem: `must be an integer from ${min} to ${max}` };
  return { value };
}

/**
 * A start's key values checked against the rules every definition meets (the definitions
 * themselves are the verifier's to read): at most as many as a service can define, each key a
 * well-formed unique name, each value 1 to RATE_LIMIT_VALUE_MAX_LENGTH characters.
 */
export function validateRateLimitValues(values: Readonly<Record<string, string>>): Record<string, string> {
  const entries = Object.entries(values);
  if (entries.length > MAX_RATE_LIMITS_PER_SERVICE) throw invalidArgument("rateLimits", `at most ${MAX_RATE_LIMITS_PER_SERVICE} keys (a service has at most that many rate limits)`);
  const out: Record<string, string> = {};
  for (const [key, value] of entries) {
    if (uniqueNameProblem(key) !== null) throw invalidArgument("rateLimits", `no rate limit named ${JSON.stringify(key.slice(0, UNIQUE_NAME_MAX_LENGTH))} on this service`);
    if (value.length === 0 || value.length > RATE_LIMIT_VALUE_MAX_LENGTH) {
      throw invalidArgument("rateLimits", `the value of "${key}" must be 1 to ${RATE_LIMIT_VALUE_MAX_LENGTH} characters`);
    }
    out[key] = value;
  }
  return out;
}

/** The ScopeCounter object of one value of one rate limit: all its buckets' counters, one RPC. */
export function rateLimitObjectName(service: string, rateLimitSid: string, valueDigest: string): string {
  return `${service}:rl:${rateLimitSid}:${valueDigest}`;
}

/**
 * The counters a start takes for its key values: for each rate limit it names, one counter per
 * bucket, in one object per (rate limit, value). A key no rate limit of the service has is refused
 * (a typo would otherwise switch a limit off without a word); a rate limit whose key the start
 * does not supply counts nothing, and one without buckets limits nothing. A bucket's counter is
 * named by its sid and interval, so a changed Max applies to the count so far and a changed
 * Interval starts a fresh count. `digests` holds each key's value hashed.
 */
export function rateLimitScopes(
  service: string,
  definitions: readonly RateLimitDefinition[],
  values: Readonly<Record<string, string>>,
  digests: Readonly<Record<string, string>>,
): ScopeRequest[] {
  const byName = new Map(definitions.map((d) => [d.uniqueName, d]));
  const scopes: ScopeRequest[] = [];
  for (const key of Object.keys(values)) {
    const definition = byName.get(key);
    if (!definition) throw invalidArgument("rateLimits", `no rate limit named ${JSON.stringify(key)} on this service`);
    const digest = digests[key];
    if (!digest) throw new Error(`no digest for the value of rate limit "${key}"`);
    for (const bucket of definition.buckets) {
      scopes.push({
        rule: "rate_limit",
        name: rateLimitObjectName(service, definition.sid, digest),
        counter: `${bucket.sid}:${bucket.intervalSeconds}`,
        // Sliding: never more than `max` in any interval, a unit forgotten at most 1/60 of it late.
        take: { limit: bucket.max, windowMs: bucket.intervalSeconds * 1000, kind: "sliding", enforce: true },
        message: `rateLimits: rate limit "${key}" allows ${bucket.max} verification${bucket.max === 1 ? "" : "s"} per ${bucket.intervalSeconds} seconds for this value; try again later`,
      });
    }
  }
  return scopes;
}
