// A start's decisions, without workerd: admission (deny list, per-number limits, which counters the
// message takes), the lookup verdict, the reservation's writes and effects.
import { describe, expect, it } from "vitest";
import type { GuardTake, ScopeRequest, ScopeRule } from "../../../src/core/scopes.ts";
import { admitStart, judgeLookup, liveFor, reserveStart, resumedStart } from "../../../src/core/number/start.ts";
import { EMPTY_STATE, type NumberState } from "../../../src/core/number/types.ts";
import { DEFAULT_NUMBER_LIMITS, RULE_NAMES, type RuleMode, type RuleName } from "../../../src/core/policy.ts";
import { applyStart } from "../../../src/core/verification.ts";
import { START_PARAMS } from "../fixtures.ts";

const NOW = 1_800_000_000_000;
const scope = (rule: ScopeRule, guard = false): ScopeRequest => ({
  rule,
  name: "budget:1",
  counter: rule,
  take: { limit: 10, windowMs: 3_600_000, kind: "sliding", enforce: true, ...(guard ? { guard: { count: true } as GuardTake } : {}) },
});
const SCOPES = [scope("velocity_ip"), scope("velocity_range", true), scope("velocity_country", true), scope("budget")];
const admit = (state: NumberState, denyListMode: RuleMode = "enforce") => admitStart(state, { scopes: SCOPES, denyListMode, numberLimits: DEFAULT_NUMBER_LIMITS }, NOW);
const HASH = new Uint8Array(32).fill(7);

describe("admitStart", () => {
  it("admits a new number with every counter, the guard counting it", () => {
    expect(admit(EMPTY_STATE)).toEqual({ ok: true, scopes: SCOPES, risks: [] });
  });

  it.each([
    ["enforce", { ok: false }],
    ["monitor", { ok: true, risks: ["deny_list"] }],
    ["off", { ok: true, risks: [] }],
  ] as const)("a deny-listed number in %s mode", (mode, expected) => {
    expect(admit({ ...EMPTY_STATE, denied: true }, mode)).toMatchObject(expected);
  });

  it("names the delivery reason of a deny-list entry made from reports, and reports it as risk in monitor mode", () => {
    const state = { ...EMPTY_STATE, denied: true, denyReason: "unsubscribed" as const };
    expect(admit(state)).toMatchObject({ ok: false, refusal: { rule: "deny_list", message: "to: this number is on the deny list (unsubscribed, from delivery reports)" } });
    expect(admit(state, "monitor")).toMatchObject({ ok: true, risks: ["unsubscribed", "deny_list"] });
  });

  it("refuses a resend within the cooldown, with the per-number rule", () => {
    const state = { ...EMPTY_STATE, counters: { ...EMPTY_STATE.counters, sendTimes: [NOW - 5_000] } };
    expect(admit(state)).toMatchObject({ ok: false, refusal: { reason: "resend_too_soon", rule: "resend_cooldown", retryAfterSeconds: 25 } });
    // The refusal carries the number's limits: the cooldown's `t` is its Retry-After; a deny-list refusal carries none.
    const refused = admit(state);
    expect(!refused.ok && refused.refusal.rateLimits?.slice(0, 2)).toEqual([
      { policy: "resend_cooldown", quota: 1, windowSeconds: 30, remaining: 0, resetSeconds: 25 },
      { policy: "sends_per_10_minutes", quota: 5, windowSeconds: 600, remaining: 4, resetSeconds: 595 },
    ]);
    const denied = admit({ ...EMPTY_STATE, denied: true });
    expect(!denied.ok && denied.refusal.rateLimits).toBeUndefined();
  });

  it("an allow-listed number takes only the budget", () => {
    expect(admit({ ...EMPTY_STATE, allowed: true })).toEqual({ ok: true, scopes: [scope("budget")], risks: [] });
  });

  it("the guard counts a number once an hour", () => {
    const counted = admit({ ...EMPTY_STATE, guardCountedAt: NOW - 30 * 60_000 });
    expect(counted.ok && counted.scopes.map((s) => s.take.guard?.count)).toEqual([undefined, false, false, undefined]);
    const hourAgo = admit({ ...EMPTY_STATE, guardCountedAt: NOW - 61 * 60_000 });
    expect(hourAgo.ok && hourAgo.scopes.map((s) => s.take.guard?.count)).toEqual([undefined, true, true, undefined]);
  });
});

