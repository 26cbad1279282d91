// A start, decided in two steps around the scope counters the object calls in between:
// admitStart says whether the number may get a code now and which counters the message must take;
// reserveStart, once they are taken and the code's MAC made, writes the reservation (before the
// provider is called: a concurrent start sees it) and says what to send.
import type { Refusal } from "../errors.ts";
import { GUARD_HOUR_MS } from "../conversion-guard.ts";
import { lookupRuleHits, type NormalisedLookup } from "../lookup.ts";
import type { LineType } from "../phone.ts";
import { applyModes, evaluateSend, pruneCounters, recordSend, type NumberLimits, type Risk, type RuleMode, type RuleName } from "../policy.ts";
import { startRateLimits, withRateLimits, type RateLimitItem } from "../ratelimit-fields.ts";
import { scopesForNumber, type ScopeRequest } from "../scopes.ts";
import type { WebhookEvent } from "../service.ts";
import { applySendSuccess, applyStart, expireIfDue, isLive, type StartParams, type VerificationRecord } from "../verification.ts";
import { decision, dueOf, guardRef, type Decision, type NumberState, type TakenScope, type Write } from "./types.ts";

export type Admission = { ok: false; refusal: Refusal } | { ok: true; scopes: ScopeRequest[]; risks: Risk[] };

/**
 * Whether the number may get a code now, before anything is counted: the deny list, then the
 * per-number limits. The cross-number counters the message must take: all of them, or only the
 * budget for an allow-listed number (the allow list skips velocity and the conversion guard, never
 * the budget); the guard counts a number once an hour (a scope's rate is numbers approved over
 * numbers started, so one user's resends do not dilute it).
 */
export function admitStart(
  state: NumberState,
  input: { scopes: readonly ScopeRequest[]; denyListMode: RuleMode; numberLimits: NumberLimits },
  now: number,
): Admission {
  const risks: Risk[] = [];
  if (state.denied && input.denyListMode !== "off") {
    // An entry made from delivery reports says why, in MTA's risk words (unsubscribed, deactivated).
    const why = state.denyReason ?? null;
    if (input.denyListMode === "enforce") {
      return { ok: false, refusal: { reason: "rule_refused", message: `to: this number is on the deny list${why ? ` (${why}, from delivery reports)` : ""}`, field: "to", rule: "deny_list" } };
    }
    if (why === "unsubscribed" || why === "deactivated") risks.push(why);
    risks.push("deny_list");
  }
  const counters = pruneCounters(state.counters, now);
  const refused = evaluateSend(counters, now, input.numberLimits);
  // A refusal by a per-number limit carries them all, as the answer's RateLimit fields.
  if (refused) return { ok: false, refusal: withRateLimits(refused, startRateLimits(counters, input.numberLimits, now)) };
  const guardCounted = (state.guardCountedAt ?? 0) > now - GUARD_HOUR_MS;
  return { ok: true, scopes: scopesForNumber(input.scopes, { allowed: state.allowed, guardCounted }), risks };
}

/**
 * The carrier's answer judged by the number rules (the Worker judged the metadata already): a
 * refusal that names its source, or the risks of monitor-mode hits. No answer: fail open with
 * risk `lookup_unavailable`, or closed (LOOKUP_FAIL_CLOSED) with a retryable refusal.
 */
export function judgeLookup(
  number: { lineType: LineType; countryCode: string },
  answer: NormalisedLookup | null,
  modes: Readonly<Record<RuleName, RuleMode>>,
  failClosed: boolean,
): { ok: false; refusal: Refusal } | { ok: true; risks: Risk[] } {
  if (!answer) {
    if (failClosed) return { ok: false, refusal: { reason: "unavailable", message: "to: the carrier lookup is unavailable; retry shortly", field: "to", rule: "lookup_unavailable", retryAfterSeconds: 30 } };
    return { ok: true, risks: ["lookup_unavailable"] };
  }
  const verdict = applyModes(lookupRuleHits(number, answer, null), modes);
  if (verdict.refusal) return { ok: false, refusal: { reason: "rule_refused", message: verdict.refusal.message, field: "to", rule: verdict.refusal.rule } };
  return { ok: true, risks: verdict.monitored };
}

/** The live verification a start re-sends for, and the latest one if it has just expired. */
export function liveFor(latest: VerificationRecord | null, service: string, now: number): { reuse: VerificationRecord | null; expired: VerificationRecord | null } {
  const pending = latest && latest.status === "pending" && latest.service === service ? latest : null;
  const reuse = pending && isLive(pending, now) ? pending : null;
  return { reuse, expired: pending && !reuse ? expireIfDue(pending, now) : null };
}

/**
 * A start the Worker repeats because the object was reset under its first try (`resumeSince`, when
 * that try began): the verification that try made is the answer, so the client holds the id of the
 * code the user may already have and nothing is sent twice. null: run the start.
 */
export function resumedStart(latest: VerificationRecord | null, service: string, now: number, resumeSince: number | undefined): VerificationRecord | null {
  if (resumeSince === undefined) return null;
  const live = liveFor(latest, service, now).reuse;
  return live && live.updatedAt >= resumeSince ? live : null;
}

export interface Reservation {
  state: NumberState;
  latest: VerificationRecord | null;
  params: StartParams;
  now: number;
  /** The new verification's id (used only when no live one is re-sent for). */
  id: string;
  codeHash: Uint8Array;
  /** A test number's start: nothing is sent on any channel, the outcome is known now. */
  test: boolean;
  taken: readonly TakenScope[];
  webhook: { events: readonly WebhookEvent[] } | null;
  retentionMs: number;
  /** The service's per-number limits: the answer says what is left of them after this send. */
  numberLimits: NumberLimits;
}

/**
 * The reservation: the verification (new, or the live one with a new code) and the send counted,
 * written before the provider call. A test number's verification is sent-and-done here and gets no
 * channel fallback (a fallback would send a real message past the budget and the number rules).
 * The answer's rate limits count this send (a send's outcome may give it back: sendOutcome).
 */
export function reserveStart(r: Reservation): Decision<{ record: VerificationRecord; rateLimits: RateLimitItem[] }> {
  const { reuse, expired } = liveFor(r.latest, r.params.service, r.now);
  let record = applyStart(reuse, r.params, r.now, reuse?.id ?? r.id, r.codeHash);
  // The scopes an approval of this verification is reported to: those that counted its number.
  const guarded = r.taken.filter((u) => u.guarded).map(guardRef);
  const guardScopes = guarded.length > 0 ? guarded : (reuse?.guardScopes ?? []);
  if (guardScopes.length > 0 || record.guardScopes) record = { ...record, guardScopes };
  if (r.test) record = { ...applySendSuccess(record, `test_${record.sendAttempts}`, "test", r.now), test: true, nextChannelAt: 0 };
  const counters = recordSend(pruneCounters(r.state.counters, r.now), r.now);
  const writes: Write[] = [
    ...(expired ? [{ kind: "verification", record: expired } as const] : []),
    { kind: "verification", record },
    { kind: "state", state: { ...r.state, counters, latestId: record.id, ...(guarded.length > 0 ? { guardCountedAt: r.now } : {}) } },
  ];
  if (r.webhook?.events.includes("verification.started")) writes.push({ kind: "webhook", event: "verification.started", record, at: r.now });
  return decision({ record, rateLimits: startRateLimits(counters, r.numberLimits, r.now) }, writes, [
    { kind: "insight", insight: "started", record, at: r.now },
    { kind: "alarm", at: dueOf(record, r.retentionMs) },
  ]);
}
