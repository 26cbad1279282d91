// A check's and a cancel's decisions, without workerd.
import { describe, expect, it } from "vitest";
import { checkableByNumber, decideCancel, decideCheck, matchesAnyCode } from "../../../src/core/number/check.ts";
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
    // Approved: no attempt is left to the verification, and the number's wrong codes start over.
    expect(made.answer.ok && made.answer.rateLimits.map((i) => [i.policy, i.remaining, i.resetSeconds])).toEqual([
      ["check_attempts", 0, undefined],
      ["failed_checks_per_day", 20, 86_400],
    ]);
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
    // The answer says what is left after it: 4 wrong codes to the verification (until it expires), 19 to the number today.
    expect(made.answer.ok && made.answer.rateLimits).toEqual([
      { policy: "check_attempts", quota: 5, remaining: 4, resetSeconds: 540 },
      { policy: "failed_checks_per_day", quota: 20, windowSeconds: 86_400, remaining: 19, resetSeconds: 86_400 },
    ]);
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
    expect(made).toMatchObject({ answer: { ok: false, refusal: { reason: "locked", rule: "failed_checks_per_day", retryAfterSeconds: 60 } }, writes: [], effects: [] });
    expect(!made.answer.ok && made.answer.refusal.rateLimits?.[1]).toEqual({ policy: "failed_checks_per_day", quota: 20, windowSeconds: 86_400, remaining: 0, resetSeconds: 60 });
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
      expect(made).toMatchObject({ answer: { ok: true, status: "expired", record: resent }, writes: [], effects: [] });
      // Its RateLimit fields say no attempt went: all of them are left.
      expect(made.answer.ok && made.answer.rateLimits.find((r) => r.policy === "check_attempts")).toMatchObject({ quota: 5, remaining: 5 });
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

describe("acceptPreviousCodes: earlier codes kept by a resend", () => {
  const hash = (n: number) => new Uint8Array(32).fill(n);
  /** A start, then a resend per further hash, `keep` earlier codes kept by each, 40 s apart. */
  const sentWith = (keep: number, hashes: number[]) => {
    let record = applyStart(null, { ...START_PARAMS, acceptPreviousCodes: keep }, NOW - 600_000, "ve_1", hash(hashes[0]!));
    for (const [i, n] of hashes.slice(1).entries()) record = applyStart(record, { ...START_PARAMS, acceptPreviousCodes: keep }, NOW - 600_000 + (i + 1) * 40_000, "ve_unused", hash(n));
    return record;
  };

  it("keeps the k newest earlier codes, oldest dropped first; 0 (or absent) keeps none", () => {
    expect(sentWith(0, [1, 2, 3]).previousCodeHashes).toEqual([]);
    expect(applyStart(sentWith(3, [1, 2]), START_PARAMS, NOW, "ve_1", hash(3)).previousCodeHashes).toEqual([]);
    expect(sentWith(1, [1, 2, 3])).toMatchObject({ codeHash: hash(3), previousCodeHashes: [hash(2)], sendAttempts: 3 });
    expect(sentWith(2, [1, 2, 3, 4]).previousCodeHashes).toEqual([hash(2), hash(3)]);
    expect(sentWith(3, [1, 2, 3, 4, 5]).previousCodeHashes).toEqual([hash(2), hash(3), hash(4)]);
    expect(sentWith(3, [1, 2]).previousCodeHashes).toEqual([hash(1)]);
  });

  it("compares every kept MAC, with no early exit, and says whether any matched", () => {
    const record = sentWith(3, [1, 2, 3, 4]);
    for (const target of [4, 1, 2, 9]) {
      const compared: number[] = [];
      const matched = matchesAnyCode(record, (h) => (compared.push(h[0]!), h[0] === target));
      expect(compared.sort()).toEqual([1, 2, 3, 4]);
      expect(matched).toBe(target !== 9);
    }
  });

  it("a finished verification has no code left to compare", () => {
    const compared: Uint8Array[] = [];
    const approved = check({ record: sentWith(3, [1, 2, 3]), matched: true }).answer;
    expect(approved).toMatchObject({ ok: true, record: { codeHash: null, previousCodeHashes: [] } });
    expect(matchesAnyCode(approved.ok ? approved.record : pending, (h) => (compared.push(h), true))).toBe(false);
    expect(compared).toEqual([]);
  });

  it("a wrong code is one attempt and one failed check, however many codes it was compared with", () => {
    const made = check({ record: sentWith(3, [1, 2, 3, 4]), matched: false });
    expect(made.answer).toMatchObject({ ok: true, status: "invalid", record: { checkAttempts: 1, previousCodeHashes: [hash(1), hash(2), hash(3)] } });
    expect(made.writes[1]).toMatchObject({ kind: "state", state: { counters: { failedCheckTimes: [NOW] } } });
  });

  it("a resend keeps the wrong-code count: kept codes buy no extra attempts", () => {
    const guessed = { ...sentWith(2, [1, 2]), checkAttempts: 4 };
    const resent = applyStart(guessed, { ...START_PARAMS, acceptPreviousCodes: 2 }, NOW - 60_000, "ve_unused", hash(3));
    expect(resent).toMatchObject({ checkAttempts: 4, previousCodeHashes: [hash(1), hash(2)] });
    expect(check({ record: resent }).answer).toMatchObject({ ok: true, status: "invalid", record: { status: "max_attempts_reached", previousCodeHashes: [] } });
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
