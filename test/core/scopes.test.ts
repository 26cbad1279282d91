import { describe, expect, it } from "vitest";
import { DEFAULT_CONVERSION_GUARD, type ConversionGuardSettings } from "../../src/core/conversion-guard.ts";
import { rangeOf, shardOf, type RuleMode } from "../../src/core/policy.ts";
import { lookupBudgetScope, scopesForFallback, scopesForNumber, scopesForStart, type ScopeRequest, type StartScopeInput } from "../../src/core/scopes.ts";

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const E164 = "+14155552671";
const RANGE = rangeOf(E164);

const ENFORCE = { velocity_ip: "enforce", velocity_range: "enforce", velocity_country: "enforce", budget: "enforce" } as const;
const base: StartScopeInput = {
  service: "svc",
  e164: E164,
  countryCode: "US",
  test: false,
  modes: ENFORCE,
  limits: { ipStartsPerHour: 10, rangeSendsPerHour: 10, countrySendsPerHour: 1000, countryShards: 16 },
  budget: { smsDailyLimit: 1000, budgetShards: 16 },
  guard: DEFAULT_CONVERSION_GUARD,
};
const scopes = (overrides: Partial<StartScopeInput> = {}) => scopesForStart({ ...base, ...overrides });
const byRule = (list: ScopeRequest[], rule: ScopeRequest["rule"]) => list.filter((s) => s.rule === rule);
/** A number whose range falls in each shard of `shards`. */
function numbersPerShard(shards: number): string[] {
  const found = new Map<number, string>();
  for (let i = 0; found.size < shards; i++) {
    const e164 = `+1415${String(1_000_000 + i * 10_000).slice(0, 7)}`;
    const shard = shardOf(rangeOf(e164), shards);
    if (!found.has(shard)) found.set(shard, e164);
  }
  return [...found.values()];
}

