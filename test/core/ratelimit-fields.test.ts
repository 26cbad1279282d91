// The number's limits as RateLimit fields: the values, their agreement with the refusals the same
// counters make (Retry-After), and the Structured Fields text.
import { describe, expect, it } from "vitest";
import { DEFAULT_NUMBER_LIMITS, evaluateSend, pruneCounters, recordApproval, recordFailedCheck, recordSend, type NumberCounters } from "../../src/core/policy.ts";
import { checkRateLimits, rateLimitFields, startRateLimits, withRateLimits } from "../../src/core/ratelimit-fields.ts";
import { applyStart } from "../../src/core/verification.ts";
import { START_PARAMS } from "./fixtures.ts";

const NOW = 1_800_000_000_000;
const EMPTY: NumberCounters = { sendTimes: [], failedCheckTimes: [], lockedUntil: 0, lastApprovalAt: 0 };
const limits = DEFAULT_NUMBER_LIMITS;

describe("startRateLimits", () => {
  it("a number with nothing counted: every quota whole, each over its own window", () => {
    expect(startRateLimits(EMPTY, limits, NOW)).toEqual([
      { policy: "resend_cooldown", quota: 1, windowSeconds: 30, remaining: 1, resetSeconds: 30 },
      { policy: "sends_per_10_minutes", quota: 5, windowSeconds: 600, remaining: 5, resetSeconds: 600 },
      { policy: "sends_per_day", quota: 10, windowSeconds: 86_400, remaining: 10, resetSeconds: 86_400 },
      { policy: "failed_checks_per_day", quota: 20, windowSeconds: 86_400, remaining: 20, resetSeconds: 86_400 },
    ]);
  });

  it("two sends 100 s and 50 s ago: the second step of the cooldown runs; the oldest send frees the windows", () => {
    const counters = { ...EMPTY, sendTimes: [NOW - 100_000, NOW - 50_000] };
    expect(startRateLimits(counters, limits, NOW)).toEqual([
      { policy: "resend_cooldown", quota: 1, windowSeconds: 60, remaining: 0, resetSeconds: 10 },
      { policy: "sends_per_10_minutes", quota: 5, windowSeconds: 600, remaining: 3, resetSeconds: 500 },
      { policy: "sends_per_day", quota: 10, windowSeconds: 86_400, remaining: 8, resetSeconds: 86_300 },
      { policy: "failed_checks_per_day", quota: 20, windowSeconds: 86_400, remaining: 20, resetSeconds: 86_400 },
    ]);
    // Past the cooldown, its window is the step the next send starts (the third: 120 s).
    expect(startRateLimits(counters, limits, NOW + 20_000)[0]).toEqual({ policy: "resend_cooldown", quota: 1, windowSeconds: 120, remaining: 1, resetSeconds: 120 });
    // An approval restarts the ladder.
    expect(startRateLimits({ ...counters, lastApprovalAt: NOW - 10_000 }, limits, NOW)[0]).toMatchObject({ windowSeconds: 30, remaining: 1 });
  });

  it("a locked number has no wrong code left until the lock ends", () => {
    const counters = { ...EMPTY, failedCheckTimes: [NOW - 3_600_000], lockedUntil: NOW + 7_200_000 };
    expect(startRateLimits(counters, limits, NOW)[3]).toEqual({ policy: "failed_checks_per_day", quota: 20, windowSeconds: 86_400, remaining: 0, resetSeconds: 7_200 });
  });

  it("a ladder step of 0 is no cooldown policy at all", () => {
    expect(startRateLimits(EMPTY, { ...limits, resendCooldownSeconds: [0] }, NOW).map((i) => i.policy)).toEqual(["sends_per_10_minutes", "sends_per_day", "failed_checks_per_day"]);
  });
});

