// A check and a cancel. The code's MAC and its constant-time comparison are made by the caller
// (crypto is async) and arrive as `matched`; everything that follows from it is decided here.
import { EMPTY_DELIVERABILITY } from "../deliverability.ts";
import type { Refusal } from "../errors.ts";
import type { InsightKind } from "../insights.ts";
import { evaluateCheck, recordApproval, recordFailedCheck, type NumberLimits } from "../policy.ts";
import { checkRateLimits, withRateLimits, type RateLimitItem } from "../ratelimit-fields.ts";
import type { WebhookEvent } from "../service.ts";
import { applyCancel, applyCheck, type CheckStatus, type VerificationRecord } from "../verification.ts";
import { decision, dueOf, type Decision, type Effect, type NumberState, type Write } from "./types.ts";

const STATUS_EVENTS: Partial<Record<VerificationRecord["status"], WebhookEvent>> = {
  approved: "verification.approved",
  expired: "verification.expired",
  canceled: "verification.canceled",
  max_attempts_reached: "verification.max_attempts_reached",
  failed: "verification.failed",
};

/** The webhook event (if subscribed) and insight a status change makes. */
export function statusChange(record: VerificationRecord, webhook: { events: readonly WebhookEvent[] } | null, at: number): { writes: Write[]; effects: Effect[] } {
  const event = STATUS_EVENTS[record.status];
  if (!event) return { writes: [], effects: [] };
  return {
    writes: webhook?.events.includes(event) ? [{ kind: "webhook", event, record, at }] : [],
    effects: [{ kind: "insight", insight: record.status as InsightKind, record, at }],
  };
}

/**
 * What a check by number reaches: the newest verification if pending, or used up and not yet
 * expired (so a further check by number answers max_attempts_reached as a check by id does).
 */
export function checkableByNumber(latest: VerificationRecord | null, service: string, now: number): VerificationRecord | null {
  if (!latest || latest.service !== service) return null;
  return latest.status === "pending" || (latest.status === "max_attempts_reached" && latest.expiresAt > now) ? latest : null;
}

/**
 * Whether a candidate's MAC equals one of the codes that still approve the verification: the
 * current one and the earlier ones kept (channel fallback, `acceptPreviousCodes`); none once it is
 * finished. `equal` is the constant-time comparison (crypto is the caller's). Every kept MAC is
 * compared, with no early exit, so the time taken does not say which one matched; the caller
 * counts the whole check as one attempt whatever the number of codes compared.
 */
export function matchesAnyCode(record: VerificationRecord, equal: (hash: Uint8Array) => boolean): boolean {
  let matched = false;
  for (const hash of record.codeHash ? [record.codeHash, ...record.previousCodeHashes] : []) matched = equal(hash) || matched;
  return matched;
}

export interface CheckInput {
  state: NumberState;
  record: VerificationRecord;
  /** The MAC of the candidate equals one of the workflow's codes (compared in constant time). */
  matched: boolean;
  now: number;
  maxCheckAttempts: number;
  numberLimits: NumberLimits;
  webhook: { events: readonly WebhookEvent[] } | null;
  retentionMs: number;
  /** The send whose code the caller holds (CAMARA: one authenticationId per send); absent: any. */
  sendAttempt?: number;
}

/** A check's outcome, with the wrong codes left to the verification and the number (RateLimit fields). */
export type CheckAnswer = { ok: false; refusal: Refusal } | { ok: true; status: CheckStatus; record: VerificationRecord; rateLimits: RateLimitItem[] };

export function decideCheck(c: CheckInput): Decision<CheckAnswer> {
  const limits = { maxCheckAttempts: c.maxCheckAttempts, numberLimits: c.numberLimits };
  // A later send replaced the code the caller holds: that code is expired, whatever was typed. The
  // verification stays pending for the newer code and no attempt is counted: this answer never
  // compares anything, so it cannot be used to guess.
  if (c.sendAttempt !== undefined && c.record.status === "pending" && c.record.sendAttempts !== c.sendAttempt) {
    return decision({ ok: true, status: "expired", record: c.record, rateLimits: checkRateLimits(c.record, c.state.counters, limits, c.now) });
  }
  const locked = evaluateCheck(c.state.counters, c.now);
  if (locked && c.record.status === "pending") return decision({ ok: false, refusal: withRateLimits(locked, checkRateLimits(c.record, c.state.counters, limits, c.now)) });
  const outcome = applyCheck(c.record, c.matched, c.now, c.maxCheckAttempts);
  if (outcome.kind === "refused") return decision({ ok: false, refusal: outcome.refusal });
  if (!outcome.changed) return decision({ ok: true, status: outcome.status, record: outcome.record, rateLimits: checkRateLimits(outcome.record, c.state.counters, limits, c.now) });
  const writes: Write[] = [{ kind: "verification", record: outcome.record }];
  const effects: Effect[] = [];
  const counters =
    outcome.status === "invalid"
      ? recordFailedCheck(c.state.counters, c.now, c.numberLimits)
      : outcome.status === "approved"
        ? recordApproval(c.state.counters, c.now)
        : null;
  // An approval proves the number receives: its count of delivery failures starts over.
  const forgetFailures = outcome.status === "approved" && c.state.deliverability ? { deliverability: EMPTY_DELIVERABILITY } : {};
  if (counters) writes.push({ kind: "state", state: { ...c.state, counters, ...forgetFailures } });
  const answer: CheckAnswer = { ok: true, status: outcome.status, record: outcome.record, rateLimits: checkRateLimits(outcome.record, counters ?? c.state.counters, limits, c.now) };
  if (c.record.status !== outcome.record.status) {
    const change = statusChange(outcome.record, c.webhook, c.now);
    writes.push(...change.writes);
    effects.push(...change.effects);
    // The conversion guard hears of the approval (with the insights, off the request path).
    if (outcome.record.status === "approved" && outcome.record.guardScopes?.length) effects.push({ kind: "approvals", refs: outcome.record.guardScopes });
  }
  // The alarm comes by the record's due moment already: a wrong code keeps the expiry and an
  // approval moves it later, so the alarm is asked for only when it must come earlier (a queued
  // webhook asks for it by itself).
  const due = dueOf(outcome.record, c.retentionMs);
  if (due < dueOf(c.record, c.retentionMs)) effects.push({ kind: "alarm", at: due });
  return decision(answer, writes, effects);
}

export type CancelAnswer = { ok: false; refusal: Refusal } | { ok: true; record: VerificationRecord };

export function decideCancel(record: VerificationRecord, now: number, webhook: { events: readonly WebhookEvent[] } | null, retentionMs: number): Decision<CancelAnswer> {
  const outcome = applyCancel(record, now);
  if (outcome.kind === "refused") return decision({ ok: false, refusal: outcome.refusal });
  if (!outcome.changed) return decision({ ok: true, record: outcome.record });
  const change = statusChange(outcome.record, webhook, now);
  return decision({ ok: true, record: outcome.record }, [{ kind: "verification", record: outcome.record }, ...change.writes], [
    ...change.effects,
    { kind: "alarm", at: dueOf(outcome.record, retentionMs) },
  ]);
}
