import { describe, expect, it } from "vitest";
import { applyCancel, applyCheck, applyStart, effectiveStatus } from "../../src/core/verification.ts";
import { START_PARAMS } from "./fixtures.ts";

const NOW = Date.UTC(2026, 0, 1);
const HASH = new Uint8Array([1, 2, 3]);
const params = START_PARAMS;

describe("verification state machine", () => {
  const fresh = applyStart(null, params, NOW, "ve_a", HASH);

  it("starts pending with one send and the TTL applied", () => {
    expect(fresh).toMatchObject({ id: "ve_a", status: "pending", sendAttempts: 1, checkAttempts: 0, expiresAt: NOW + 600_000 });
  });

  it("a resend keeps the id and the failure count, replaces the hash, and extends expiry", () => {
    const failed = applyCheck(fresh, false, NOW + 1000, 5);
    if (failed.kind !== "checked") throw new Error("unexpected");
    const resent = applyStart(failed.record, params, NOW + 2000, "ve_other", new Uint8Array([9]));
    expect(resent).toMatchObject({ id: "ve_a", sendAttempts: 2, checkAttempts: 1, expiresAt: NOW + 2000 + 600_000 });
    expect(resent.codeHash).toEqual(new Uint8Array([9]));
  });

  it("approves once and drops the hash", () => {
    const ok = applyCheck(fresh, true, NOW + 1, 5);
    expect(ok).toMatchObject({ kind: "checked", status: "approved", record: { status: "approved", codeHash: null } });
    if (ok.kind !== "checked") throw new Error("unexpected");
    expect(applyCheck(ok.record, true, NOW + 2, 5)).toMatchObject({ kind: "refused", refusal: { reason: "already_approved" } });
  });

  it("the fifth wrong code answers invalid and ends the verification", () => {
    let record = fresh;
    const statuses: string[] = [];
    for (let i = 0; i < 5; i++) {
      const outcome = applyCheck(record, false, NOW + i, 5);
      if (outcome.kind !== "checked") throw new Error("unexpected");
      statuses.push(outcome.status);
      record = outcome.record;
    }
    expect(statuses).toEqual(["invalid", "invalid", "invalid", "invalid", "invalid"]);
    expect(record).toMatchObject({ status: "max_attempts_reached", checkAttempts: 5, codeHash: null });
    expect(applyCheck(record, true, NOW + 10, 5)).toMatchObject({ kind: "checked", status: "max_attempts_reached" });
  });

  it("expires exactly at expiresAt, even with the right code", () => {
    expect(applyCheck(fresh, true, NOW + 599_999, 5)).toMatchObject({ status: "approved" });
    expect(applyCheck(fresh, true, NOW + 600_000, 5)).toMatchObject({ status: "expired", record: { status: "expired" } });
    expect(effectiveStatus(fresh, NOW + 600_000)).toBe("expired");
    expect(effectiveStatus(fresh, NOW + 599_999)).toBe("pending");
  });

  it("cancels pending only; cancel is idempotent", () => {
    const canceled = applyCancel(fresh, NOW + 1);
    expect(canceled).toMatchObject({ kind: "checked", status: "canceled", record: { status: "canceled", codeHash: null } });
    if (canceled.kind !== "checked") throw new Error("unexpected");
    expect(applyCancel(canceled.record, NOW + 2)).toMatchObject({ kind: "checked", changed: false });
    expect(applyCheck(canceled.record, true, NOW + 3, 5)).toMatchObject({ status: "canceled" });
    expect(applyCancel(fresh, NOW + 600_000)).toMatchObject({ kind: "refused", refusal: { reason: "invalid_argument" } });
  });
});
