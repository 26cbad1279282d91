// Twilio Verification Attempts from insights snapshots, as pure data: one attempt per message (none
// for a test number), the filters at whole seconds and on the masked number's visible prefix, the
// summary's rate as Twilio writes it, and the newest-first cursor key.
import { describe, expect, it } from "vitest";
import { attemptsOf, attemptSortKey, matchesAttempt, summarizeAttempts, type Attempt } from "../../src/core/attempts.ts";
import type { VerificationSnapshot } from "../../src/core/insights.ts";

const T = Date.UTC(2026, 10, 22, 12, 0, 0);

function snapshot(overrides: Partial<VerificationSnapshot> = {}): VerificationSnapshot {
  return {
    id: "ve_x",
    maskedTo: "+1415****671",
    country: "US",
    channel: "sms",
    status: "pending",
    provider: "twilio",
    delivery: "",
    sendAttempts: 1,
    checkAttempts: 0,
    createdAt: T,
    updatedAt: T + 5_000,
    test: false,
    ...overrides,
  };
}

describe("attemptsOf", () => {
  it("one attempt per message: the first at creation, later ones at the last change, the receipt on the latest", () => {
    const attempts = attemptsOf(snapshot({ sendAttempts: 3, status: "approved", delivery: "delivered", updatedAt: T + 90_000 }));
    expect(attempts.map((a) => [a.n, a.createdAt, a.converted, a.messageStatus])).toEqual([
      [1, T, true, null],
      [2, T + 90_000, true, null],
      [3, T + 90_000, true, "delivered"],
    ]);
    expect(attemptsOf(snapshot({ delivery: "" }))[0]!.messageStatus).toBeNull();
  });

  it("a test number's verification sent nothing: no attempt; only approval converts", () => {
    expect(attemptsOf(snapshot({ test: true, sendAttempts: 1 }))).toEqual([]);
    for (const status of ["pending", "expired", "canceled", "max_attempts_reached", "failed"]) {
      expect(attemptsOf(snapshot({ status }))[0]!.converted, status).toBe(false);
    }
  });
});

describe("matchesAttempt", () => {
  const [attempt] = attemptsOf(snapshot({ createdAt: T + 400 })) as [Attempt];

  it("compares times at whole seconds, both bounds inclusive", () => {
    expect(matchesAttempt(attempt, { createdAfter: T })).toBe(true);
    expect(matchesAttempt(attempt, { createdAfter: T + 999 })).toBe(true);
    expect(matchesAttempt(attempt, { createdAfter: T + 1_000 })).toBe(false);
    expect(matchesAttempt(attempt, { createdBefore: T })).toBe(true);
    expect(matchesAttempt(attempt, { createdBefore: T - 1 })).toBe(false);
  });

  it("country, channel and conversion", () => {
    expect(matchesAttempt(attempt, { country: "US", channel: "sms", converted: false })).toBe(true);
    expect(matchesAttempt(attempt, { country: "GB" })).toBe(false);
    expect(matchesAttempt(attempt, { channel: "call" })).toBe(false);
    expect(matchesAttempt(attempt, { converted: true })).toBe(false);
  });

  it("a destination prefix against the masked number's visible start; a shorter one cannot match", () => {
    for (const prefix of ["+1", "+14", "+141", "+1415"]) expect(matchesAttempt(attempt, { destinationPrefix: prefix }), prefix).toBe(true);
    for (const prefix of ["+44", "+1416"]) expect(matchesAttempt(attempt, { destinationPrefix: prefix }), prefix).toBe(false);
    const [short] = attemptsOf(snapshot({ maskedTo: "+6****" })) as [Attempt];
    expect(matchesAttempt(short, { destinationPrefix: "+6" })).toBe(true);
    expect(matchesAttempt(short, { destinationPrefix: "+68" })).toBe(false);
  });
});

describe("summarizeAttempts", () => {
  const of = (converted: number, unconverted: number) => [
    ...attemptsOf(snapshot({ status: "approved", sendAttempts: converted })),
    ...attemptsOf(snapshot({ sendAttempts: unconverted })),
  ];

  it("totals and the rate as a decimal string; no attempts, no rate", () => {
    expect(summarizeAttempts(of(2, 1))).toEqual({ totalAttempts: 3, totalConverted: 2, totalUnconverted: 1, conversionRatePercentage: "66.666666667" });
    expect(summarizeAttempts(of(1, 3)).conversionRatePercentage).toBe("25");
    expect(summarizeAttempts(of(2, 0)).conversionRatePercentage).toBe("100");
    expect(summarizeAttempts([])).toEqual({ totalAttempts: 0, totalConverted: 0, totalUnconverted: 0, conversionRatePercentage: null });
  });
});

describe("attemptSortKey", () => {
  it("ascends newest first, then by sid", () => {
    const keys = [attemptSortKey(T, "VLb"), attemptSortKey(T + 1, "VLz"), attemptSortKey(T, "VLa"), attemptSortKey(1, "VLa")];
    expect([...keys].sort()).toEqual([attemptSortKey(T + 1, "VLz"), attemptSortKey(T, "VLa"), attemptSortKey(T, "VLb"), attemptSortKey(1, "VLa")]);
  });
});