describe("scopesForStart: which counters a start takes", () => {
  it("a plain start: range, country and budget in the range's shard object; no IP without clientIp", () => {
    const shard = shardOf(RANGE, 16);
    expect(scopes().map((s) => [s.rule, s.name, s.counter, s.legacy])).toEqual([
      ["velocity_range", `budget:${shard}`, `svc:range:${RANGE}`, `svc:range:${RANGE}`],
      ["velocity_country", `budget:${shard}`, "svc:country:US", `svc:country:US:${shard}`],
      ["budget", `budget:${shard}`, "", undefined],
    ]);
    const [range, country, budget] = scopes();
    expect(range!.take).toMatchObject({ limit: 10, windowMs: HOUR_MS, kind: "sliding", enforce: true, guard: { service: "svc", scope: { kind: "range", range: RANGE }, count: true } });
    expect(country!.take).toMatchObject({ windowMs: HOUR_MS, kind: "sliding", guard: { scope: { kind: "country", country: "US", shard, shards: 16 } } });
    expect(budget!.take).toEqual({ limit: expect.any(Number), windowMs: DAY_MS, kind: "fixed", enforce: true });
  });

  it.each([
    ["203.0.113.7", "svc:ip:203.0.113.7"],
    ["2001:db8:1:2:3:4:5:6", "svc:ip:2001:db8:1:2::/64"],
    ["2001:db8:1:2::99", "svc:ip:2001:db8:1:2::/64"],
    ["not an ip", null],
    ["", null],
  ])("the client IP %j is counted in %s", (clientIp, name) => {
    const ip = byRule(scopes({ clientIp }), "velocity_ip");
    expect(ip.map((s) => s.name)).toEqual(name ? [name] : []);
    if (name) expect(ip[0]).toMatchObject({ counter: "", take: { limit: 10, windowMs: HOUR_MS, kind: "sliding", enforce: true } });
  });

  it.each<[string, number, number, "together" | "apart"]>([
    // BUDGET_SHARDS, SMS_DAILY_LIMIT (COUNTRY_SHARDS 16) → where the country's counter lives
    ["16 shards, country with them", 16, 1000, "together"],
    ["a cap below the shard count: one shard per unit", 16, 5, "apart"],
    ["country sharded differently", 8, 1000, "apart"],
  ])("shard choice: %s", (_what, budgetShards, smsDailyLimit, where) => {
    const list = scopes({ budget: { smsDailyLimit, budgetShards } });
    const shards = Math.min(budgetShards, smsDailyLimit);
    const object = `budget:${shardOf(RANGE, shards)}`;
    expect(byRule(list, "velocity_range")[0]!.name).toBe(object);
    expect(byRule(list, "budget")[0]!.name).toBe(object);
    const country = byRule(list, "velocity_country")[0]!;
    if (where === "together") {
      expect(country).toMatchObject({ name: object, counter: "svc:country:US" });
    } else {
      // Its own object per country shard, the object's own counter, nothing to fetch from earlier releases.
      expect(country).toMatchObject({ name: `svc:country:US:${shardOf(RANGE, 16)}`, counter: "" });
      expect(country.legacy).toBeUndefined();
    }
  });

  it.each([
    [1000, 16],
    [20, 4],
    [7, 3],
    [5, 16],
    [1, 1],
  ])("each shard's share of a budget of %i over %i shards: the shares sum to the limit", (smsDailyLimit, budgetShards) => {
    const shards = Math.min(budgetShards, smsDailyLimit);
    const shares = numbersPerShard(shards).map((e164) => byRule(scopes({ e164, budget: { smsDailyLimit, budgetShards } }), "budget")[0]!.take.limit);
    expect(shares).toHaveLength(shards);
    expect(shares.reduce((a, b) => a + b, 0)).toBe(smsDailyLimit);
    // No shard holds more than one unit above another.
    expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1);
  });

  it.each([
    [1000, 16],
    [30, 16],
    [3, 16],
  ])("each shard's share of a country cap of %i over %i shards sums to the cap", (countrySendsPerHour, countryShards) => {
    const shards = Math.min(countryShards, countrySendsPerHour);
    const shares = numbersPerShard(shards).map((e164) => byRule(scopes({ e164, limits: { ...base.limits, countrySendsPerHour, countryShards } }), "velocity_country")[0]!.take.limit);
    expect(shares.reduce((a, b) => a + b, 0)).toBe(countrySendsPerHour);
  });

  it("a service's own budget: its own objects, its own shares, on top of the deployment's", () => {
    const list = scopes({ serviceDailyLimit: 50 });
    expect(byRule(list, "budget").map((s) => s.name)).toEqual([`budget:${shardOf(RANGE, 16)}`, `svc:budget:${shardOf(RANGE, 16)}`]);
    const shares = numbersPerShard(16).map((e164) => byRule(scopes({ e164, serviceDailyLimit: 50 }), "budget")[1]!.take.limit);
    expect(shares.reduce((a, b) => a + b, 0)).toBe(50);
    // Fewer units than shards: one shard per unit, so none holds a share of 0.
    const small = numbersPerShard(3).map((e164) => byRule(scopes({ e164, serviceDailyLimit: 3 }), "budget")[1]!);
    expect(small.map((s) => s.take.limit)).toEqual([1, 1, 1]);
    expect(new Set(small.map((s) => s.name)).size).toBe(3);
    expect(byRule(scopes({ serviceDailyLimit: 50, modes: { ...ENFORCE, budget: "monitor" } }), "budget").map((s) => s.take.enforce)).toEqual([false, false]);
    expect(byRule(scopes({ serviceDailyLimit: 50, modes: { ...ENFORCE, budget: "off" } }), "budget")).toEqual([]);
  });

  it("a test number spends no budget and no country cap, and the guard ignores it; IP and range still count", () => {
    const list = scopes({ test: true, clientIp: "203.0.113.7" });
    expect(list.map((s) => s.rule)).toEqual(["velocity_ip", "velocity_range"]);
    expect(list[1]!.take.guard).toBeUndefined();
    expect(list[1]!.take).toMatchObject({ limit: 10, enforce: true });
    // With range velocity off, nothing is left to count for it in its shard.
    expect(scopes({ test: true, modes: { ...ENFORCE, velocity_range: "off" } })).toEqual([]);
  });

  it.each<[RuleMode, boolean | null]>([
    ["enforce", true],
    ["monitor", false],
    ["off", null],
  ])("rule mode %s: the velocity and budget counters enforce = %s (null: not taken)", (mode, enforce) => {
    const off = { ...DEFAULT_CONVERSION_GUARD, rangeMode: "off", countryMode: "off" } satisfies ConversionGuardSettings;
    const list = scopes({ clientIp: "203.0.113.7", modes: { velocity_ip: mode, velocity_range: mode, velocity_country: mode, budget: mode }, guard: off });
    for (const rule of ["velocity_ip", "velocity_range", "velocity_country", "budget"] as const) {
      expect(byRule(list, rule).map((s) => s.take.enforce)).toEqual(enforce === null ? [] : [enforce]);
    }
  });

  it.each<[RuleMode, RuleMode, "counted" | "guard only" | "absent"]>([
    ["enforce", "enforce", "counted"],
    ["enforce", "monitor", "counted"],
    ["enforce", "off", "counted"],
    ["off", "enforce", "guard only"],
    ["off", "monitor", "guard only"],
    ["off", "off", "absent"],
  ])("range velocity %s, conversion guard %s: the range counter is %s", (velocity, guardMode, expected) => {
    const list = scopes({ modes: { ...ENFORCE, velocity_range: velocity }, guard: { ...DEFAULT_CONVERSION_GUARD, rangeMode: guardMode } });
    const range = byRule(list, "velocity_range")[0];
    if (expected === "absent") return expect(range).toBeUndefined();
    // With the velocity rule off the counter runs for the guard only: it counts, never refuses.
    expect(range!.take).toMatchObject(expected === "counted" ? { limit: 10, enforce: true } : { limit: Number.MAX_SAFE_INTEGER, enforce: false });
    if (guardMode === "off") expect(range!.take.guard).toBeUndefined();
    else expect(range!.take.guard).toMatchObject({ settings: { rangeMode: guardMode }, count: true });
  });

  it.each<[RuleMode, RuleMode, "counted" | "guard only" | "absent"]>([
    ["enforce", "monitor", "counted"],
    ["monitor", "off", "counted"],
    ["off", "monitor", "guard only"],
    ["off", "enforce", "guard only"],
    ["off", "off", "absent"],
  ])("country velocity %s, conversion guard %s: the country counter is %s", (velocity, guardMode, expected) => {
    const list = scopes({ modes: { ...ENFORCE, velocity_country: velocity }, guard: { ...DEFAULT_CONVERSION_GUARD, countryMode: guardMode } });
    const country = byRule(list, "velocity_country")[0];
    if (expected === "absent") return expect(country).toBeUndefined();
    expect(country!.take.limit === Number.MAX_SAFE_INTEGER).toBe(expected === "guard only");
    expect(country!.take.guard === undefined).toBe(guardMode === "off");
  });
});

