// A send's outcome and a delivery receipt, without workerd.
import { describe, expect, it } from "vitest";
import { DEFAULT_DELIVERABILITY } from "../../../src/core/deliverability.ts";
import { decideReceipt, noteUndeliverable, sendOutcome } from "../../../src/core/number/send.ts";
import { EMPTY_STATE } from "../../../src/core/number/types.ts";
import { DEFAULT_NUMBER_LIMITS } from "../../../src/core/policy.ts";
import { applySendSuccess, applyStart } from "../../../src/core/verification.ts";
import { START_PARAMS } from "../fixtures.ts";

const NOW = 1_800_000_000_000;
const reserved = applyStart(null, START_PARAMS, NOW - 1_000, "ve_1", new Uint8Array(32));
const state = { ...EMPTY_STATE, counters: { ...EMPTY_STATE.counters, sendTimes: [NOW - 1_000] }, latestId: "ve_1", guardCountedAt: NOW - 1_000 };
const taken = [{ name: "budget:1", counter: "default:range:+1415555", bucket: 4, guarded: true }];
const outcome = (result: Parameters<typeof sendOutcome>[0]["result"], over: Partial<Parameters<typeof sendOutcome>[0]> = {}) =>
  sendOutcome({ state, reserved, current: reserved, result, sentAt: NOW - 1_000, taken, early: [], now: NOW, webhook: null, deliverability: DEFAULT_DELIVERABILITY, numberLimits: DEFAULT_NUMBER_LIMITS, ...over });

describe("sendOutcome", () => {
  it("a success is staged (written after the answer), with its insight", () => {
    const made = outcome({ ok: true, messageId: "SM1", provider: "twilio" });
    expect(made.answer).toMatchObject({ staged: true, record: { messageId: "SM1", provider: "twilio" } });
    expect(made.writes).toEqual([]);
    expect(made.effects).toEqual([{ kind: "insight", insight: "sent", record: made.answer.record, at: NOW }]);
  });

  it("applies receipts that arrived before the send returned its id", () => {
    const made = outcome({ ok: true, messageId: "SM1", provider: "twilio" }, { early: [{ providers: ["twilio"], messageId: "SM1", status: "delivered", errorCode: "", at: NOW }] as never });
    expect(made.answer.record.delivery).toMatchObject({ status: "delivered" });
  });

  it("a definite failure gives back the send, the scope units and the guard's count, and fails the verification", () => {
    const made = outcome({ ok: false, reason: "invalid_number", provider: "twilio", providerCode: "21211", definite: true });
    expect(made.writes[0]).toEqual({ kind: "state", state: { ...state, counters: { ...state.counters, sendTimes: [] }, guardCountedAt: 0 } });
    expect(made.answer.record).toMatchObject({ status: "failed", failureReason: "invalid_number" });
    expect(made.effects.map((e) => e.kind)).toEqual(["release", "insight", "insight"]);
    // The answer's limits count the send given back: nothing of the window is spent, no cooldown runs.
    expect(made.answer.rateLimits).toEqual([
      { policy: "resend_cooldown", quota: 1, windowSeconds: 30, remaining: 1, resetSeconds: 30 },
      { policy: "sends_per_10_minutes", quota: 5, windowSeconds: 600, remaining: 5, resetSeconds: 600 },
      { policy: "sends_per_day", quota: 10, windowSeconds: 86_400, remaining: 10, resetSeconds: 86_400 },
      { policy: "failed_checks_per_day", quota: 20, windowSeconds: 86_400, remaining: 20, resetSeconds: 86_400 },
    ]);
  });

  it("an unknown outcome (timeout) keeps everything counted", () => {
    const made = outcome({ ok: false, reason: "unavailable", provider: "twilio", providerCode: "", definite: false });
    expect(made.writes.map((w) => w.kind)).toEqual(["verification"]);
    expect(made.effects.some((e) => e.kind === "release")).toBe(false);
    // Sent a second ago: the cooldown runs 29 s more, and the send stays counted.
    expect(made.answer.rateLimits.slice(0, 2)).toEqual([
      { policy: "resend_cooldown", quota: 1, windowSeconds: 30, remaining: 0, resetSeconds: 29 },
      { policy: "sends_per_10_minutes", quota: 5, windowSeconds: 600, remaining: 4, resetSeconds: 599 },
    ]);
  });

  it("an unknown outcome with the provider's receipt meanwhile counts as sent, under the receipt's message id", () => {
    const early = [{ providers: ["twilio"], messageId: "SM9", status: "delivered", errorCode: "", at: NOW }] as never;
    const made = outcome({ ok: false, reason: "unavailable", provider: "twilio", providerCode: "", definite: false }, { early });
    expect(made.answer).toMatchObject({ staged: true, record: { status: "pending", messageId: "SM9", provider: "twilio", delivery: { status: "delivered" } } });
    expect(made.effects.map((e) => e.kind)).toEqual(["insight"]);
    // A definite failure is not overruled by a receipt (there is none to have), and no receipt is no proof.
    expect(outcome({ ok: false, reason: "invalid_number", provider: "twilio", providerCode: "21211", definite: true }, { early }).answer.record).toMatchObject({ status: "failed" });
    expect(outcome({ ok: false, reason: "unavailable", provider: "twilio", providerCode: "", definite: false }).answer.staged).toBe(false);
  });

  it("an outcome for a send a newer start replaced is not written over it", () => {
    const newer = { ...reserved, sendAttempts: 2 };
    const made = outcome({ ok: true, messageId: "SM1", provider: "twilio" }, { current: newer });
    expect(made.answer).toMatchObject({ record: newer, staged: false });
  });
});

describe("noteUndeliverable", () => {
  it("deny-lists at the third failure within 30 days, and never for a test number", () => {
    let s = EMPTY_STATE;
    const results = [1, 2, 3].map((i) => {
      const noted = noteUndeliverable(s, reserved, "unsubscribed", NOW + i, DEFAULT_DELIVERABILITY)!;
      s = noted.state;
      return noted.denied;
    });
    expect(results).toEqual([false, false, true]);
    expect(s).toMatchObject({ denied: true, denyReason: "unsubscribed" });
    expect(noteUndeliverable(EMPTY_STATE, { ...reserved, test: true }, "unsubscribed", NOW, DEFAULT_DELIVERABILITY)).toBeNull();
  });
});

describe("decideReceipt", () => {
  const sent = applySendSuccess(reserved, "SM1", "twilio", NOW);
  const settings = { webhook: { events: ["delivery.updated" as const] }, deliverability: DEFAULT_DELIVERABILITY, retentionMs: 7 * 86_400_000 };
  it("applies the latest message's receipt with its webhook and insight", () => {
    const made = decideReceipt(EMPTY_STATE, sent, { providers: ["twilio"], messageId: "SM1", status: "delivered", errorCode: "", at: NOW } as never, NOW, settings);
    expect(made.answer).toEqual({ outcome: "applied", status: "delivered" });
    expect(made.writes.map((w) => w.kind)).toEqual(["verification", "webhook"]);
  });
  it("ignores another message's receipt, and says so", () => {
    const made = decideReceipt(EMPTY_STATE, sent, { providers: ["twilio"], messageId: "SM0", status: "delivered", errorCode: "", at: NOW } as never, NOW, settings);
    expect(made).toMatchObject({ answer: { outcome: "ignored", otherMessage: true }, writes: [] });
    expect(decideReceipt(EMPTY_STATE, null, { providers: ["twilio"], messageId: "SM1", status: "delivered", errorCode: "", at: NOW } as never, NOW, settings).answer).toEqual({ outcome: "not_found" });
  });
});
