import { describe, expect, it } from "vitest";
import {
  applyModes,
  DEFAULT_NUMBER_LIMITS,
  EMPTY_COUNTERS,
  evaluateSend,
  numberRuleHits,
  rangeOf,
  recordApproval,
  recordFailedCheck,
  recordSend,
  refundSend,
  shardLimit,
  shardOf,
  type RuleMode,
  type RuleName,
} from "../../src/core/policy.ts";

const T = Date.UTC(2026, 0, 1);
const S = 1000;

describe("evaluateSend", () => {
  it("walks the cooldown ladder 30/60/120/300 s", () => {
    let c = EMPTY_COUNTERS;
    let now = T;
    for (const wait of [30, 60, 120, 300]) {
      c = recordSend(c, now);
      expect(evaluateSend(c, now + (wait - 1) * S, DEFAULT_NUMBER_LIMITS)).toMatchObject({ reason: "resend_too_soon", retryAfterSeconds: 1 });
      now += wait * S;
      expect(evaluateSend(c, now, DEFAULT_NUMBER_LIMITS)).toBeNull();
    }
  });

  it("restarts the ladder after an approval", () => {
    const c = recordApproval(recordSend(recordSend(EMPTY_COUNTERS, T), T + 30 * S), T + 40 * S);
    expect(evaluateSend(c, T + 41 * S, DEFAULT_NUMBER_LIMITS)).toBeNull();
  });

  it("refunds exactly the refused send", () => {
    const c = recordSend(recordSend(EMPTY_COUNTERS, T), T + 60 * S);
    expect(refundSend(c, T + 60 * S).sendTimes).toEqual([T]);
    expect(refundSend(c, T + 1).sendTimes).toEqual([T, T + 60 * S]);
  });

  it("locks after 20 wrong codes in 24 h until the oldest leaves the window", () => {
    let c = EMPTY_COUNTERS;
    for (let i = 0; i < 20; i++) c = recordFailedCheck(c, T + i * S, DEFAULT_NUMBER_LIMITS);
    expect(c.lockedUntil).toBe(T + 86_400_000);
    expect(evaluateSend(c, T + 30 * S, DEFAULT_NUMBER_LIMITS)).toMatchObject({ reason: "locked", rule: "failed_checks_per_day" });
    expect(evaluateSend(c, T + 86_400_000, DEFAULT_NUMBER_LIMITS)).toBeNull();
  });
});

describe("stateless rules", () => {
  const modes = (mode: RuleMode) =>
    Object.fromEntries(["deny_list", "line_type", "landline", "voip", "country_allowlist", "velocity_ip", "velocity_range", "velocity_country", "budget"].map((r) => [r, mode])) as Record<
      RuleName,
      RuleMode
    >;

  it.each([
    ["premium_rate", "premium_rate"],
    ["shared_cost", "premium_rate"],
    ["toll_free", "line_type_not_allowed"],
    ["pager", "line_type_not_allowed"],
    ["voicemail", "line_type_not_allowed"],
    ["uan", "line_type_not_allowed"],
    ["personal_number", "line_type_not_allowed"],
    ["fixed_line", "landline"],
    ["voip", "voip"],
  ] as const)("%s → %s", (lineType, risk) => {
    expect(applyModes(numberRuleHits({ lineType, countryCode: "US" }, null), modes("enforce")).refusal?.risk).toBe(risk);
    expect(applyModes(numberRuleHits({ lineType, countryCode: "US" }, null), modes("monitor"))).toEqual({ refusal: null, monitored: [risk] });
    expect(applyModes(numberRuleHits({ lineType, countryCode: "US" }, null), modes("off"))).toEqual({ refusal: null, monitored: [] });
  });

  it("refusals name the line type once, as plain words", () => {
    const messages = (["personal_number", "toll_free", "premium_rate", "shared_cost", "uan", "pager", "voicemail", "fixed_line", "voip"] as const).map(
      (lineType) => numberRuleHits({ lineType, countryCode: "US" }, null)[0]!.message,
    );
    expect(messages).toEqual([
      "to: personal (follow-me) numbers are not accepted",
      "to: toll-free numbers are not accepted",
      "to: premium-rate numbers are not accepted",
      "to: shared-cost numbers are not accepted",
      "to: universal access (UAN) numbers are not accepted",
      "to: pager numbers are not accepted",
      "to: voicemail-only numbers are not accepted",
      "to: landline numbers are not accepted",
      "to: VoIP numbers are not accepted",
    ]);
    for (const message of messages) expect(message).not.toMatch(/numbers? numbers/);
  });

  it("mobile and fixed-line-or-mobile pass; the allowlist is by region", () => {
    expect(numberRuleHits({ lineType: "mobile", countryCode: "JM" }, null)).toEqual([]);
    expect(numberRuleHits({ lineType: "fixed_line_or_mobile", countryCode: "US" }, new Set(["US"]))).toEqual([]);
    expect(numberRuleHits({ lineType: "mobile", countryCode: "JM" }, new Set(["US"]))[0]?.risk).toBe("country_not_allowed");
  });
});

describe("scopes", () => {
  it("ranges drop the last 4 digits", () => {
    expect(rangeOf("+14155552671")).toBe("+1415555");
  });

  it("shard limits add up to the limit exactly", () => {
    for (const [limit, shards] of [[20, 4], [10_000, 16], [7, 3], [1, 1]] as const) {
      let sum = 0;
      for (let s = 0; s < shards; s++) sum += shardLimit(limit, shards, s);
      expect(sum).toBe(limit);
    }
  });

  it("shards spread similar numbers evenly", () => {
    const counts = new Array(4).fill(0);
    for (let i = 0; i < 4000; i++) counts[shardOf(`+33612${String(100000 + i * 37)}`, 4)]++;
    for (const c of counts) expect(c).toBeGreaterThan(850);
  });
});
