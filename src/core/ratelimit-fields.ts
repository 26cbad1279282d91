// A number's limits as the RateLimit-Policy and RateLimit response fields of the IETF httpapi
// draft (draft-ietf-httpapi-ratelimit-headers, revision 11): which quota policies a start or a
// check meets, and what is left of each now. Pure: counters, limits and `now` in; the numbers are
// the ones the number's decisions enforce (src/core/policy.ts), so a client that follows them is
// not refused by them. Transports only serialise (rateLimitFields).
import type { RateLimitItem, RateLimitPolicy, Refusal } from "./errors.ts";

export type { RateLimitItem, RateLimitPolicy };
import { DAY_MS, TEN_MINUTES_MS, resendCooldown, retryAfter, type NumberCounters, type NumberLimits } from "./policy.ts";
import type { VerificationRecord } from "./verification.ts";

/**
 * A sliding window over event times (oldest first): what is left, and when the first unit comes
 * back, i.e. when the event leaves the window after which fewer than `quota` remain in it (the
 * oldest one while some are left). With nothing counted, a whole window holds the whole quota.
 */
function sliding(policy: RateLimitPolicy, times: readonly number[], quota: number, windowMs: number, now: number): RateLimitItem {
  const counted = times.filter((t) => t > now - windowMs);
  const freeing = counted[Math.max(0, counted.length - quota)];
  const windowSeconds = windowMs / 1000;
  return { policy, quota, windowSeconds, remaining: Math.max(0, quota - counted.length), resetSeconds: freeing === undefined ? windowSeconds : retryAfter(freeing + windowMs, now) };
}

/** One code at a time: none while the cooldown after the last send runs; the window is the ladder's step. */
function cooldown(counters: NumberCounters, limits: NumberLimits, now: number): RateLimitItem[] {
  const c = resendCooldown(counters, now, limits);
  if (now < c.until) return [{ policy: "resend_cooldown", quota: 1, windowSeconds: c.waitSeconds, remaining: 0, resetSeconds: retryAfter(c.until, now) }];
  // A ladder step of 0 is no cooldown: a window must be at least a second.
  return c.nextWaitSeconds > 0 ? [{ policy: "resend_cooldown", quota: 1, windowSeconds: c.nextWaitSeconds, remaining: 1, resetSeconds: c.nextWaitSeconds }] : [];
}

/** Wrong codes per number per day; while the number is locked none is left until the lock ends. */
function failedChecks(counters: NumberCounters, limits: NumberLimits, now: number): RateLimitItem {
  const item = sliding("failed_checks_per_day", counters.failedCheckTimes, limits.failedChecksPerDay, DAY_MS, now);
  return counters.lockedUntil > now ? { ...item, remaining: 0, resetSeconds: retryAfter(counters.lockedUntil, now) } : item;
}

/** The policies a start meets (the number's sends, and the lock-out that refuses starts too). */
export function startRateLimits(counters: NumberCounters, limits: NumberLimits, now: number): RateLimitItem[] {
  return [
    ...cooldown(counters, limits, now),
    sliding("sends_per_10_minutes", counters.sendTimes, limits.sendsPer10Minutes, TEN_MINUTES_MS, now),
    sliding("sends_per_day", counters.sendTimes, limits.sendsPerDay, DAY_MS, now),
    failedChecks(counters, limits, now),
  ];
}

/**
 * The policies a check meets: the verification's wrong codes (until it expires; none left once it
 * is finished) and the number's wrong codes per day.
 */
export function checkRateLimits(record: VerificationRecord, counters: NumberCounters, limits: { maxCheckAttempts: number; numberLimits: NumberLimits }, now: number): RateLimitItem[] {
  const live = record.status === "pending" && now < record.expiresAt;
  const attempts: RateLimitItem = live
    ? { policy: "check_attempts", quota: limits.maxCheckAttempts, remaining: Math.max(0, limits.maxCheckAttempts - record.checkAttempts), resetSeconds: retryAfter(record.expiresAt, now) }
    : { policy: "check_attempts", quota: limits.maxCheckAttempts, remaining: 0 };
  return [attempts, failedChecks(counters, limits.numberLimits, now)];
}

/**
 * A refusal by these policies, carrying them. Its Retry-After is when every exhausted one has a
 * unit again (a lock-out can end before the day's cap does), never earlier than their `t`, as
 * the draft asks of a response with both fields.
 */
export function withRateLimits(refusal: Refusal, items: RateLimitItem[]): Refusal {
  const exhausted = items.filter((i) => i.remaining === 0 && i.resetSeconds !== undefined).map((i) => i.resetSeconds!);
  const retry = refusal.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: Math.max(refusal.retryAfterSeconds, ...exhausted) };
  return { ...refusal, ...retry, rateLimits: items };
}

/** A Structured Fields String (RFC 8941 §3.3.3): the names are fixed ASCII words, escaped anyway. */
function sfString(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * The two response fields, as Structured Field Lists (none for no items):
 * `RateLimit-Policy: "sends_per_day";q=10;w=86400, …` and `RateLimit: "sends_per_day";r=9;t=86400, …`.
 */
export function rateLimitFields(items: readonly RateLimitItem[] | undefined): Record<string, string> {
  if (!items?.length) return {};
  return {
    "ratelimit-policy": items.map((i) => `${sfString(i.policy)};q=${i.quota}${i.windowSeconds === undefined ? "" : `;w=${i.windowSeconds}`}`).join(", "),
    ratelimit: items.map((i) => `${sfString(i.policy)};r=${i.remaining}${i.resetSeconds === undefined ? "" : `;t=${i.resetSeconds}`}`).join(", "),
  };
}
