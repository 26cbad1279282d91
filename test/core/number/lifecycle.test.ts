// Time and the operator: channel fallbacks, the alarm's sweep, the next alarm, list entries.
import { describe, expect, it } from "vitest";
import type { GuardTake, ScopeRequest, ScopeRule } from "../../../src/core/scopes.ts";
import { admitFallback, decideListed, fallbackRefused, nextAlarm, reserveFallback, sweep } from "../../../src/core/number/lifecycle.ts";
import { EMPTY_STATE } from "../../../src/core/number/types.ts";
import { DAY_MS, DEFAULT_NUMBER_LIMITS } from "../../../src/core/policy.ts";
import { applyStart, type VerificationRecord } from "../../../src/core/verification.ts";
import { START_PARAMS } from "../fixtures.ts";

const NOW = 1_800_000_000_000;
const RETENTION_MS = 7 * DAY_MS;
const started = applyStart(null, { ...START_PARAMS, channels: ["sms", "call"], fallbackAfterSeconds: 30 }, NOW - 30_000, "ve_1", new Uint8Array(32).fill(1));
const scope = (rule: ScopeRule, guard = false): ScopeRequest => ({
  rule,
  name: "budget:1",
  counter: rule,
  take: { limit: 10, windowMs: 3_600_000, kind: "sliding", enforce: true, ...(guard ? { guard: { count: true } as GuardTake } : {}) },
});
const FALLBACK = { scopes: [scope("velocity_ip"), scope("velocity_range", true), scope("budget")], denyListMode: "enforce" as const };
const sentOnce = { ...EMPTY_STATE, counters: { ...EMPTY_STATE.counters, sendTimes: [NOW - 30_000] } };

describe("admitFallback", () => {
  it("a due fallback takes the start's counters, the guard judging without counting again", () => {
    const admitted = admitFallback(started, sentOnce, FALLBACK, DEFAULT_NUMBER_LIMITS, NOW);
    expect(admitted).toMatchObject({ kind: "go", channel: "call", risks: [] });
    expect(admitted.kind === "go" && admitted.scopes.map((s) => [s.rule, s.take.guard?.count])).toEqual([["velocity_ip", undefined], ["velocity_range", false], ["budget", undefined]]);
  });

  it("nothing before it is due", () => {
    expect(admitFallback(started, sentOnce, FALLBACK, DEFAULT_NUMBER_LIMITS, NOW - 1)).toEqual({ kind: "none" });
  });

  it.each([
    ["a test number", { ...started, test: true }, sentOnce, FALLBACK, "test_number"],
    ["a start of the previous release (no counters kept)", started, sentOnce, null, "caps_unknown"],
    ["a number deny-listed meanwhile", started, { ...sentOnce, denied: true }, FALLBACK, "deny_list"],
    ["the per-number daily limit", started, { ...EMPTY_STATE, counters: { ...EMPTY_STATE.counters, sendTimes: Array.from({ length: 10 }, (_v, i) => NOW - 3_600_000 * (i + 1)) } }, FALLBACK, "sends_per_day"],
  ] as const)("%s stops the workflow and says why", (_name, record, state, fallback, rule) => {
    const admitted = admitFallback(record as VerificationRecord, state, fallback, DEFAULT_NUMBER_LIMITS, NOW);
    expect(admitted).toMatchObject({ kind: "stop", rule, record: { nextChannelAt: 0, fallbackRefusal: rule } });
  });

  it("a cooldown that ends before expiry only delays the step", () => {
    const admitted = admitFallback(started, { ...EMPTY_STATE, counters: { ...EMPTY_STATE.counters, sendTimes: [NOW - 10_000] } }, FALLBACK, DEFAULT_NUMBER_LIMITS, NOW);
    expect(admitted).toMatchObject({ kind: "delay", record: { nextChannelAt: NOW + 20_000 } });
  });

  it("an allow-listed number's fallback takes only the budget; a monitored deny list is a risk", () => {
    const allowed = admitFallback(started, { ...sentOnce, allowed: true }, FALLBACK, DEFAULT_NUMBER_LIMITS, NOW);
    expect(allowed.kind === "go" && allowed.scopes.map((s) => s.rule)).toEqual(["budget"]);
    expect(admitFallback(started, { ...sentOnce, denied: true }, { ...FALLBACK, denyListMode: "monitor" }, DEFAULT_NUMBER_LIMITS, NOW)).toMatchObject({ kind: "go", risks: ["deny_list"] });
  });

  it("a counter's refusal names its rule", () => {
    expect(fallbackRefused(started, { reason: "limit_reached", message: "", field: "to", rule: "budget" }, NOW)).toMatchObject({ nextChannelAt: 0, fallbackRefusal: "budget" });
  });

  it("the reservation moves to the next channel, keeps the earlier code valid and counts the send", () => {
    const made = reserveFallback(started, sentOnce, new Uint8Array(32).fill(2), { encoding: "", segments: 0 }, ["velocity_range"], NOW);
    expect(made.record).toMatchObject({ channel: "call", sendAttempts: 2, previousCodeHashes: [started.codeHash], risks: ["velocity_range"] });
    expect(made.writes[1]).toMatchObject({ kind: "state", state: { counters: { sendTimes: [NOW - 30_000, NOW] } } });
  });
});

