// Pure insights arithmetic: snapshots carry no number or code, day keys, histogram medians, and
// the merge of shards (sums add up, whatever shard a count landed in).
import { describe, expect, it } from "vitest";
import { dayOf, insightEvent, lastDays, medianOf, mergeInsights, snapshotOf, type ShardAggregates } from "../../src/core/insights.ts";
import type { VerificationRecord } from "../../src/core/verification.ts";

const T = Date.UTC(2026, 10, 22, 12, 0, 0);

function record(overrides: Partial<VerificationRecord> = {}): VerificationRecord {
  return {
    id: "ve_x",
    service: "default",
    to: "+14155552671",
    channel: "sms",
    status: "pending",
    codeHash: new Uint8Array([1, 2, 3]),
    codeLength: 6,
    createdAt: T,
    updatedAt: T,
    expiresAt: T + 600_000,
    sendAttempts: 1,
    checkAttempts: 0,
    messageId: "SM1",
    provider: "twilio",
    failureReason: "",
    countryCode: "US",
    lineType: "mobile",
    externalId: "customer-42",
    tags: { plan: "gold-plan" },
    locale: "en",
    risks: ["voip"],
    delivery: null,
    messageEncoding: "GSM-7",
    messageSegments: 1,
    serviceName: "Acme",
    channels: ["sms"],
    fallbackAfterSeconds: 0,
    nextChannelAt: 0,
    previousCodeHashes: [],
    test: false,
    ...overrides,
  } as VerificationRecord;
}

const empty = (): ShardAggregates => ({ outcomes: [], providers: [], rules: [], approvalSeconds: [] });

describe("snapshots", () => {
  it("keep a masked number and nothing secret or personal", () => {
    const snapshot = snapshotOf(record());
    expect(snapshot.maskedTo).toBe("+1415****671");
    const text = JSON.stringify(snapshot);
    for (const secret of ["+14155552671", "customer-42", "gold-plan", "codeHash", "Acme"]) expect(text).not.toContain(secret);
  });

  it("carry monitor-mode risks on a first start only (a resend is not a new verification)", () => {
    expect(insightEvent("started", record(), T).risks).toEqual(["voip"]);
    expect(insightEvent("started", record({ sendAttempts: 2 }), T).risks).toEqual([]);
    expect(insightEvent("approved", record(), T).risks).toEqual([]);
  });
});

describe("days and medians", () => {
  it("keys days in UTC and lists the last n days oldest first", () => {
    expect(dayOf(Date.UTC(2026, 10, 22, 23, 59, 59))).toBe("2026-11-22");
    expect(dayOf(Date.UTC(2026, 10, 23))).toBe("2026-11-23");
    expect(lastDays(T, 3)).toEqual(["2026-11-20", "2026-11-21", "2026-11-22"]);
  });

  it("takes the median of a histogram (lower middle for an even count)", () => {
    expect(medianOf(new Map())).toBeNull();
    expect(medianOf(new Map([[5, 1]]))).toBe(5);
    expect(medianOf(new Map([[30, 1], [4, 2], [10, 1]]))).toBe(4);
    expect(medianOf(new Map([[1, 1], [2, 1], [3, 1]]))).toBe(2);
  });
});

