// A send's outcome, fed back once the provider answered: a definite failure gives back what the
// send counted; only the outcome of the record's latest send is written (a newer start may have
// replaced it meanwhile); provider answers that say the number cannot receive are remembered.
import { classifyReceipt, classifySendFailure, EMPTY_DELIVERABILITY, recordUndeliverable, type DeliverabilityReason, type DeliverabilitySettings } from "../deliverability.ts";
import { applyDelivery, type DeliveryReceipt, type DeliveryStatus } from "../delivery.ts";
import { refundSend, type NumberLimits } from "../policy.ts";
import { startRateLimits, type RateLimitItem } from "../ratelimit-fields.ts";
import type { WebhookEvent } from "../service.ts";
import { applySendFailure, applySendSuccess, type VerificationRecord } from "../verification.ts";
import { decision, dueOf, type Decision, type Effect, type NumberState, type TakenScope, type Write } from "./types.ts";

export type SendResult =
  | { ok: true; messageId: string; provider: string }
  | { ok: false; reason: string; provider: string; providerCode: string; definite: boolean };

export interface SendOutcome {
  state: NumberState;
  /** The record as reserved for this send, and as stored now (null: gone). */
  reserved: VerificationRecord;
  current: VerificationRecord | null;
  result: SendResult;
  /** When the send was counted (its slot in the per-number window is given back on a definite failure). */
  sentAt: number;
  taken: readonly TakenScope[];
  /** Receipts that arrived before the send returned its message id, in arrival order. */
  early: readonly (DeliveryReceipt & { at: number })[];
  now: number;
  webhook: { events: readonly WebhookEvent[] } | null;
  deliverability: DeliverabilitySettings;
  /** The service's per-number limits: the answer says what is left of them once the outcome is known. */
  numberLimits: NumberLimits;
}

/**
 * The answer is the record the caller should see, and the number's send limits as they stand
 * (a send that definitely failed is given back). A success's record is `staged`: the object
 * writes it right after it answered (one commit on the request path), so it is not in `writes`.
 */
export function sendOutcome(o: SendOutcome): Decision<{ record: VerificationRecord; staged: boolean; rateLimits: RateLimitItem[] }> {
  const writes: Write[] = [];
  const effects: Effect[] = [];
  let state = o.state;
  if (!o.result.ok && o.result.definite) {
    // Nothing went out: the user's allowance, the range and the budget get their unit back, and
    // the guard's count too, so the number's next start counts again.
    state = { ...state, counters: refundSend(state.counters, o.sentAt), ...(o.taken.some((u) => u.guarded) ? { guardCountedAt: 0 } : {}) };
    writes.push({ kind: "state", state });
    if (o.taken.length > 0) effects.push({ kind: "release", units: [...o.taken] });
    // The provider may have said the number itself cannot receive (STOP, not a mobile, gone).
    const noted = noteUndeliverable(state, o.reserved, classifySendFailure(o.result), o.now, o.deliverability);
    if (noted) {
      writes[writes.length - 1] = { kind: "state", state: noted.state };
      effects.push(...noted.effects);
    }
  }
  const rateLimits = startRateLimits(state.counters, o.numberLimits, o.now);
  const current = o.current;
  if (!current || current.sendAttempts !== o.reserved.sendAttempts) return decision({ record: current ?? o.reserved, staged: false, rateLimits }, writes, effects);
  const went = wentOut(o);
  if (went) {
    let sent = applySendSuccess(current, went.messageId, went.provider, o.now);
    for (const receipt of o.early) {
      const applied = applyDelivery(sent, receipt, receipt.at);
      if (applied.kind === "applied") sent = { ...sent, delivery: applied.delivery };
    }
    return decision({ record: sent, staged: true, rateLimits }, writes, [...effects, { kind: "insight", insight: "sent", record: sent, at: o.now }]);
  }
  if (o.result.ok) throw new Error("unreachable: a success went out");
  const next = current.status === "pending" ? applySendFailure(current, o.result.reason, o.result.provider, o.now) : current;
  writes.push({ kind: "verification", record: next });
  const failedNow = next.status === "failed" && current.status !== "failed";
  if (failedNow && o.webhook?.events.includes("verification.failed")) writes.push({ kind: "webhook", event: "verification.failed", record: next, at: o.now });
  effects.push({ kind: "insight", insight: "send_failed", record: next, at: o.now });
  if (failedNow) effects.push({ kind: "insight", insight: "failed", record: next, at: o.now });
  return decision({ record: next, staged: false, rateLimits }, writes, effects);
}

