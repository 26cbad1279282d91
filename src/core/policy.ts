// Abuse policy as pure functions: per-number send limits and lock-outs, number-type and country
// rules, rule modes. No I/O. No clock: `now` (epoch ms) is passed in. The Durable Objects persist
// what these functions decide; the Worker applies the stateless rules before any object is called.
import type { Refusal } from "./errors.ts";
import type { LineType } from "./phone.ts";

export type RuleMode = "enforce" | "monitor" | "off";

/** Rules that can be switched between enforce, monitor and off. */
export type RuleName =
  | "deny_list"
  | "line_type"
  | "landline"
  | "voip"
  | "country_allowlist"
  | "velocity_ip"
  | "velocity_range"
  | "velocity_country"
  | "budget";

/** What a rule reports when it would block: the `risk` values of the API. */
export type Risk =
  | "invalid_format"
  | "deny_list"
  | "premium_rate"
  | "line_type_not_allowed"
  | "landline"
  | "voip"
  | "velocity_ip"
  | "velocity_range"
  | "velocity_country"
  | "country_not_allowed"
  | "budget_exceeded"
  | "invalid_number"
  | "unsubscribed"
  | "blocked"
  /** Deny-listed from delivery reports: the number no longer exists. */
  | "deactivated"
  /** The number's range or country converts too rarely (conversion guard in monitor mode). */
  | "conversion_guard"
  /** A carrier lookup was due and failed; the start went on with the metadata. */
  | "lookup_unavailable";

export const RULE_NAMES: readonly RuleName[] = [
  "deny_list",
  "line_type",
  "landline",
  "voip",
  "country_allowlist",
  "velocity_ip",
  "velocity_range",
  "velocity_country",
  "budget",
];

export interface NumberLimits {
  /** Waits between consecutive sends to a number: 30 s, 60 s, 120 s, then the last value. */
  resendCooldownSeconds: readonly number[];
  sendsPer10Minutes: number;
  sendsPerDay: number;
  /** Wrong codes per number per 24 h across all its verifications before it is locked. */
  failedChecksPerDay: number;
}

export const DEFAULT_NUMBER_LIMITS: NumberLimits = {
  resendCooldownSeconds: [30, 60, 120, 300],
  sendsPer10Minutes: 5,
  sendsPerDay: 10,
  failedChecksPerDay: 20,
};

/** Per-number counters, persisted in the number's Durable Object. Times are epoch ms. */
export interface NumberCounters {
  /** Sends that count against the limits, newest last, within the last 24 h. */
  sendTimes: number[];
  /** Wrong codes within the last 24 h, newest last. */
  failedCheckTimes: number[];
  /** Checks and starts are refused until then (0: not locked). */
  lockedUntil: number;
  /** The last approval: the cooldown ladder restarts after it. */
  lastApprovalAt: number;
}

export const EMPTY_COUNTERS: NumberCounters = { sendTimes: [], failedCheckTimes: [], lockedUntil: 0, lastApprovalAt: 0 };

const MINUTE_MS = 60_000;
export const TEN_MINUTES_MS = 10 * MINUTE_MS;
export const DAY_MS = 24 * 60 * MINUTE_MS;

/** Drops times that left the 24 h window; the only place counters shrink besides an approval. */
export function pruneCounters(counters: NumberCounters, now: number): NumberCounters {
  return {
    sendTimes: counters.sendTimes.filter((t) => t > now - DAY_MS),
    failedCheckTimes: counters.failedCheckTimes.filter((t) => t > now - DAY_MS),
    lockedUntil: counters.lockedUntil > now ? counters.lockedUntil : 0,
    lastApprovalAt: counters.lastApprovalAt,
  };
}

function lockedRefusal(counters: NumberCounters, now: number): Refusal {
  return {
    reason: "locked",
    message: "to: too many wrong codes for this number; try again later",
    field: "to",
    rule: "failed_checks_per_day",
    retryAfterSeconds: retryAfter(counters.lockedUntil, now),
  };
}

/**
 * Whether a send to the number may happen now. Order: lock-out, daily cap, 10-minute cap, then the
 * growing cooldown (counted over sends since the last approval, within the last 10 minutes).
 */
