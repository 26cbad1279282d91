// The conversion guard as pure functions: starts and approvals per scope (a destination range or a
// country shard) in a sliding hour of minute buckets, and the verdict when a scope with enough starts
// converts too rarely. SMS pumping sends codes to numbers that never verify; real users mostly do.
// No I/O. No clock: `now` (epoch ms) is passed in. The state lives in the range/country counter a
// start already calls, so judging costs no extra round trip (src/core/counter.ts, src/objects/scope-counter.ts).
import type { RuleMode } from "./policy.ts";
import { shardLimit } from "./policy.ts";

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
/** The guard's sliding hour: starts and approvals older than this no longer count. */
export const GUARD_HOUR_MS = HOUR_MS;

export type GuardScope = { kind: "range"; range: string } | { kind: "country"; country: string; shard: number; shards: number };

export interface ConversionGuardSettings {
  /** CONVERSION_GUARD_MIN_RATE: approvals per start below which a scope is judged pumped. */
  minRate: number;
  /** CONVERSION_GUARD_BLOCK_MINUTES. */
  blockMinutes: number;
  /** CONVERSION_GUARD_RANGE_MIN_STARTS: below the default range cap of 10 an hour. */
  rangeMinStarts: number;
  /** CONVERSION_GUARD_COUNTRY_MIN_STARTS: for the whole country; a shard judges on its share. */
  countryMinStarts: number;
  rangeMode: RuleMode;
  countryMode: RuleMode;
}

export const DEFAULT_CONVERSION_GUARD: ConversionGuardSettings = {
  minRate: 0.2,
  blockMinutes: 60,
  rangeMinStarts: 8,
  countryMinStarts: 200,
  // A range is a handful of numbers; a whole country is a big hammer, so it only reports by default.
  rangeMode: "enforce",
  countryMode: "monitor",
};

/** One minute of a scope: epoch minute, starts and approvals in it. */
interface Bucket {
  minute: number;
  starts: number;
  approvals: number;
}

export interface GuardState {
  /** At most 60 buckets, oldest first. */
  buckets: readonly Bucket[];
  /** Starts are refused until then (enforce only; 0: not blocked). */
  blockedUntil: number;
  /** The figures that caused the current block, for refusals and the console. */
  blockedFigures: GuardFigures | null;
}

export const EMPTY_GUARD: GuardState = { buckets: [], blockedUntil: 0, blockedFigures: null };

export interface GuardFigures {
  starts: number;
  approvals: number;
  /** The minimum the scope was judged against (a shard's share for a sharded country). */
  minStarts: number;
}

export interface GuardVerdict {
  rule: "conversion_guard";
  /** enforce: the start is refused; monitor: it goes on and reports the risk. */
  mode: "enforce" | "monitor";
  scope: GuardScope;
  figures: GuardFigures;
  /** Epoch ms; for a monitored verdict, when a block would have ended. */
  blockedUntil: number;
  retryAfterSeconds: number;
  message: string;
}

function prune(buckets: readonly Bucket[], now: number): Bucket[] {
  const oldest = Math.floor((now - HOUR_MS) / MINUTE_MS);
  return buckets.filter((b) => b.minute > oldest);
}

function add(buckets: readonly Bucket[], now: number, field: "starts" | "approvals"): Bucket[] {
  const minute = Math.floor(now / MINUTE_MS);
  const kept = prune(buckets, now);
  const last = kept.at(-1);
  if (last && last.minute === minute) return [...kept.slice(0, -1), { ...last, [field]: last[field] + 1 }];
  return [...kept, { minute, starts: field === "starts" ? 1 : 0, approvals: field === "approvals" ? 1 : 0 }];
}

/** Starts and approvals in the hour before `now`. */
export function figuresOf(state: GuardState, now: number): { starts: number; approvals: number } {
  let starts = 0;
  let approvals = 0;
  for (const b of prune(state.buckets, now)) {
    starts += b.starts;
    approvals += b.approvals;
  }
  return { starts, approvals };
}

/** The minimum starts a scope needs before it is judged; a country shard needs its share (at least 1). */
export function minStartsFor(scope: GuardScope, settings: ConversionGuardSettings): number {
  if (scope.kind === "range") return settings.rangeMinStarts;
  return Math.max(1, shardLimit(settings.countryMinStarts, scope.shards, scope.shard));
}

function modeFor(scope: GuardScope, settings: ConversionGuardSettings): RuleMode {
  return scope.kind === "range" ? settings.rangeMode : settings.countryMode;
}

