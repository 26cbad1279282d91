// Which limits that span numbers a message takes: the ScopeCounter objects and the counters in them
// (client IP, number range, country, budget shards, a service's own budget), with each shard's
// share of a limit and the conversion guard's settings. No I/O: every input is an argument.
import type { ConversionGuardSettings, GuardScope } from "./conversion-guard.ts";
import { ipScope } from "./ip.ts";
import { DAY_MS, rangeOf, shardLimit, shardOf, type RuleMode, type RuleName } from "./policy.ts";
import type { WindowRule } from "./window.ts";

const HOUR_MS = 3_600_000;

/** A counter that runs only for the conversion guard: it counts, never refuses. */
const UNLIMITED = { limit: Number.MAX_SAFE_INTEGER, enforce: false } as const;

/** The conversion guard on a counter (a range or a country shard), judged before the start counts. */
export interface GuardTake {
  /** The service whose insights hear of a verdict (the console lists scopes blocked now). */
  service: string;
  scope: GuardScope;
  settings: ConversionGuardSettings;
  /** false: judge only; the number already counted a start in this hour. */
  count: boolean;
}

/** One unit of a counter: its window, and the guard when the counter carries one. */
export interface TakeInput extends WindowRule {
  /** Absent for test numbers and scopes without a guard (IP, budget). */
  guard?: GuardTake;
}

export type ScopeRule = "velocity_ip" | "velocity_range" | "velocity_country" | "budget" | "lookup_budget" | "rate_limit";

/** A limit that spans numbers: a counter in a ScopeCounter object. */
export interface ScopeRequest {
  rule: ScopeRule;
  /** ScopeCounter object name, e.g. "default:ip:203.0.113.7" or "budget:3". */
  name: string;
  /** The counter within that object: "" for the object's own, else e.g. "default:range:+1415555". */
  counter: string;
  /** The object the counter had of its own in the previous release (its counts move over once). */
  legacy?: string;
  take: TakeInput;
  /** The refusal's message when this counter refuses (field first); absent: the rule's own. */
  message?: string;
}

/** The limits a start's scopes count against. */
export interface StartScopeInput {
  service: string;
  /** The end user's IP as the caller sent it (absent: no IP scope). */
  clientIp?: string | undefined;
  e164: string;
  countryCode: string;
  /** A test number: sends nothing, so it spends no budget or country cap and the guard ignores it. */
  test: boolean;
  modes: Readonly<Pick<Record<RuleName, RuleMode>, "velocity_ip" | "velocity_range" | "velocity_country" | "budget">>;
  /** The service's limits over the deployment's. */
  limits: { ipStartsPerHour: number; rangeSendsPerHour: number; countrySendsPerHour: number; countryShards: number };
  /** The deployment's daily SMS budget (SMS_DAILY_LIMIT) and its shards (BUDGET_SHARDS), across services. */
  budget: { smsDailyLimit: number; budgetShards: number };
  /** The service's own daily SMS budget, on top of the deployment's; undefined: none. */
  serviceDailyLimit?: number | undefined;
  guard: ConversionGuardSettings;
}

/**
 * Cross-number scopes for a start. A start's range, country and budget counters share one shard
 * object, picked by the number's range (all of a range's numbers meet the same counter): one RPC
 * and one commit for the three. Each shard holds its share of the country and budget limits, so
 * no single object (≈1,000 requests/s) sits on every start and the sum of shares is the limit.
 * A country whose shard count differs from the budget's (COUNTRY_SHARDS, or a cap below it) keeps
 * objects of its own; so do the client IP's and a service's own budget.
 * A test number sends nothing, so it spends neither budget nor the country's send cap, and the
 * conversion guard neither counts nor refuses it (it is never a pumped number); IP and range
 * velocity still count it.
 */