export function evaluateSend(counters: NumberCounters, now: number, limits: NumberLimits): Refusal | null {
  if (counters.lockedUntil > now) return lockedRefusal(counters, now);
  const day = counters.sendTimes.filter((t) => t > now - DAY_MS);
  if (day.length >= limits.sendsPerDay) {
    return {
      reason: "limit_reached",
      message: `to: at most ${limits.sendsPerDay} codes per number per 24 hours`,
      field: "to",
      rule: "sends_per_day",
      retryAfterSeconds: retryAfter(day[day.length - limits.sendsPerDay]! + DAY_MS, now),
    };
  }
  const recent = day.filter((t) => t > now - TEN_MINUTES_MS);
  if (recent.length >= limits.sendsPer10Minutes) {
    return {
      reason: "limit_reached",
      message: `to: at most ${limits.sendsPer10Minutes} codes per number per 10 minutes`,
      field: "to",
      rule: "sends_per_10_minutes",
      retryAfterSeconds: retryAfter(recent[recent.length - limits.sendsPer10Minutes]! + TEN_MINUTES_MS, now),
    };
  }
  const cooldown = resendCooldown(counters, now, limits);
  if (cooldown.lastSendAt !== null && now < cooldown.until) {
    return {
      reason: "resend_too_soon",
      message: `to: a code was sent ${Math.floor((now - cooldown.lastSendAt) / 1000)} s ago; wait ${cooldown.waitSeconds} s between codes`,
      field: "to",
      rule: "resend_cooldown",
      retryAfterSeconds: retryAfter(cooldown.until, now),
    };
  }
  return null;
}

/**
 * The growing cooldown: sends since the last approval within the last 10 minutes form a streak,
 * and the wait after its last send is the ladder's step for the streak's length. `waitSeconds`
 * runs after the last send (0: none), until `until` (epoch ms); `nextWaitSeconds` is the wait a
 * send made now would start.
 */
export function resendCooldown(counters: NumberCounters, now: number, limits: NumberLimits): { lastSendAt: number | null; waitSeconds: number; until: number; nextWaitSeconds: number } {
  const streak = counters.sendTimes.filter((t) => t > now - TEN_MINUTES_MS && t > counters.lastApprovalAt);
  const step = (n: number) => limits.resendCooldownSeconds[Math.min(n, limits.resendCooldownSeconds.length - 1)] ?? 0;
  const last = streak.at(-1);
  if (last === undefined) return { lastSendAt: null, waitSeconds: 0, until: 0, nextWaitSeconds: step(0) };
  return { lastSendAt: last, waitSeconds: step(streak.length - 1), until: last + step(streak.length - 1) * 1000, nextWaitSeconds: step(streak.length) };
}

/** A cooldown, cap or lock-out ending at `untilMs` as Retry-After: whole seconds, rounded up, at least 1. */
export function retryAfter(untilMs: number, now: number): number {
  return Math.max(1, Math.ceil((untilMs - now) / 1000));
}

export function evaluateCheck(counters: NumberCounters, now: number): Refusal | null {
  return counters.lockedUntil > now ? lockedRefusal(counters, now) : null;
}

export function recordSend(counters: NumberCounters, now: number): NumberCounters {
  return { ...counters, sendTimes: [...counters.sendTimes, now] };
}

/** A send the provider definitely refused gives the user's allowance back. */
export function refundSend(counters: NumberCounters, sentAt: number): NumberCounters {
  const index = counters.sendTimes.lastIndexOf(sentAt);
  if (index < 0) return counters;
  return { ...counters, sendTimes: counters.sendTimes.filter((_t, i) => i !== index) };
}

/** A wrong code; the number locks when the 24 h count reaches the limit, until the window passes. */
export function recordFailedCheck(counters: NumberCounters, now: number, limits: NumberLimits): NumberCounters {
  const failedCheckTimes = [...counters.failedCheckTimes.filter((t) => t > now - DAY_MS), now];
  const lockedUntil =
    failedCheckTimes.length >= limits.failedChecksPerDay ? failedCheckTimes[failedCheckTimes.length - limits.failedChecksPerDay]! + DAY_MS : counters.lockedUntil;
  return { ...counters, failedCheckTimes, lockedUntil };
}

