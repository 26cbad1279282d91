// What time and the operator do to a number: a channel fallback coming due, the alarm's sweep
// (expiry, retention, idempotency records), the next alarm and when the object frees itself, and
// list entries.
import { EMPTY_DELIVERABILITY } from "../deliverability.ts";
import type { Refusal } from "../errors.ts";
import type { NormalisedLookup } from "../lookup.ts";
import { DAY_MS, evaluateSend, pruneCounters, recordSend, type NumberCounters, type NumberLimits, type Risk, type RuleMode } from "../policy.ts";
import type { WebhookEvent } from "../service.ts";
import { applyChannelFallback, dueFallbackChannel, endChannelWorkflow, expireIfDue, type Channel, type VerificationRecord } from "../verification.ts";
import { statusChange } from "./check.ts";
import { scopesForNumber, type ScopeRequest } from "../scopes.ts";
import { dueOf, type Effect, type NumberState, type Write } from "./types.ts";

export type FallbackAdmission =
  | { kind: "none" }
  /** The workflow stops here: `record` says why (fallbackRefusal); nothing is sent. */
  | { kind: "stop"; record: VerificationRecord; rule: string }
  /** A cooldown ends before expiry: the step only moves to then. */
  | { kind: "delay"; record: VerificationRecord }
  | { kind: "go"; channel: Channel; scopes: ScopeRequest[]; risks: Risk[] };

/**
 * Whether a due fallback may send. It is a message like any other: a test number sends none; the
 * deny list and the per-number limits apply; it takes the start's cross-number counters (kept with
 * the policy while a fallback may follow); without them (a start of the previous release) it is
 * not sent, so the budget is never overshot.
 */
export function admitFallback(
  record: VerificationRecord,
  state: NumberState,
  fallback: { scopes: readonly ScopeRequest[]; denyListMode: RuleMode } | null,
  numberLimits: NumberLimits,
  now: number,
): FallbackAdmission {
  const channel = dueFallbackChannel(record, now);
  if (!channel) return { kind: "none" };
  const stop = (rule: string): FallbackAdmission => ({ kind: "stop", record: endChannelWorkflow(record, now, rule), rule });
  if (record.test) return stop("test_number");
  if (!fallback) return stop("caps_unknown");
  const risks: Risk[] = [];
  if (state.denied && fallback.denyListMode !== "off") {
    if (fallback.denyListMode === "enforce") return stop("deny_list");
    risks.push("deny_list");
  }
  const refused = evaluateSend(pruneCounters(state.counters, now), now, numberLimits);
  if (refused) {
    const retryAt = now + (refused.retryAfterSeconds ?? 0) * 1000;
    if (refused.reason === "resend_too_soon" && retryAt < record.expiresAt) return { kind: "delay", record: { ...record, nextChannelAt: retryAt } };
    return stop(refused.rule ?? refused.reason);
  }
  // The number was counted by its start: the guard judges the fallback but does not count it again.
  return { kind: "go", channel, scopes: scopesForNumber(fallback.scopes, { allowed: state.allowed, guardCounted: true }), risks };
}

/** The refusal of a counter stops the workflow with that counter's rule. */
export function fallbackRefused(record: VerificationRecord, refusal: Refusal, now: number): VerificationRecord {
  return endChannelWorkflow(record, now, refusal.rule ?? refusal.reason);
}

/** The fallback's reservation: the next channel with a new code (earlier codes stay valid), the send counted. */
export function reserveFallback(
  record: VerificationRecord,
  state: NumberState,
  codeHash: Uint8Array,
  message: { encoding: string; segments: number },
  risks: readonly Risk[],
  now: number,
): { record: VerificationRecord; writes: Write[] } {
  const moved = applyChannelFallback(record, codeHash, now, message);
  const next = risks.length > 0 ? { ...moved, risks: [...new Set([...moved.risks, ...risks])] } : moved;
  return { record: next, writes: [{ kind: "verification", record: next }, { kind: "state", state: { ...state, counters: recordSend(pruneCounters(state.counters, now), now) } }] };
}

export interface Sweep {
  writes: Write[];
  effects: Effect[];
  deleteVerifications: string[];
  deleteIdempotency: string[];
  /** Verifications whose next channel is due now. */
  dueFallbacks: string[];
}