export function scopesForStart(input: StartScopeInput): ScopeRequest[] {
  const { service, modes, limits, budget, test } = input;
  const scopes: ScopeRequest[] = [];
  const ip = input.clientIp ? ipScope(input.clientIp) : null;
  if (ip && modes.velocity_ip !== "off") {
    scopes.push({
      rule: "velocity_ip",
      name: `${service}:ip:${ip}`,
      counter: "",
      take: { limit: limits.ipStartsPerHour, windowMs: HOUR_MS, kind: "sliding", enforce: modes.velocity_ip === "enforce" },
    });
  }
  const range = rangeOf(input.e164);
  // More shards than units would leave shards with a share of 0, refusing every start they see.
  const shards = Math.max(1, Math.min(budget.budgetShards, budget.smsDailyLimit));
  const shard = shardOf(range, shards);
  const shardObject = `budget:${shard}`;
  // The conversion guard lives in the range and country counters a start already takes: judging
  // costs no extra round trip. With the velocity rule off the counter still runs for the guard.
  const guard: ConversionGuardSettings = test ? { ...input.guard, rangeMode: "off", countryMode: "off" } : input.guard;
  if (modes.velocity_range !== "off" || guard.rangeMode !== "off") {
    const counter = `${service}:range:${range}`;
    scopes.push({
      rule: "velocity_range",
      name: shardObject,
      counter,
      legacy: counter,
      take: {
        ...(modes.velocity_range !== "off" ? { limit: limits.rangeSendsPerHour, enforce: modes.velocity_range === "enforce" } : UNLIMITED),
        windowMs: HOUR_MS,
        kind: "sliding",
        ...(guard.rangeMode !== "off" ? { guard: { service, scope: { kind: "range", range }, settings: guard, count: true } } : {}),
      },
    });
  }
  if (!test && (modes.velocity_country !== "off" || guard.countryMode !== "off")) {
    const countryShards = Math.max(1, Math.min(limits.countryShards, limits.countrySendsPerHour));
    const countryShard = shardOf(range, countryShards);
    const together = countryShards === shards;
    scopes.push({
      rule: "velocity_country",
      name: together ? shardObject : `${service}:country:${input.countryCode}:${countryShard}`,
      counter: together ? `${service}:country:${input.countryCode}` : "",
      ...(together ? { legacy: `${service}:country:${input.countryCode}:${countryShard}` } : {}),
      take: {
        ...(modes.velocity_country !== "off"
          ? { limit: shardLimit(limits.countrySendsPerHour, countryShards, countryShard), enforce: modes.velocity_country === "enforce" }
          : UNLIMITED),
        windowMs: HOUR_MS,
        kind: "sliding",
        ...(guard.countryMode !== "off"
          ? { guard: { service, scope: { kind: "country", country: input.countryCode, shard: countryShard, shards: countryShards }, settings: guard, count: true } }
          : {}),
      },
    });
  }
  if (!test && modes.budget !== "off") {
    const enforce = modes.budget === "enforce";
    scopes.push({
      rule: "budget",
      // Deployment-wide, across services: the operator's money. The shard object's own counter.
      name: shardObject,
      counter: "",
      take: { limit: shardLimit(budget.smsDailyLimit, shards, shard), windowMs: DAY_MS, kind: "fixed", enforce },
    });
    const own = input.serviceDailyLimit;
    if (own !== undefined) {
      // The service's own budget, on top of the deployment's.
      const ownShards = Math.max(1, Math.min(budget.budgetShards, own));
      const ownShard = shardOf(range, ownShards);
      scopes.push({
        rule: "budget",
        name: `${service}:budget:${ownShard}`,
        counter: "",
        take: { limit: shardLimit(own, ownShards, ownShard), windowMs: DAY_MS, kind: "fixed", enforce },
      });
    }
  }
  return scopes;
}

/** The service's daily lookup budget (LOOKUPS_PER_DAY) as one unit of its own object; null: unlimited. */
export function lookupBudgetScope(service: string, lookupsPerDay: number | null): ScopeRequest | null {
  if (lookupsPerDay === null) return null;
  return { rule: "lookup_budget", name: `${service}:lookups`, counter: "", take: { limit: lookupsPerDay, windowMs: DAY_MS, kind: "fixed", enforce: true } };
}

/**
 * The scopes a number's message takes, given what its own object knows. The allow list skips
 * velocity (and the conversion guard with it), never the budget nor the service's own rate limits
 * (they count the caller's keys, not the number). The guard counts a number once an
 * hour (`guardCounted`: it did already): a scope's rate is numbers approved over numbers started,
 * so one user's resends, retries and fallbacks do not dilute it; it is still judged.
 */
export function scopesForNumber(scopes: readonly ScopeRequest[], number: { allowed: boolean; guardCounted: boolean }): ScopeRequest[] {
  const kept = number.allowed ? scopes.filter((s) => s.rule === "budget" || s.rule === "rate_limit") : scopes;
  if (!number.guardCounted) return [...kept];
  return kept.map((s) => (s.take.guard?.count ? { ...s, take: { ...s.take, guard: { ...s.take.guard, count: false } } } : s));
}

/**
 * The scopes a channel fallback takes: the start's, less the service's own rate limits. Those
 * count verification starts, and the start that set the fallback up already counted.
 */
export function scopesForFallback(scopes: readonly ScopeRequest[]): ScopeRequest[] {
  return scopes.filter((s) => s.rule !== "rate_limit");
}
