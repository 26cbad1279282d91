// A counter's window as pure arithmetic: which buckets still count, whether one more unit fits,
// when a refused caller may retry, and until when the counter must be kept. No I/O. No clock:
// `now` (epoch ms) is passed in. The ScopeCounter object persists what this decides.

export type WindowKind = "sliding" | "fixed";

export interface WindowRule {
  limit: number;
  windowMs: number;
  /**
   * sliding: 60 buckets per window, counting every bucket that overlaps the last `windowMs`
   * (errs on refusing, never on overshooting). fixed: one bucket per aligned window (a UTC day).
   */
  kind: WindowKind;
  /** false: count and report, never refuse (the rule is in monitor mode). */
  enforce: boolean;
}

/** One bucket: its start (epoch ms) and the units counted in it. A counter keeps them oldest first. */
export type Bucket = readonly [startMs: number, count: number];

/** A sliding window is this many buckets: a unit is forgotten at most 1/60 of the window late. */
export const SLIDING_BUCKETS = 60;

export function bucketWidthMs(rule: Pick<WindowRule, "windowMs" | "kind">): number {
  return rule.kind === "fixed" ? rule.windowMs : Math.max(1, Math.floor(rule.windowMs / SLIDING_BUCKETS));
}

export interface WindowJudgement {
  /** The unit may be counted: under the limit, or over it in monitor mode. */
  allowed: boolean;
  /** Would have been refused (also set in monitor mode). */
  overLimit: boolean;
  /** Units counted in the window before this one. */
  used: number;
  /** The bucket this unit goes in. */
  bucketMs: number;
  /** 0 when under the limit; else when the oldest unit that counts leaves the window (at least 1). */
  retryAfterSeconds: number;
  /** The buckets that still count, oldest first: the others are dead weight. */
  live: Bucket[];
  /** When this unit, once counted, stops counting: the counter must be kept until then. */
  keepUntilMs: number;
}

/** Judges one more unit against the buckets a counter holds. */
export function judgeWindow(buckets: readonly Bucket[], rule: WindowRule, now: number): WindowJudgement {
  const width = bucketWidthMs(rule);
  const bucketMs = Math.floor(now / width) * width;
  // A sliding bucket [start, start + width) overlaps the last windowMs while start > now - windowMs - width.
  const since = rule.kind === "fixed" ? bucketMs - 1 : now - rule.windowMs - width;
  const live = buckets.filter(([start]) => start > since);
  let used = 0;
  let oldest: number | null = null;
  for (const [start, count] of live) {
    used += count;
    if (count > 0 && (oldest === null || start < oldest)) oldest = start;
  }
  const overLimit = used >= rule.limit;
  let retryAfterSeconds = 0;
  if (overLimit) {
    const freeAt = rule.kind === "fixed" ? bucketMs + rule.windowMs : (oldest ?? bucketMs) + width + rule.windowMs;
    retryAfterSeconds = Math.max(1, Math.ceil((freeAt - now) / 1000));
  }
  // A fixed bucket stops counting when its window ends; a sliding one a bucket's width later.
  const keepUntilMs = rule.kind === "fixed" ? bucketMs + rule.windowMs : bucketMs + width + rule.windowMs;
  return { allowed: !overLimit || !rule.enforce, overLimit, used, bucketMs, retryAfterSeconds, live, keepUntilMs };
}

/** `buckets` with one more unit in `bucketMs`, kept oldest first. */
export function addUnit(buckets: readonly Bucket[], bucketMs: number): Bucket[] {
  const at = buckets.findIndex(([start]) => start >= bucketMs);
  if (at < 0) return [...buckets, [bucketMs, 1]];
  const [start, count] = buckets[at]!;
  if (start === bucketMs) return [...buckets.slice(0, at), [start, count + 1], ...buckets.slice(at + 1)];
  return [...buckets.slice(0, at), [bucketMs, 1], ...buckets.slice(at)];
}

/** `buckets` with one unit of `bucketMs` given back (an emptied bucket goes); null when that bucket holds none. */
export function removeUnit(buckets: readonly Bucket[], bucketMs: number): Bucket[] | null {
  const at = buckets.findIndex(([start, count]) => start === bucketMs && count > 0);
  if (at < 0) return null;
  const [start, count] = buckets[at]!;
  return [...buckets.slice(0, at), ...(count > 1 ? [[start, count - 1] as const] : []), ...buckets.slice(at + 1)];
}
