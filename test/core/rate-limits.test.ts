// A service's own rate limits as pure rules: which names and numbers a definition may have, and
// which counters a start's key values take (a key without a rate limit refused, a rate limit
// without a value or without buckets counting nothing).
import { describe, expect, it } from "vitest";
import { bucketNumber, rateLimitObjectName, rateLimitScopes, uniqueNameProblem, type RateLimitDefinition } from "../../src/core/rate-limits.ts";
import { refusal } from "../helpers.ts";

describe("uniqueNameProblem", () => {
  it.each([
    ["end_user_ip_address", null],
    ["session.id-2_B", null],
    ["x".repeat(64), null],
    ["", "is required"],
    ["x".repeat(65), "must be at most 64 characters"],
    ["end user", "only supports alphanumeric characters and -, _ or ."],
    ["ip/v4", "only supports alphanumeric characters and -, _ or ."],
    ["clé", "only supports alphanumeric characters and -, _ or ."],
  ])("%j → %s", (name, problem) => {
    expect(uniqueNameProblem(name)).toBe(problem);
  });
});

describe("bucketNumber", () => {
  it.each([
    ["1", { value: 1 }],
    ["1000000", { value: 1_000_000 }],
    ["0", { problem: "must be an integer from 1 to 1000000" }],
    ["1000001", { problem: "must be an integer from 1 to 1000000" }],
    ["-1", { problem: "must be an integer from 1 to 1000000" }],
    ["2.5", { problem: "must be an integer from 1 to 1000000" }],
    ["1e3", { problem: "must be an integer from 1 to 1000000" }],
    [" 5", { problem: "must be an integer from 1 to 1000000" }],
    ["", { problem: "must be an integer from 1 to 1000000" }],
    ["99999999999", { problem: "must be an integer from 1 to 1000000" }],
  ])("%j → %j", (text, expected) => {
    expect(bucketNumber(text, 1, 1_000_000)).toEqual(expected);
  });
});

describe("rateLimitScopes", () => {
  const definitions: RateLimitDefinition[] = [
    { sid: "RK1", uniqueName: "ip", buckets: [{ sid: "BL1", max: 5, intervalSeconds: 60 }, { sid: "BL2", max: 20, intervalSeconds: 3600 }] },
    { sid: "RK2", uniqueName: "session", buckets: [{ sid: "BL3", max: 1, intervalSeconds: 30 }] },
    { sid: "RK3", uniqueName: "unbounded", buckets: [] },
  ];

  it("one counter per bucket, in one object per rate limit and value, named by bucket and interval", () => {
    const scopes = rateLimitScopes("svc", definitions, { ip: "203.0.113.7", session: "s1" }, { ip: "d1", session: "d2" });
    expect(scopes.map((s) => [s.rule, s.name, s.counter, s.take])).toEqual([
      ["rate_limit", "svc:rl:RK1:d1", "BL1:60", { limit: 5, windowMs: 60_000, kind: "sliding", enforce: true }],
      ["rate_limit", "svc:rl:RK1:d1", "BL2:3600", { limit: 20, windowMs: 3_600_000, kind: "sliding", enforce: true }],
      ["rate_limit", "svc:rl:RK2:d2", "BL3:30", { limit: 1, windowMs: 30_000, kind: "sliding", enforce: true }],
    ]);
    expect(scopes[2]!.message).toBe('rateLimits: rate limit "session" allows 1 verification per 30 seconds for this value; try again later');
    // The value itself is in no name: only its digest.
    expect(JSON.stringify(scopes)).not.toContain("203.0.113.7");
    expect(rateLimitObjectName("svc", "RK1", "d1")).toBe(scopes[0]!.name);
  });

  it("counts only the rate limits a start names; one without buckets counts nothing", () => {
    expect(rateLimitScopes("svc", definitions, {}, {})).toEqual([]);
    expect(rateLimitScopes("svc", definitions, { session: "s1" }, { session: "d" }).map((s) => s.counter)).toEqual(["BL3:30"]);
    expect(rateLimitScopes("svc", definitions, { unbounded: "x" }, { unbounded: "d" })).toEqual([]);
  });

  it("refuses a key the service has no rate limit for (names are case-sensitive)", () => {
    expect(refusal(() => rateLimitScopes("svc", definitions, { IP: "x" }, { IP: "d" }))).toBe('rateLimits: no rate limit named "IP" on this service');
    expect(refusal(() => rateLimitScopes("svc", [], { ip: "x" }, { ip: "d" }))).toBe('rateLimits: no rate limit named "ip" on this service');
  });
});