describe("lookupBudgetScope", () => {
  it("one unit of the service's lookups object a day, or none when unlimited", () => {
    expect(lookupBudgetScope("svc", null)).toBeNull();
    expect(lookupBudgetScope("svc", 4)).toEqual({ rule: "lookup_budget", name: "svc:lookups", counter: "", take: { limit: 4, windowMs: DAY_MS, kind: "fixed", enforce: true } });
  });
});

describe("scopesForNumber: what the number's own state changes", () => {
  const all = scopes({ clientIp: "203.0.113.7", serviceDailyLimit: 50 });
  const counts = (list: ScopeRequest[]) => list.map((s) => s.take.guard?.count ?? null);

  it.each<[string, { allowed: boolean; guardCounted: boolean }, string[], (boolean | null)[]]>([
    ["neither", { allowed: false, guardCounted: false }, ["velocity_ip", "velocity_range", "velocity_country", "budget", "budget"], [null, true, true, null, null]],
    ["the guard counted it this hour: judged, not counted", { allowed: false, guardCounted: true }, ["velocity_ip", "velocity_range", "velocity_country", "budget", "budget"], [null, false, false, null, null]],
    ["allow-listed: budgets only", { allowed: true, guardCounted: false }, ["budget", "budget"], [null, null]],
    ["allow-listed and counted", { allowed: true, guardCounted: true }, ["budget", "budget"], [null, null]],
  ])("%s", (_what, number, rules, guardCounts) => {
    const list = scopesForNumber(all, number);
    expect(list.map((s) => s.rule)).toEqual(rules);
    expect(counts(list)).toEqual(guardCounts);
  });

  it("keeps the service's own rate limits for an allow-listed number (they count the caller's keys), and a fallback takes none", () => {
    const rateLimit: ScopeRequest = { rule: "rate_limit", name: "svc:rl:RK1:ab", counter: "BL1:60", take: { limit: 5, windowMs: 60_000, kind: "sliding", enforce: true } };
    expect(scopesForNumber([...all, rateLimit], { allowed: true, guardCounted: false }).map((s) => s.rule)).toEqual(["budget", "budget", "rate_limit"]);
    expect(scopesForNumber([...all, rateLimit], { allowed: false, guardCounted: false }).at(-1)).toEqual(rateLimit);
    expect(scopesForFallback([...all, rateLimit])).toEqual(all);
  });

  it("leaves its input as it was", () => {
    const before = structuredClone(all);
    scopesForNumber(all, { allowed: false, guardCounted: true });
    expect(all).toEqual(before);
  });
});
