// A check's and a cancel's decisions, without workerd.
import { describe, expect, it } from "vitest";
import { checkableByNumber, decideCancel, decideCheck } from "../../../src/core/number/check.ts";
import { EMPTY_STATE } from "../../../src/core/number/types.ts";
import { DEFAULT_NUMBER_LIMITS } from "../../../src/core/policy.ts";
import { applyStart } from "../../../src/core/verification.ts";
import { START_PARAMS } from "../fixtures.ts";

const NOW = 1_800_000_000_000;
const RETENTION_MS = 7 * 86_400_000;
const pending = { ...applyStart(null, START_PARAMS, NOW - 60_000, "ve_1", new Uint8Array(32)), guardScopes: ["budget:1#default:range:+1415555"] };
const check = (over: Partial<Parameters<typeof decideCheck>[0]> = {}) =>
  decideCheck({ state: EMPTY_STATE, record: pending, matched: false, now: NOW, maxCheckAttempts: 5, numberLimits: DEFAULT_NUMBER_LIMITS, webhook: null, retentionMs: RETENTION_MS, ...over });

describe("decideCheck", () => {
  it("an approval: the record finished, the approval counted, the guard's counters owed an approval, no earlier alarm", () => {
    const made = check({ matched: true });
    expect(made.answer).toMatchObject({ ok: true, status: "approved", record: { status: "approved", codeHash: null } });
    expect(made.writes.map((w) => w.kind)).toEqual(["verification", "state"]);
    expect(made.writes[1]).toMatchObject({ state: { counters: { lastApprovalAt: NOW } } });
    expect(made.effects).toEqual([
      { kind: "insight", insight: "approved", record: made.answer.ok && made.answer.record, at: NOW },
      { kind: "approvals", refs: ["budget:1#default:range:+1415555"] },
    ]);
  });

  it("a wrong code counts a failed check and keeps the alarm", () => {
    const made = check();
    expect(made.answer).toMatchObject({ ok: true, status: "invalid", record: { checkAttempts: 1, status: "pending" } });
    expect(made.writes[1]).toMatchObject({ kind: "state", state: { counters: { failedCheckTimes: [NOW] } } });
    expect(made.effects).toEqual([]);
  });

  it("the last allowed wrong code ends the verification at once", () => {
    const made = check({ record: { ...pending, checkAttempts: 4 } });
    expect(made.answer).toMatchObject({ ok: true, status: "invalid", record: { status: "max_attempts_reached" } });
    expect(made.effects.map((e) => e.kind)).toEqual(["insight"]);
  });

  it("a locked number refuses a check of a pending verification and changes nothing", () => {
    const made = check({ state: { ...EMPTY_STATE, counters: { ...EMPTY_STATE.counters, lockedUntil: NOW + 60_000 } }, matched: true });
    expect(made).toMatchObject({ answer: { ok: false, refusal: { reason: "locked", rule: "failed_checks_per_day" } }, writes: [], effects: [] });
  });

  it("an approved verification refuses a replayed code and changes nothing", () => {
    const approved = check({ matched: true }).answer;
    const made = check({ record: approved.ok ? approved.record : pending, matched: true });
    expect(made).toMatchObject({ answer: { ok: false, refusal: { reason: "already_approved" } }, writes: [] });
  });

  it("an expired one answers expired, and the alarm is not moved for it", () => {
    const made = check({ now: pending.expiresAt, matched: true });
    expect(made.answer).toMatchObject({ ok: true, status: "expired" });
    expect(made.writes).toHaveLength(1);
  });

  it("a superseded send's code: expired, nothing written, no attempt counted, even when the code matches", () => {
    const resent = { ...pending, sendAttempts: 2 };
    for (const matched of [false, true]) {
      const made = check({ record: resent, sendAttempt: 1, matched });
      expect(made).toEqual({ answer: { ok: true, status: "expired", record: resent }, writes: [], effects: [] });
    }
    // The latest send's code is checked as usual, and no send named is any send.
    expect(check({ record: resent, sendAttempt: 2, matched: true }).answer).toMatchObject({ ok: true, status: "approved" });
    expect(check({ record: resent, matched: true }).answer).toMatchObject({ ok: true, status: "approved" });
    // A finished verification answers as finished, whichever send is named.
    const approved = check({ matched: true }).answer;
    expect(check({ record: approved.ok ? approved.record : pending, sendAttempt: 7, matched: true }).answer).toMatchObject({ ok: false, refusal: { reason: "already_approved" } });
  });

  it("queues the subscribed status webhook in the same step", () => {
    const made = check({ matched: true, webhook: { events: ["verification.approved"] } });
    expect(made.writes.at(-1)).toMatchObject({ kind: "webhook", event: "verification.approved", at: NOW });
  });
});

describe("checkableByNumber", () => {
  it("reaches the newest verification while pending, or used up and not yet expired", () => {
    expect(checkableByNumber(pending, "default", NOW)).toBe(pending);
    expect(checkableByNumber({ ...pending, status: "max_attempts_reached" }, "default", NOW)).not.toBeNull();
    expect(checkableByNumber({ ...pending, status: "approved" }, "default", NOW)).toBeNull();
    expect(checkableByNumber(pending, "other-service", NOW)).toBeNull();
  });
});

describe("decideCancel", () => {
  it("cancels a pending verification and asks for the alarm at its retention end", () => {
    const made = decideCancel(pending, NOW, { events: ["verification.canceled"] }, RETENTION_MS);
    expect(made.answer).toMatchObject({ ok: true, record: { status: "canceled" } });
    expect(made.writes.map((w) => w.kind)).toEqual(["verification", "webhook"]);
    expect(made.effects).toContainEqual({ kind: "alarm", at: NOW + RETENTION_MS });
  });
  it("refuses a finished one, and a repeated cancel changes nothing", () => {
    const canceled = decideCancel(pending, NOW, null, RETENTION_MS).answer;
    expect(decideCancel({ ...pending, status: "approved" }, NOW, null, RETENTION_MS).answer).toMatchObject({ ok: false, refusal: { reason: "invalid_argument" } });
    expect(decideCancel(canceled.ok ? canceled.record : pending, NOW, null, RETENTION_MS)).toMatchObject({ answer: { ok: true }, writes: [], effects: [] });
  });
});
