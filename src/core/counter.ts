// A ScopeCounter's decisions as pure functions: one take of several counters (all or none), a unit
// given back, conversion-guard approvals, and which counters the alarm may drop. No I/O. No clock:
// `now` (epoch ms) is passed in. src/objects/scope-counter.ts loads the states, calls these, and
// writes each counter that changed as one row.
import { admitStart, EMPTY_GUARD, recordGuardApproval, withdrawStart, type GuardState, type GuardVerdict } from "./conversion-guard.ts";
import type { TakeInput } from "./scopes.ts";
import { addUnit, judgeWindow, removeUnit, type Bucket, type WindowJudgement } from "./window.ts";

/** Approvals count for an hour; the guard's state lives at least that long after the last one. */
export const GUARD_KEEP_MS = 3_600_000 + 60_000;

/** One counter of a take: `counter` names it within the object ("" is the object's own). */
export interface CounterTake extends TakeInput {
  counter: string;
  /** The object this counter had of its own in the previous release: its counts move here once. */
  legacy?: string;
}

export interface TakeResult {
  allowed: boolean;
  /** Would have been refused (also set in monitor mode). */
  overLimit: boolean;
  /** Bucket the unit was counted in (epoch ms), for release(); -1 when nothing was counted. */
  bucket: number;
  retryAfterSeconds: number;
  /** The conversion guard's verdict: enforce refused this start; monitor only reports. */
  guard?: GuardVerdict;
}

/** One counter: its window's buckets and its conversion-guard hour, stored together as one row. */
export interface CounterState {
  /** Oldest first. */
  buckets: readonly Bucket[];
  guard: GuardState;
  /** Epoch ms: once passed, no bucket counts and no guard state matters; the alarm drops the counter. */
  keepUntil: number;
}

export const EMPTY_COUNTER: CounterState = { buckets: [], guard: EMPTY_GUARD, keepUntil: 0 };

export interface GuardReport {
  counter: string;
  service: string;
  verdict: GuardVerdict;
}

export interface TakePlan {
  /** One per take, in order. */
  results: TakeResult[];
  /** The counters the take changed, with their new state (one row each): none when refused, unless a block began. */
  changed: Map<string, CounterState>;
  /** Verdicts for the services' insights: enforced blocks that began, monitored verdicts. */
  reports: GuardReport[];
  /** The latest moment a counted unit or a new block needs keeping (0: nothing changed): the alarm comes by then. */
  keepUntil: number;
}

/** One counter's judgement, before anything is applied. */
interface Judged {
  result: TakeResult;
  window: WindowJudgement;
  /** The guard's state after this start; undefined: unchanged. */
  guard?: GuardState;
}

function judge(state: CounterState, take: TakeInput, now: number): Judged {
  const window = judgeWindow(state.buckets, take, now);
  const { overLimit, retryAfterSeconds } = window;
  if (!window.allowed) return { result: { allowed: false, overLimit, bucket: -1, retryAfterSeconds }, window };
  if (!take.guard) return { result: { allowed: true, overLimit, bucket: window.bucketMs, retryAfterSeconds }, window };
  // Judged on the hour before this start; a refused start is not counted (it sends nothing).
  const judged = admitStart(state.guard, take.guard.scope, now, take.guard.settings, { count: take.guard.count });
  const guard = judged.state === state.guard ? undefined : judged.state;
  const verdict = judged.verdict ?? undefined;
  if (verdict?.mode === "enforce") {
    return { result: { allowed: false, overLimit, bucket: -1, retryAfterSeconds: verdict.retryAfterSeconds, guard: verdict }, window, ...(guard ? { guard } : {}) };
  }
  return { result: { allowed: true, overLimit, bucket: window.bucketMs, retryAfterSeconds, ...(verdict ? { guard: verdict } : {}) }, window, ...(guard ? { guard } : {}) };
}

/**
 * Counts one unit in each counter, all or none: if one refuses, nothing is counted (a guard block
 * that began is kept: it refuses by itself). Each counter appears at most once.
 */
export function planTake(stateOf: (counter: string) => CounterState, takes: readonly CounterTake[], now: number): TakePlan {
  const seen = new Set<string>();
  for (const take of takes) {
    if (seen.has(take.counter)) throw new Error(`a take names counter "${take.counter}" twice`);
    seen.add(take.counter);
  }
  const judged = takes.map((take) => judge(stateOf(take.counter), take, now));
  const refused = judged.some((j) => !j.result.allowed);
  const changed = new Map<string, CounterState>();
  const reports: GuardReport[] = [];
  let keepUntil = 0;
  judged.forEach(({ result, window, guard }, i) => {
    const take = takes[i]!;
    const state = stateOf(take.counter);
    const verdict = result.guard;
    if (refused) {
      // A block that began here stands whatever else refused.
      if (verdict?.mode === "enforce" && guard && state.guard.blockedUntil <= now) {
        changed.set(take.counter, { ...state, guard, keepUntil: Math.max(state.keepUntil, verdict.blockedUntil) });
        keepUntil = Math.max(keepUntil, verdict.blockedUntil);
        reports.push({ counter: take.counter, service: take.guard!.service, verdict });
      }
      return;
    }
    // Buckets that left the window go with this write: a busy counter's row stays small.
    changed.set(take.counter, { buckets: addUnit(window.live, window.bucketMs), guard: guard ?? state.guard, keepUntil: Math.max(state.keepUntil, window.keepUntilMs) });
    keepUntil = Math.max(keepUntil, window.keepUntilMs);
    if (verdict?.mode === "monitor") reports.push({ counter: take.counter, service: take.guard!.service, verdict });
  });
  return { results: refused ? judged.map((j) => ({ ...j.result, bucket: -1 })) : judged.map((j) => j.result), changed, reports, keepUntil };
}

/**
 * Gives a unit back to `bucketMs` (the send it paid for was refused elsewhere, or definitely not
 * delivered); `guarded`: the conversion guard counted the start in that minute too, and takes it
 * back. null when nothing changes (the bucket already left, or holds nothing).
 */
export function releaseUnit(state: CounterState, bucketMs: number, guarded: boolean): CounterState | null {
  const buckets = removeUnit(state.buckets, bucketMs);
  const guard = guarded ? withdrawStart(state.guard, bucketMs) : state.guard;
  if (buckets === null && guard === state.guard) return null;
  return { ...state, buckets: buckets ?? state.buckets, guard };
}

/** `approvals` approvals of verifications this counter's guard counted: each counts for an hour. */
export function approveCounter(state: CounterState, approvals: number, now: number): CounterState {
  let guard = state.guard;
  for (let i = 0; i < approvals; i++) guard = recordGuardApproval(guard, now);
  return { ...state, guard, keepUntil: Math.max(state.keepUntil, now + GUARD_KEEP_MS) };
}

/** What the alarm finds: the counters to drop, and when the next one will need dropping (Infinity: none left). */
export function sweep(counters: Iterable<readonly [string, CounterState]>, now: number): { expired: string[]; nextKeepUntil: number } {
  const expired: string[] = [];
  let nextKeepUntil = Number.POSITIVE_INFINITY;
  for (const [counter, state] of counters) {
    if (state.keepUntil <= now) expired.push(counter);
    else nextKeepUntil = Math.min(nextKeepUntil, state.keepUntil);
  }
  return { expired, nextKeepUntil };
}
