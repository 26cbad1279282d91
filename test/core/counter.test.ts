import { describe, expect, it } from "vitest";
import { DEFAULT_CONVERSION_GUARD, EMPTY_GUARD, figuresOf, type ConversionGuardSettings, type GuardState } from "../../src/core/conversion-guard.ts";
import { approveCounter, EMPTY_COUNTER, GUARD_KEEP_MS, planTake, releaseUnit, sweep, type CounterState, type CounterTake } from "../../src/core/counter.ts";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const T = Date.UTC(2026, 0, 1, 12, 0, 30);
const BUCKET = Date.UTC(2026, 0, 1, 12, 0);

const range = (limit: number, settings: ConversionGuardSettings = DEFAULT_CONVERSION_GUARD, count = true): CounterTake => ({
  counter: "svc:range:+1415555",
  limit,
  windowMs: HOUR,
  kind: "sliding",
  enforce: true,
  guard: { service: "svc", scope: { kind: "range", range: "+1415555" }, settings, count },
});
const budget = (limit: number, enforce = true): CounterTake => ({ counter: "", limit, windowMs: DAY, kind: "fixed", enforce });
const states = (entries: Record<string, CounterState>) => (counter: string) => entries[counter] ?? EMPTY_COUNTER;
/** A guard hour with `starts` starts a minute apart before T and no approval. */
function unapproved(starts: number): GuardState {
  return { ...EMPTY_GUARD, buckets: Array.from({ length: starts }, (_v, i) => ({ minute: Math.floor(T / MINUTE) - starts + i, starts: 1, approvals: 0 })) };
}

describe("planTake: all or none", () => {
  it("counts one unit in each counter: one changed row each, kept until its unit leaves the window", () => {
    const plan = planTake(states({}), [range(10), budget(100)], T);
    expect(plan.results).toEqual([
      { allowed: true, overLimit: false, bucket: BUCKET, retryAfterSeconds: 0 },
      { allowed: true, overLimit: false, bucket: Date.UTC(2026, 0, 1), retryAfterSeconds: 0 },
    ]);
    expect([...plan.changed.keys()]).toEqual(["svc:range:+1415555", ""]);
    expect(plan.changed.get("svc:range:+1415555")).toMatchObject({ buckets: [[BUCKET, 1]], keepUntil: BUCKET + MINUTE + HOUR });
    expect(figuresOf(plan.changed.get("svc:range:+1415555")!.guard, T)).toEqual({ starts: 1, approvals: 0 });
    expect(plan.changed.get("")).toEqual({ buckets: [[Date.UTC(2026, 0, 1), 1]], guard: EMPTY_GUARD, keepUntil: Date.UTC(2026, 0, 2) });
    expect(plan.keepUntil).toBe(Date.UTC(2026, 0, 2));
    expect(plan.reports).toEqual([]);
  });

  it("one refusal counts nothing anywhere and changes no row; every result says -1", () => {
    const full: CounterState = { buckets: [[Date.UTC(2026, 0, 1), 100]], guard: EMPTY_GUARD, keepUntil: Date.UTC(2026, 0, 2) };
    const plan = planTake(states({ "": full }), [range(10), budget(100)], T);
    expect(plan.results.map((r) => [r.allowed, r.bucket])).toEqual([
      [true, -1],
      [false, -1],
    ]);
    expect(plan.results[1]!.retryAfterSeconds).toBe(12 * 3_600 - 30);
    expect(plan.changed.size).toBe(0);
    expect(plan.keepUntil).toBe(0);
  });

  it("monitor mode counts past the limit and flags it", () => {
    const full: CounterState = { buckets: [[Date.UTC(2026, 0, 1), 100]], guard: EMPTY_GUARD, keepUntil: Date.UTC(2026, 0, 2) };
    const plan = planTake(states({ "": full }), [budget(100, false)], T);
    expect(plan.results[0]).toMatchObject({ allowed: true, overLimit: true, bucket: Date.UTC(2026, 0, 1) });
    expect(plan.changed.get("")!.buckets).toEqual([[Date.UTC(2026, 0, 1), 101]]);
  });

  it("buckets that left the window go with the write", () => {
    const old: CounterState = { buckets: [[BUCKET - 2 * HOUR, 5], [BUCKET - 10 * MINUTE, 1]], guard: EMPTY_GUARD, keepUntil: BUCKET + HOUR };
    const plan = planTake(states({ "svc:range:+1415555": old }), [range(10)], T);
    expect(plan.changed.get("svc:range:+1415555")!.buckets).toEqual([[BUCKET - 10 * MINUTE, 1], [BUCKET, 1]]);
  });

  it("a counter named twice in one take is a caller's bug", () => {
    expect(() => planTake(states({}), [budget(1), budget(2)], T)).toThrow(/twice/);
  });
});