describe("judgeLookup", () => {
  const modes = Object.fromEntries(RULE_NAMES.map((r) => [r, "enforce"])) as Record<RuleName, RuleMode>;
  const answer = (lineType: "mobile" | "landline" | "voip") => ({ lineType, carrier: "Telco", mcc: "", mnc: "", ported: null, source: "twilio", fetchedAt: NOW }) as never;
  it("refuses a landline by carrier lookup, naming the source", () => {
    expect(judgeLookup({ lineType: "fixed_line_or_mobile", countryCode: "US" }, answer("landline"), modes, false)).toEqual({
      ok: false,
      refusal: { reason: "rule_refused", message: "to: landline numbers are not accepted (carrier lookup: twilio)", field: "to", rule: "landline" },
    });
  });
  it("a monitored rule reports risk", () => {
    expect(judgeLookup({ lineType: "fixed_line_or_mobile", countryCode: "US" }, answer("voip"), { ...modes, voip: "monitor" }, false)).toEqual({ ok: true, risks: ["voip"] });
  });
  it("no answer: open with risk, or closed with a retryable refusal", () => {
    expect(judgeLookup({ lineType: "mobile", countryCode: "US" }, null, modes, false)).toEqual({ ok: true, risks: ["lookup_unavailable"] });
    expect(judgeLookup({ lineType: "mobile", countryCode: "US" }, null, modes, true)).toMatchObject({ ok: false, refusal: { reason: "unavailable", retryAfterSeconds: 30 } });
  });
});

describe("reserveStart", () => {
  const base = { state: EMPTY_STATE, latest: null, params: START_PARAMS, now: NOW, id: "ve_new", codeHash: HASH, test: false, taken: [], webhook: null, retentionMs: 7 * 86_400_000, numberLimits: DEFAULT_NUMBER_LIMITS };

  it("writes the verification and the counted send in one step, then reports and sets the alarm at expiry", () => {
    const made = reserveStart(base);
    expect(made.answer.record).toMatchObject({ id: "ve_new", status: "pending", sendAttempts: 1, expiresAt: NOW + 600_000 });
    // The answer's limits count this send.
    expect(made.answer.rateLimits.map((i) => [i.policy, i.remaining, i.resetSeconds])).toEqual([
      ["resend_cooldown", 0, 30],
      ["sends_per_10_minutes", 4, 600],
      ["sends_per_day", 9, 86_400],
      ["failed_checks_per_day", 20, 86_400],
    ]);
    expect(made.writes).toEqual([
      { kind: "verification", record: made.answer.record },
      { kind: "state", state: { ...EMPTY_STATE, counters: { ...EMPTY_STATE.counters, sendTimes: [NOW] }, latestId: "ve_new" } },
    ]);
    expect(made.effects).toEqual([
      { kind: "insight", insight: "started", record: made.answer.record, at: NOW },
      { kind: "alarm", at: NOW + 600_000 },
    ]);
  });

  it("re-sends for the live verification: same id, new code, one more send", () => {
    const live = applyStart(null, START_PARAMS, NOW - 60_000, "ve_live", new Uint8Array(32));
    const made = reserveStart({ ...base, latest: live, state: { ...EMPTY_STATE, latestId: "ve_live" } });
    expect(made.answer.record).toMatchObject({ id: "ve_live", sendAttempts: 2, codeHash: HASH });
  });

  it("expires a latest verification past its time instead of re-sending for it", () => {
    const old = applyStart(null, START_PARAMS, NOW - 700_000, "ve_old", new Uint8Array(32));
    const made = reserveStart({ ...base, latest: old });
    expect(made.writes[0]).toMatchObject({ kind: "verification", record: { id: "ve_old", status: "expired", codeHash: null } });
    expect(made.answer.record.id).toBe("ve_new");
    expect(liveFor(old, "default", NOW).reuse).toBeNull();
  });

  it("a test number is sent-and-done now, with no channel fallback", () => {
    const made = reserveStart({ ...base, test: true, params: { ...START_PARAMS, channels: ["sms", "call"], fallbackAfterSeconds: 30 } });
    expect(made.answer.record).toMatchObject({ test: true, provider: "test", messageId: "test_1", nextChannelAt: 0 });
  });

  it("remembers the guard counters that counted the number, and when", () => {
    const made = reserveStart({ ...base, taken: [{ name: "budget:3", counter: "default:range:+1415555", bucket: 1, guarded: true }, { name: "ip", counter: "", bucket: 2 }] });
    expect(made.answer.record.guardScopes).toEqual(["budget:3#default:range:+1415555"]);
    expect(made.writes[1]).toMatchObject({ kind: "state", state: { guardCountedAt: NOW } });
  });

  it("queues the started webhook only for a subscribing service", () => {
    expect(reserveStart({ ...base, webhook: { events: ["verification.started"] } }).writes.at(-1)).toMatchObject({ kind: "webhook", event: "verification.started", at: NOW });
    expect(reserveStart({ ...base, webhook: { events: ["verification.approved"] } }).writes.some((w) => w.kind === "webhook")).toBe(false);
  });
});

describe("resumedStart", () => {
  it("answers a repeated start with the verification its first try made, and only then", () => {
    const live = applyStart(null, START_PARAMS, NOW - 1_000, "ve_live", new Uint8Array(32));
    expect(resumedStart(live, "default", NOW, NOW - 2_000)).toBe(live);
    expect(resumedStart(live, "default", NOW, NOW - 500)).toBeNull(); // made before the first try began
    expect(resumedStart(live, "default", NOW, undefined)).toBeNull();
    expect(resumedStart(live, "default", live.expiresAt, NOW - 2_000)).toBeNull(); // no longer live
  });
});