/** How refusals and the console name a scope: `range +1206555xxxx`, `country US (shard 2 of 8)`. */
export function describeScope(scope: GuardScope): string {
  // A range is the number without its last four digits: never a whole number.
  return scope.kind === "range" ? `range ${scope.range}xxxx` : scope.shards > 1 ? `country ${scope.country} (shard ${scope.shard + 1} of ${scope.shards})` : `country ${scope.country}`;
}

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`;

function verdictOf(scope: GuardScope, figures: GuardFigures, mode: "enforce" | "monitor", blockedUntil: number, now: number, settings: ConversionGuardSettings): GuardVerdict {
  const percent = figures.starts === 0 ? 0 : Math.round((figures.approvals / figures.starts) * 100);
  const retryAfterSeconds = Math.max(1, Math.ceil((blockedUntil - now) / 1000));
  return {
    rule: "conversion_guard",
    mode,
    scope,
    figures,
    blockedUntil,
    retryAfterSeconds,
    message:
      `to: ${describeScope(scope)} had ${count(figures.starts, "start")} and ${count(figures.approvals, "approval")} in the last hour (${percent}%, ` +
      `below ${Math.round(settings.minRate * 100)}%); new starts are refused for ${settings.blockMinutes} minutes`,
  };
}

/**
 * Judges one start in the scope's counter and records it. Under enforce a blocked scope refuses
 * (the refused start is not counted: it sends nothing); a scope that just fell below the rate is
 * blocked, and its buckets start over so the hour after the block is judged on fresh starts.
 * Under monitor the start is counted and the verdict only reported; off counts nothing.
 * `count: false` judges without counting: the number already counted a start this hour (a scope's
 * rate is approved numbers over numbers started, so one user's resends do not dilute it).
 */
export function admitStart(
  state: GuardState,
  scope: GuardScope,
  now: number,
  settings: ConversionGuardSettings = DEFAULT_CONVERSION_GUARD,
  { count = true }: { count?: boolean } = {},
): { state: GuardState; verdict: GuardVerdict | null } {
  const mode = modeFor(scope, settings);
  if (mode === "off") return { state, verdict: null };
  if (mode === "enforce" && state.blockedUntil > now && state.blockedFigures) {
    return { state, verdict: verdictOf(scope, state.blockedFigures, "enforce", state.blockedUntil, now, settings) };
  }
  const current = state.blockedUntil > now ? state : { ...state, blockedUntil: 0, blockedFigures: null };
  const { starts, approvals } = figuresOf(current, now);
  const minStarts = minStartsFor(scope, settings);
  const pumped = starts >= minStarts && approvals < settings.minRate * starts;
  const counted = count ? { ...current, buckets: add(current.buckets, now, "starts") } : current;
  if (!pumped) return { state: counted, verdict: null };
  const figures: GuardFigures = { starts, approvals, minStarts };
  const blockedUntil = now + settings.blockMinutes * MINUTE_MS;
  if (mode === "monitor") return { state: counted, verdict: verdictOf(scope, figures, "monitor", blockedUntil, now, settings) };
  return { state: { buckets: [], blockedUntil, blockedFigures: figures }, verdict: verdictOf(scope, figures, "enforce", blockedUntil, now, settings) };
}

/** An approval in the scope (reaches the counter off the response path). It does not lift a block. */
export function recordGuardApproval(state: GuardState, now: number): GuardState {
  return { ...state, buckets: add(state.buckets, now, "approvals") };
}

/**
 * Takes back a start counted at `at` (the start was then refused by another limit, or its send was
 * definitely refused, so nothing went out): the scope's rate is judged on starts that were made.
 */
export function withdrawStart(state: GuardState, at: number): GuardState {
  const minute = Math.floor(at / MINUTE_MS);
  // Unchanged when there is nothing to take back, so the caller writes nothing.
  if (!state.buckets.some((b) => b.minute === minute && b.starts > 0)) return state;
  return { ...state, buckets: state.buckets.map((b) => (b.minute === minute && b.starts > 0 ? { ...b, starts: b.starts - 1 } : b)) };
}

/** For the console: the block in force now, with the figures that caused it. */
export function activeBlock(state: GuardState, now: number): { blockedUntil: number; figures: GuardFigures } | null {
  return state.blockedUntil > now && state.blockedFigures ? { blockedUntil: state.blockedUntil, figures: state.blockedFigures } : null;
}