/** The alarm's sweep: expires due verifications, finds due fallbacks, drops what is past retention. */
export function sweep(
  records: readonly VerificationRecord[],
  idempotency: readonly (readonly [string, { expiresAt: number }])[],
  now: number,
  retentionMs: number,
  webhook: { events: readonly WebhookEvent[] } | null,
): Sweep {
  const out: Sweep = { writes: [], effects: [], deleteVerifications: [], deleteIdempotency: [], dueFallbacks: [] };
  for (const record of records) {
    if (record.status !== "pending" && record.updatedAt <= now - retentionMs) {
      out.deleteVerifications.push(record.id);
      continue;
    }
    const expired = expireIfDue(record, now);
    if (expired) {
      const change = statusChange(expired, webhook, now);
      out.writes.push({ kind: "verification", record: expired }, ...change.writes);
      out.effects.push(...change.effects);
    } else if (dueFallbackChannel(record, now)) {
      out.dueFallbacks.push(record.id);
    }
  }
  for (const [key, record] of idempotency) if (record.expiresAt <= now) out.deleteIdempotency.push(key);
  return out;
}

export interface Remains {
  records: readonly VerificationRecord[];
  /** When each queued webhook event is next tried. */
  outboxDue: readonly number[];
  state: NumberState;
  idempotencyExpiries: readonly number[];
  lookup: NormalisedLookup | null;
}

export type NextAlarm =
  /** Nothing is left: every byte of the object goes. */
  | { kind: "erase" }
  | { kind: "alarm"; at: number | null; state: NumberState | null; deleteLookup: boolean };

/**
 * After an alarm run: the earliest moment anything is due. With no verification left, the object
 * keeps only what still counts (idempotency records, counters in their windows, list flags, a
 * carrier answer while it may be reused, delivery failures for 30 days), or nothing at all.
 */
export function nextAlarm(r: Remains, now: number, settings: { retentionMs: number; lookupCacheMs: number; deliverabilityWindowMs: number }): NextAlarm {
  let due = Number.POSITIVE_INFINITY;
  for (const record of r.records) due = Math.min(due, dueOf(record, settings.retentionMs));
  for (const at of r.outboxDue) due = Math.min(due, at);
  if (Number.isFinite(due)) return { kind: "alarm", at: Math.max(due, now), state: null, deleteLookup: false };
  const counters = pruneCounters(r.state.counters, now);
  const lookupUntil = r.lookup ? r.lookup.fetchedAt + settings.lookupCacheMs : 0;
  const deleteLookup = r.lookup !== null && lookupUntil <= now;
  if (lookupUntil > now) due = Math.min(due, lookupUntil);
  const failures = (r.state.deliverability?.failures ?? []).filter((f) => f.at > now - settings.deliverabilityWindowMs);
  if (failures.length > 0) due = Math.min(due, failures[failures.length - 1]!.at + settings.deliverabilityWindowMs);
  if (r.idempotencyExpiries.length === 0 && !r.state.denied && !r.state.allowed && isEmpty(counters) && lookupUntil <= now && failures.length === 0) {
    return { kind: "erase" };
  }
  for (const at of r.idempotencyExpiries) due = Math.min(due, at);
  const ends = [...counters.sendTimes, ...counters.failedCheckTimes].map((t) => t + DAY_MS);
  if (counters.lockedUntil > 0) ends.push(counters.lockedUntil);
  if (ends.length > 0) due = Math.min(due, Math.max(...ends));
  // Rewritten only when something changed: an alarm that finds nothing to prune writes nothing.
  const pruned = JSON.stringify(counters) !== JSON.stringify(r.state.counters);
  const state = r.state.latestId !== null || pruned ? { ...r.state, counters, latestId: null } : null;
  // Only list flags left: they stay without an alarm.
  return { kind: "alarm", at: Number.isFinite(due) ? Math.max(due, now) : null, state, deleteLookup };
}

function isEmpty(counters: NumberCounters): boolean {
  return counters.sendTimes.length === 0 && counters.failedCheckTimes.length === 0 && counters.lockedUntil === 0;
}

/**
 * Puts the number on (or takes it off) a list. Taking it off the deny list forgets the delivery
 * failures that put it there; taking it off a list may leave nothing, so the alarm comes now.
 */
export function decideListed(state: NumberState, list: "deny" | "allow", listed: boolean, now: number): { state: NumberState | null; alarmAt: number | null } {
  const key = list === "deny" ? "denied" : "allowed";
  if (state[key] === listed) return { state: null, alarmAt: null };
  const forget = list === "deny" && !listed ? { denyReason: null, deliverability: EMPTY_DELIVERABILITY } : {};
  return { state: { ...state, [key]: listed, ...forget }, alarmAt: listed ? null : now };
}