describe("mergeInsights", () => {
  it("sums shards exactly: conversion per day and country, providers, rules, the median across shards", () => {
    const a = empty();
    const b = empty();
    a.outcomes.push({ day: "2026-11-22", country: "US", outcome: "started", count: 3 }, { day: "2026-11-22", country: "US", outcome: "approved", count: 2 });
    b.outcomes.push(
      { day: "2026-11-22", country: "US", outcome: "started", count: 1 },
      { day: "2026-11-21", country: "GB", outcome: "started", count: 2 },
      { day: "2026-11-21", country: "GB", outcome: "approved", count: 1 },
      { day: "2026-11-21", country: "GB", outcome: "expired", count: 1 },
      // Outside the period: ignored.
      { day: "2026-11-01", country: "GB", outcome: "started", count: 50 },
    );
    a.providers.push({ day: "2026-11-22", provider: "twilio", event: "sent", count: 3 }, { day: "2026-11-22", provider: "twilio", event: "delivered", count: 2 });
    b.providers.push({ day: "2026-11-21", provider: "vonage", event: "sent", count: 2 }, { day: "2026-11-21", provider: "vonage", event: "send_failed", count: 1 });
    a.rules.push({ day: "2026-11-22", rule: "deny_list", mode: "blocked", count: 2 });
    b.rules.push({ day: "2026-11-22", rule: "deny_list", mode: "blocked", count: 1 }, { day: "2026-11-22", rule: "voip", mode: "flagged", count: 4 });
    a.approvalSeconds.push({ day: "2026-11-22", seconds: 10, count: 1 }, { day: "2026-11-22", seconds: 40, count: 1 });
    b.approvalSeconds.push({ day: "2026-11-21", seconds: 20, count: 1 });

    const report = mergeInsights([a, b], lastDays(T, 2));
    expect(report.totals).toEqual({ started: 6, approved: 3, conversion: 0.5, medianSecondsToApprove: 20, sent: 5, blocked: 3 });
    expect(report.byDay).toEqual([
      { day: "2026-11-21", started: 2, approved: 1, conversion: 0.5, medianSecondsToApprove: 20 },
      { day: "2026-11-22", started: 4, approved: 2, conversion: 0.5, medianSecondsToApprove: 10 },
    ]);
    expect(report.byCountry).toEqual([
      { country: "US", started: 4, approved: 2, conversion: 0.5 },
      { country: "GB", started: 2, approved: 1, conversion: 0.5 },
    ]);
    expect(report.byProvider).toEqual([
      { provider: "twilio", sent: 3, failed: 0, delivered: 2, undelivered: 0 },
      { provider: "vonage", sent: 2, failed: 1, delivered: 0, undelivered: 0 },
    ]);
    expect(report.byRule).toEqual([
      { rule: "voip", blocked: 0, flagged: 4 },
      { rule: "deny_list", blocked: 3, flagged: 0 },
    ]);
    expect(report.outcomes).toMatchObject({ started: 6, approved: 3, expired: 1, canceled: 0 });
  });

  it("lookups are counted per vendor apart from SMS providers; blocked scopes are listed once, newest first", () => {
    const a = empty();
    const b = empty();
    a.providers.push(
      { day: "2026-11-22", provider: "lookup:twilio", event: "fetched", count: 2 },
      { day: "2026-11-22", provider: "lookup:twilio", event: "cached", count: 5 },
      { day: "2026-11-22", provider: "twilio", event: "sent", count: 1 },
    );
    b.providers.push({ day: "2026-11-22", provider: "lookup:twilio", event: "failed", count: 1 }, { day: "2026-11-22", provider: "lookup:telnyx", event: "fetched", count: 1 });
    const block = (scope: string, at: number, starts: number) => ({ scope, mode: "enforce" as const, starts, approvals: 0, minStarts: 8, blockedUntil: at + 3_600_000, at });
    a.guardBlocks = [block("range +1206555xxxx", T, 8), block("range +1303555xxxx", T - 1000, 9)];
    // The same scope reported twice (a restarted counter): the newest report wins.
    b.guardBlocks = [block("range +1206555xxxx", T + 1000, 10)];
    const report = mergeInsights([a, b], lastDays(T, 1));
    expect(report.byLookup).toEqual([
      { source: "telnyx", fetched: 1, cached: 0, failed: 0 },
      { source: "twilio", fetched: 2, cached: 5, failed: 1 },
    ]);
    expect(report.byProvider).toEqual([{ provider: "twilio", sent: 1, failed: 0, delivered: 0, undelivered: 0 }]);
    expect(report.totals.sent).toBe(1);
    expect(report.blockedScopes.map((s) => [s.scope, s.starts])).toEqual([
      ["range +1206555xxxx", 10],
      ["range +1303555xxxx", 9],
    ]);
  });

  it("reports no conversion rather than 0% when nothing started", () => {
    const report = mergeInsights([empty()], lastDays(T, 1));
    expect(report.totals.conversion).toBeNull();
    expect(report.byDay[0]).toEqual({ day: "2026-11-22", started: 0, approved: 0, conversion: null, medianSecondsToApprove: null });
  });
});