/** A seeded generator (mulberry32): the same histories on every run. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe("agreement with the refusals the same counters make", () => {
  // Histories as the number's object makes them: a send only when admitted, wrong codes and
  // approvals between, over a day and a half; then every policy is read at a random moment.
  const small = { resendCooldownSeconds: [5, 20], sendsPer10Minutes: 3, sendsPerDay: 8, failedChecksPerDay: 4 };
  const histories = Array.from({ length: 400 }, (_, seed) => {
    const next = random(seed + 1);
    let counters = EMPTY;
    let at = NOW - 36 * 3_600_000;
    for (;;) {
      const step = Math.floor(next() * (next() < 0.6 ? 120_000 : 4 * 3_600_000));
      if (at + step > NOW) break;
      at += step;
      const roll = next();
      if (roll < 0.6) {
        if (!evaluateSend(pruneCounters(counters, at), at, small)) counters = recordSend(pruneCounters(counters, at), at);
      } else if (roll < 0.72) {
        if (counters.lockedUntil <= at) counters = recordFailedCheck(counters, at, small);
      } else counters = recordApproval(counters, at);
    }
    // Read a little after the last event: mostly within seconds, sometimes an hour on.
    const now = at + Math.floor(next() * next() * next() * 3_600_000);
    return { counters: pruneCounters(counters, now), now };
  });

  it("refused: the refusing policy has none left and its `t` is Retry-After; Retry-After is never before any exhausted policy's `t`", () => {
    const rules: string[] = [];
    for (const { counters, now } of histories) {
      const refusal = evaluateSend(counters, now, small);
      if (!refusal) continue;
      rules.push(refusal.rule!);
      const items = startRateLimits(counters, small, now);
      expect(items.find((i) => i.policy === refusal.rule)).toMatchObject({ remaining: 0, resetSeconds: refusal.retryAfterSeconds });
      const carried = withRateLimits(refusal, items);
      expect(carried.rateLimits).toBe(items);
      for (const item of items) if (item.remaining === 0) expect(carried.retryAfterSeconds).toBeGreaterThanOrEqual(item.resetSeconds!);
      // Waiting that long is enough: the send is admitted then.
      expect(evaluateSend(counters, now + carried.retryAfterSeconds! * 1000, small)).toBeNull();
    }
    // Every policy refused some of them.
    expect(new Set(rules)).toEqual(new Set(["resend_cooldown", "sends_per_10_minutes", "sends_per_day", "failed_checks_per_day"]));
    expect(rules.length).toBeGreaterThan(100);
  });

  it("admitted: every send policy has a unit left", () => {
    let admitted = 0;
    for (const { counters, now } of histories) {
      if (evaluateSend(counters, now, small)) continue;
      admitted++;
      for (const item of startRateLimits(counters, small, now)) expect(item.remaining, item.policy).toBeGreaterThan(0);
    }
    expect(admitted).toBeGreaterThan(100);
  });
});

describe("withRateLimits", () => {
  it("a lock-out that ends before the day's cap frees a send: Retry-After is the later moment", () => {
    // Ten sends, the oldest 19 h ago (its slot comes back in 5 h), and a lock for one more hour.
    const counters = { ...EMPTY, sendTimes: Array.from({ length: 10 }, (_, i) => NOW - 19 * 3_600_000 + i * 60_000), lockedUntil: NOW + 3_600_000 };
    const refusal = evaluateSend(counters, NOW, limits)!;
    expect(refusal).toMatchObject({ rule: "failed_checks_per_day", retryAfterSeconds: 3_600 });
    expect(withRateLimits(refusal, startRateLimits(counters, limits, NOW))).toMatchObject({ rule: "failed_checks_per_day", retryAfterSeconds: 5 * 3_600 });
  });
});

describe("checkRateLimits", () => {
  const record = { ...applyStart(null, START_PARAMS, NOW - 60_000, "ve_1", new Uint8Array(32)), checkAttempts: 2 };
  const options = { maxCheckAttempts: 5, numberLimits: limits };

  it("a pending verification: wrong codes left until it expires, and the number's for the day", () => {
    const counters = { ...EMPTY, failedCheckTimes: [NOW - 30_000, NOW - 10_000] };
    expect(checkRateLimits(record, counters, options, NOW)).toEqual([
      { policy: "check_attempts", quota: 5, remaining: 3, resetSeconds: 540 },
      { policy: "failed_checks_per_day", quota: 20, windowSeconds: 86_400, remaining: 18, resetSeconds: 86_370 },
    ]);
  });

  it("a finished or expired verification has none left, and no moment brings one back", () => {
    expect(checkRateLimits({ ...record, status: "approved" }, EMPTY, options, NOW)[0]).toEqual({ policy: "check_attempts", quota: 5, remaining: 0 });
    expect(checkRateLimits(record, EMPTY, options, record.expiresAt)[0]).toEqual({ policy: "check_attempts", quota: 5, remaining: 0 });
  });
});

describe("rateLimitFields", () => {
  it("writes Structured Field Lists of String items with q and w, and r and t", () => {
    expect(rateLimitFields(checkRateLimits({ ...applyStart(null, START_PARAMS, NOW, "ve_1", new Uint8Array(32)) }, EMPTY, { maxCheckAttempts: 5, numberLimits: limits }, NOW))).toEqual({
      "ratelimit-policy": '"check_attempts";q=5, "failed_checks_per_day";q=20;w=86400',
      ratelimit: '"check_attempts";r=5;t=600, "failed_checks_per_day";r=20;t=86400',
    });
    expect(rateLimitFields(startRateLimits(EMPTY, limits, NOW))["ratelimit-policy"]).toBe(
      '"resend_cooldown";q=1;w=30, "sends_per_10_minutes";q=5;w=600, "sends_per_day";q=10;w=86400, "failed_checks_per_day";q=20;w=86400',
    );
  });

  it("nothing for no items", () => {
    expect(rateLimitFields([])).toEqual({});
    expect(rateLimitFields(undefined)).toEqual({});
  });
});