describe("sweep", () => {
  it("expires due verifications with their events, finds due fallbacks, drops what is past retention and expired keys", () => {
    const due = { ...started, id: "ve_due", expiresAt: NOW - 1 };
    const old = { ...started, id: "ve_old", status: "approved" as const, updatedAt: NOW - RETENTION_MS };
    const out = sweep([due, started, old], [["k1", { expiresAt: NOW }], ["k2", { expiresAt: NOW + 1 }]], NOW, RETENTION_MS, { events: ["verification.expired"] });
    expect(out.writes.map((w) => [w.kind, w.kind === "state" ? "" : w.record.id])).toEqual([["verification", "ve_due"], ["webhook", "ve_due"]]);
    expect(out.effects).toMatchObject([{ kind: "insight", insight: "expired" }]);
    expect(out.dueFallbacks).toEqual(["ve_1"]);
    expect(out.deleteVerifications).toEqual(["ve_old"]);
    expect(out.deleteIdempotency).toEqual(["k1"]);
  });
});

describe("nextAlarm", () => {
  const settings = { retentionMs: RETENTION_MS, lookupCacheMs: 0, deliverabilityWindowMs: 30 * DAY_MS };
  const remains = { records: [], outboxDue: [], state: EMPTY_STATE, idempotencyExpiries: [], lookup: null };
  it("frees an object with nothing left", () => {
    expect(nextAlarm(remains, NOW, settings)).toEqual({ kind: "erase" });
  });
  it("comes back for the earliest due moment while verifications remain", () => {
    expect(nextAlarm({ ...remains, records: [started], outboxDue: [NOW + 5] }, NOW, settings)).toMatchObject({ kind: "alarm", at: NOW });
  });
  it("keeps counters until their window passes, forgetting the latest id", () => {
    const next = nextAlarm({ ...remains, state: { ...sentOnce, latestId: "ve_1" } }, NOW, settings);
    expect(next).toMatchObject({ kind: "alarm", at: NOW - 30_000 + DAY_MS, state: { latestId: null } });
  });
  it("keeps list flags without an alarm", () => {
    expect(nextAlarm({ ...remains, state: { ...EMPTY_STATE, denied: true } }, NOW, settings)).toEqual({ kind: "alarm", at: null, state: null, deleteLookup: false });
  });
});

describe("decideListed", () => {
  it("taking a number off the deny list forgets its delivery failures, and brings the alarm now", () => {
    const listed = { ...EMPTY_STATE, denied: true, denyReason: "unsubscribed" as const, deliverability: { failures: [{ at: NOW, reason: "unsubscribed" as const }] } };
    expect(decideListed(listed, "deny", false, NOW)).toEqual({ state: { ...listed, denied: false, denyReason: null, deliverability: { failures: [] } }, alarmAt: NOW });
    expect(decideListed(listed, "deny", true, NOW)).toEqual({ state: null, alarmAt: null });
  });
});