describe("planTake: the conversion guard", () => {
  it.each<[string, ConversionGuardSettings["rangeMode"], boolean, "enforce" | "monitor" | null]>([
    ["off: no verdict, nothing judged", "off", true, null],
    ["monitor: counted, reported", "monitor", true, "monitor"],
    ["enforce: refused, the block begins and is reported", "enforce", false, "enforce"],
  ])("a range with 8 unapproved starts, guard %s", (_what, rangeMode, allowed, reported) => {
    const state: CounterState = { buckets: [[BUCKET - 30 * MINUTE, 8]], guard: unapproved(8), keepUntil: T + HOUR };
    const plan = planTake(states({ "svc:range:+1415555": state }), [range(100, { ...DEFAULT_CONVERSION_GUARD, rangeMode }), budget(100)], T);
    expect(plan.results[0]!.allowed).toBe(allowed);
    expect(plan.reports.map((r) => [r.service, r.verdict.mode])).toEqual(reported ? [["svc", reported]] : []);
    if (reported !== "enforce") return;
    // Refused, yet the block is written (it refuses by itself from now on); the budget is not counted.
    expect([...plan.changed.keys()]).toEqual(["svc:range:+1415555"]);
    const blocked = plan.changed.get("svc:range:+1415555")!;
    expect(blocked.guard.blockedUntil).toBe(T + 60 * MINUTE);
    expect(blocked.buckets).toEqual(state.buckets);
    expect(plan.keepUntil).toBe(T + 60 * MINUTE);
    // A start under the block: refused, and nothing written again.
    const again = planTake(states({ "svc:range:+1415555": blocked }), [range(100)], T + MINUTE);
    expect(again.results[0]).toMatchObject({ allowed: false, guard: { mode: "enforce" } });
    expect(again.changed.size).toBe(0);
    expect(again.reports).toEqual([]);
  });

  it("count: false judges without counting (the number counted this hour)", () => {
    const plan = planTake(states({}), [range(10, DEFAULT_CONVERSION_GUARD, false)], T);
    expect(plan.results[0]!.allowed).toBe(true);
    expect(figuresOf(plan.changed.get("svc:range:+1415555")!.guard, T)).toEqual({ starts: 0, approvals: 0 });
  });
});

describe("release, approvals, sweep", () => {
  const counted = planTake(states({}), [range(10)], T).changed.get("svc:range:+1415555")!;

  it.each<[string, number, boolean, [number, number][] | null, number]>([
    ["the unit and the guard's start", BUCKET, true, [], 0],
    ["the unit only", BUCKET, false, [], 1],
    ["a bucket that already left: nothing", BUCKET - 2 * HOUR, false, null, 1],
  ])("gives back %s", (_what, bucket, guarded, buckets, starts) => {
    const released = releaseUnit(counted, bucket, guarded);
    if (buckets === null) return expect(released).toBeNull();
    expect(released!.buckets).toEqual(buckets);
    expect(figuresOf(released!.guard, T).starts).toBe(starts);
  });

  it("n approvals in one call count n, and keep the counter an hour", () => {
    const approved = approveCounter(counted, 3, T + MINUTE);
    expect(figuresOf(approved.guard, T + MINUTE)).toEqual({ starts: 1, approvals: 3 });
    expect(approved.keepUntil).toBe(T + MINUTE + GUARD_KEEP_MS);
  });

  it("the sweep drops counters past their time and names the next", () => {
    const at = (keepUntil: number): CounterState => ({ ...EMPTY_COUNTER, keepUntil });
    expect(sweep([["a", at(T - 1)], ["b", at(T)], ["c", at(T + 5)], ["d", at(T + 9)]], T)).toEqual({ expired: ["a", "b"], nextKeepUntil: T + 5 });
    expect(sweep([["a", at(0)]], T)).toEqual({ expired: ["a"], nextKeepUntil: Number.POSITIVE_INFINITY });
  });
});