/** Only an approval resets the failure count (NIST SP 800-63B §3.1.3.2: a new code does not). */
export function recordApproval(counters: NumberCounters, now: number): NumberCounters {
  return { ...counters, failedCheckTimes: [], lockedUntil: 0, lastApprovalAt: now };
}

// --- Stateless rules, applied by the Worker before the number's object is called ---------------

/** Line types refused outright: they cost more than a mobile SMS or cannot receive one. */
const PREMIUM: ReadonlySet<LineType> = new Set(["premium_rate", "shared_cost"]);
const NEVER_SMS: ReadonlySet<LineType> = new Set(["toll_free", "uan", "pager", "voicemail", "personal_number"]);
/** How refusals name a line type, as a plural noun phrase ("personal numbers", not "personal number numbers"). */
const REFUSED_TYPE_NAMES: Partial<Record<LineType, string>> = {
  premium_rate: "premium-rate numbers",
  shared_cost: "shared-cost numbers",
  toll_free: "toll-free numbers",
  uan: "universal access (UAN) numbers",
  pager: "pager numbers",
  voicemail: "voicemail-only numbers",
  personal_number: "personal (follow-me) numbers",
};

export interface RuleHit {
  rule: RuleName;
  risk: Risk;
  message: string;
}

/** Rules decided by the number alone. US/CA "fixed line or mobile" is allowed: it is most numbers there. */
export function numberRuleHits(number: { lineType: LineType; countryCode: string }, allowedCountries: ReadonlySet<string> | null): RuleHit[] {
  const hits: RuleHit[] = [];
  if (PREMIUM.has(number.lineType)) {
    hits.push({ rule: "line_type", risk: "premium_rate", message: `to: ${REFUSED_TYPE_NAMES[number.lineType]} are not accepted` });
  } else if (NEVER_SMS.has(number.lineType)) {
    hits.push({ rule: "line_type", risk: "line_type_not_allowed", message: `to: ${REFUSED_TYPE_NAMES[number.lineType]} are not accepted` });
  } else if (number.lineType === "fixed_line") {
    hits.push({ rule: "landline", risk: "landline", message: "to: landline numbers are not accepted" });
  } else if (number.lineType === "voip") {
    hits.push({ rule: "voip", risk: "voip", message: "to: VoIP numbers are not accepted" });
  }
  if (allowedCountries && !allowedCountries.has(number.countryCode)) {
    hits.push({ rule: "country_allowlist", risk: "country_not_allowed", message: `to: numbers from ${number.countryCode} are not accepted` });
  }
  return hits;
}

export interface RuleVerdict {
  /** The first enforced hit: the request is refused with it. */
  refusal: RuleHit | null;
  /** Hits of rules in monitor mode: the request goes through and reports them as `risk`. */
  monitored: Risk[];
}

export function applyModes(hits: readonly RuleHit[], modes: Readonly<Record<RuleName, RuleMode>>): RuleVerdict {
  let refusal: RuleHit | null = null;
  const monitored: Risk[] = [];
  for (const hit of hits) {
    const mode = modes[hit.rule];
    if (mode === "enforce" && !refusal) refusal = hit;
    else if (mode === "monitor") monitored.push(hit.risk);
  }
  return { refusal, monitored };
}

/** The destination range: the number without its last 4 digits (pumping walks consecutive numbers). */
export function rangeOf(e164: string): string {
  return e164.slice(0, -4);
}

/** Splits a deployment-wide limit over `shards` counters so the sum never exceeds it. */
export function shardLimit(limit: number, shards: number, shard: number): number {
  return Math.floor(limit / shards) + (shard < limit % shards ? 1 : 0);
}

/**
 * A stable shard for a number (FNV-1a, then murmur3's finaliser), so one number always meets the
 * same shard. Without the finaliser FNV's low bits barely depend on the digits and `% shards`
 * would pile numbers onto a few shards.
 */
export function shardOf(key: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return (hash >>> 0) % shards;
}
