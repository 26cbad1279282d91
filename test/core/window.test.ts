import { describe, expect, it } from "vitest";
import { addUnit, bucketWidthMs, judgeWindow, removeUnit, type Bucket, type WindowRule } from "../../src/core/window.ts";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** 12:00:30 UTC: half a minute into a bucket. */
const T = Date.UTC(2026, 0, 1, 12, 0, 30);
const at = (h: number, m: number, s = 0) => Date.UTC(2026, 0, 1, h, m, s);
const hourly = (limit: number, enforce = true): WindowRule => ({ limit, windowMs: HOUR, kind: "sliding", enforce });
const daily = (limit: number, enforce = true): WindowRule => ({ limit, windowMs: DAY, kind: "fixed", enforce });

describe("sliding window: 60 buckets per window", () => {
  it.each([
    [HOUR, MINUTE],
    [DAY, 24 * MINUTE],
    [90_000, 1_500],
    [59, 1],
  ])("a window of %i ms has buckets of %i ms", (windowMs, width) => {
    expect(bucketWidthMs({ windowMs, kind: "sliding" })).toBe(width);
  });

  it.each<[string, Bucket[], number]>([
    ["empty", [], 0],
    ["this minute's bucket", [[at(12, 0), 3]], 3],
    // [11:00, 11:01) overlaps the last hour (11:00:30 to 12:00:30): it counts, erring on refusing.
    ["the bucket the hour's start falls in", [[at(11, 0), 2]], 2],
    ["the bucket before it", [[at(10, 59), 2]], 0],
    ["a full hour, one a minute: 61 buckets overlap", Array.from({ length: 62 }, (_v, i): Bucket => [at(10, 59) + i * MINUTE, 1]), 61],
  ])("counts what overlaps the last hour: %s", (_what, buckets, used) => {
    const judged = judgeWindow(buckets, hourly(100), T);
    expect(judged.used).toBe(used);
    expect(judged.live.reduce((n, [, c]) => n + c, 0)).toBe(used);
  });

  it.each<[string, number, boolean]>([
    ["one under the limit: the last unit fits", 9, true],
    ["at the limit: refused", 10, false],
    ["over it: refused", 11, false],
  ])("exact at the boundary: %s", (_what, used, allowed) => {
    const judged = judgeWindow([[at(11, 30), used]], hourly(10), T);
    expect(judged).toMatchObject({ allowed, overLimit: !allowed, used });
  });

  it.each<[string, Bucket[], number]>([
    // The oldest unit that counts leaves a bucket's width after the hour from its bucket's start.
    ["the oldest unit at 11:00", [[at(11, 0), 1], [at(11, 30), 9]], 30],
    ["the oldest unit at 11:30", [[at(11, 30), 10]], 30 * 60 + 30],
    ["an emptied bucket is not the oldest", [[at(11, 0), 0], [at(11, 45), 10]], 45 * 60 + 30],
    ["all in this minute", [[at(12, 0), 10]], 3_600 + 30],
  ])("retry-after: %s", (_what, buckets, seconds) => {
    expect(judgeWindow(buckets, hourly(10), T).retryAfterSeconds).toBe(seconds);
  });

  it("retry-after is at least a second; 0 while under the limit", () => {
    expect(judgeWindow([[at(11, 0), 10]], hourly(10), at(12, 0, 59) + 999).retryAfterSeconds).toBe(1);
    expect(judgeWindow([[at(11, 30), 3]], hourly(10), T).retryAfterSeconds).toBe(0);
  });

  it("the unit goes in this minute's bucket, and is kept until that bucket leaves the hour", () => {
    expect(judgeWindow([], hourly(10), T)).toMatchObject({ bucketMs: at(12, 0), keepUntilMs: at(13, 1) });
  });
});

describe("fixed window: one bucket per UTC day", () => {
  it.each<[string, Bucket[], number]>([
    ["today's", [[at(0, 0), 4]], 4],
    ["yesterday's does not count", [[at(0, 0) - DAY, 4]], 0],
    ["both", [[at(0, 0) - DAY, 4], [at(0, 0), 1]], 1],
  ])("counts %s", (_what, buckets, used) => {
    expect(judgeWindow(buckets, daily(10), T).used).toBe(used);
  });

  it("counts in the day's bucket, kept to the day's end; a refusal waits for midnight UTC", () => {
    expect(judgeWindow([], daily(5), T)).toMatchObject({ bucketMs: at(0, 0), keepUntilMs: at(0, 0) + DAY });
    const refused = judgeWindow([[at(0, 0), 5]], daily(5), T);
    expect(refused).toMatchObject({ allowed: false, overLimit: true, retryAfterSeconds: 12 * 3_600 - 30 });
    // One millisecond into the next day, the budget is whole again.
    expect(judgeWindow([[at(0, 0), 5]], daily(5), at(0, 0) + DAY)).toMatchObject({ allowed: true, used: 0 });
  });
});

describe("monitor mode", () => {
  it.each<[string, WindowRule, Bucket[]]>([
    ["sliding", hourly(2, false), [[at(11, 50), 5]]],
    ["fixed", daily(2, false), [[at(0, 0), 5]]],
  ])("%s: over the limit still counts, and says it would have refused", (_what, rule, buckets) => {
    const judged = judgeWindow(buckets, rule, T);
    expect(judged).toMatchObject({ allowed: true, overLimit: true, used: 5 });
    expect(judged.retryAfterSeconds).toBeGreaterThan(0);
  });
});

describe("buckets", () => {
  it("a unit is added in order; the dead ones are left to the judgement's `live`", () => {
    expect(addUnit([], 60)).toEqual([[60, 1]]);
    expect(addUnit([[0, 1], [120, 2]], 60)).toEqual([[0, 1], [60, 1], [120, 2]]);
    expect(addUnit([[0, 1], [60, 1]], 60)).toEqual([[0, 1], [60, 2]]);
    expect(addUnit([[0, 1]], 120)).toEqual([[0, 1], [120, 1]]);
  });

  it("a unit is given back to its bucket; an emptied bucket goes; nothing to give back is null", () => {
    expect(removeUnit([[0, 2], [60, 1]], 0)).toEqual([[0, 1], [60, 1]]);
    expect(removeUnit([[0, 2], [60, 1]], 60)).toEqual([[0, 2]]);
    expect(removeUnit([[0, 2]], 60)).toBeNull();
    expect(removeUnit([[0, 0]], 0)).toBeNull();
  });
});