/**
 * The message the send put out: the provider's answer, or — when that answer was lost (a timeout
 * after the request left, `definite: false`) — the provider's own signed receipt for this
 * verification that arrived meanwhile, which proves the message went out under its id.
 */
function wentOut(o: SendOutcome): { messageId: string; provider: string } | null {
  if (o.result.ok) return { messageId: o.result.messageId, provider: o.result.provider };
  if (o.result.definite) return null;
  const proof = o.early.find((receipt) => receipt.messageId !== "" && receipt.providers.length > 0);
  if (!proof) return null;
  return { messageId: proof.messageId, provider: proof.providers.includes(o.result.provider) ? o.result.provider : proof.providers[0]! };
}

/**
 * Counts a provider answer or receipt saying this number cannot receive (none for a test number).
 * At UNDELIVERABLE_AFTER within 30 days the number goes on its service's deny list with the reason.
 */
export function noteUndeliverable(
  state: NumberState,
  record: VerificationRecord,
  reason: DeliverabilityReason | null,
  now: number,
  settings: DeliverabilitySettings,
): { state: NumberState; effects: Effect[]; counted: number; denied: boolean } | null {
  if (!reason || record.test) return null;
  const result = recordUndeliverable(state.deliverability ?? EMPTY_DELIVERABILITY, reason, now, settings);
  const newlyDenied = result.denyList !== null && !state.denied;
  const next: NumberState = { ...state, deliverability: result.state, ...(newlyDenied ? { denied: true, denyReason: result.denyList!.reason } : {}) };
  const effects: Effect[] = newlyDenied
    ? [{ kind: "deny_listed", service: record.service, to: record.to, reason: result.denyList!.reason, note: `${result.denyList!.reason}: ${result.state.failures.length} delivery failures within 30 days` }]
    : [];
  return { state: next, effects, counted: result.state.failures.length, denied: newlyDenied };
}

export type ReceiptAnswer = { outcome: "applied"; status: DeliveryStatus } | { outcome: "ignored"; reason: string } | { outcome: "not_found" };

/** A verified delivery receipt: only the latest message's count, and a final state is never replaced. */
export function decideReceipt(
  state: NumberState,
  record: VerificationRecord | null,
  receipt: DeliveryReceipt & { at: number },
  now: number,
  settings: { webhook: { events: readonly WebhookEvent[] } | null; deliverability: DeliverabilitySettings; retentionMs: number },
): Decision<ReceiptAnswer & { otherMessage?: boolean }> {
  if (!record) return decision({ outcome: "not_found" });
  const result = applyDelivery(record, receipt, receipt.at);
  if (result.kind !== "applied") return decision({ outcome: "ignored", reason: result.reason, otherMessage: result.reason === "other_message" });
  const updated = { ...record, delivery: result.delivery };
  const writes: Write[] = [{ kind: "verification", record: updated }];
  const effects: Effect[] = [];
  const noted = noteUndeliverable(state, record, classifyReceipt({ provider: record.provider, status: result.delivery.status, errorCode: result.delivery.errorCode }), now, settings.deliverability);
  if (noted) {
    writes.push({ kind: "state", state: noted.state });
    effects.push(...noted.effects);
  }
  if (settings.webhook?.events.includes("delivery.updated")) writes.push({ kind: "webhook", event: "delivery.updated", record: updated, at: now });
  effects.push({ kind: "insight", insight: "delivery", record: updated, at: now }, { kind: "alarm", at: dueOf(updated, settings.retentionMs) });
  return decision({ outcome: "applied", status: result.delivery.status }, writes, effects);
}
