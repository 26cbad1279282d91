import { describe, expect, it } from "vitest";
import {
  activeBlock,
  admitStart,
  DEFAULT_CONVERSION_GUARD,
  EMPTY_GUARD,
  figuresOf,
  minStartsFor,
  recordGuardApproval,
  withdrawStart,
  type ConversionGuardSettings,
  type GuardScope,
  type GuardState,
  type GuardVerdict,
} from "../../src/core/conversion-guard.ts";

const T = Date.UTC(2026, 0, 1, 12);
const MINUTE = 60_000;
const range: GuardScope = { kind: "range", range: "+1415555" };

/** Runs `starts` starts a minute apart, with an approval after every `approveEvery`-th one. */
function traffic(scope: GuardScope, starts: number, approveEvery: number | null, settings = DEFAULT_CONVERSION_GUARD, from = T) {
  let state: GuardState = EMPTY_GUARD;
  const verdicts: Array<GuardVerdict | null> = [];
  for (let i = 0; i < starts; i++) {
    const now = from + i * MINUTE;
    const result = admitStart(state, scope, now, settings);
    state = result.state;
    verdicts.push(result.verdict);
    if (approveEvery !== null && (i + 1) % approveEvery === 0) state = recordGuardApproval(state, now + 1_000);
  }
  return { state, verdicts, end: from + (starts - 1) * MINUTE };
}

describe("conversion guard: ranges (enforced by default)", () => {
  it("a pumped range (many starts, no approvals) is blocked once it has its minimum of starts", () => {
    const { state, verdicts, end } = traffic(range, 10, null);
    // Starts 1-8 make the minimum; the 9th is judged on 8 starts and 0 approvals.
    expect(verdicts.slice(0, 8)).toEqual(Array(8).fill(null));
    const blocked = verdicts[8]!;
    expect(blocked).toMatchObject({ rule: "conversion_guard", mode: "enforce", scope: range, figures: { starts: 8, approvals: 0, minStarts: 8 } });
    expect(blocked.message).toBe("to: range +1415555xxxx had 8 starts and 0 approvals in the last hour (0%, below 20%); new starts are refused for 60 minutes");
    expect(blocked.retryAfterSeconds).toBe(3600);
    // The 10th, a minute later, is refused with the same figures and a shorter wait.
    expect(verdicts[9]).toMatchObject({ figures: { starts: 8, approvals: 0 }, retryAfterSeconds: 3540 });
    expect(activeBlock(state, end)).toEqual({ blockedUntil: T + 8 * MINUTE + 60 * MINUTE, figures: { starts: 8, approvals: 0, minStarts: 8 } });
  });

  it("a converting range is not blocked", () => {
    const { verdicts, state, end } = traffic(range, 40, 2);
    expect(verdicts.every((v) => v === null)).toBe(true);
    expect(activeBlock(state, end)).toBeNull();
  });

  it("exactly the minimum rate passes; just below it blocks", () => {
    let state = recordGuardApproval(recordGuardApproval(EMPTY_GUARD, T), T);
    const verdicts: Array<GuardVerdict | null> = [];
    for (let i = 0; i < 12; i++) {
      const result = admitStart(state, range, T + (i + 1) * 1000);
      state = result.state;
      verdicts.push(result.verdict);
    }
    // The 11th start is judged on 10 starts and 2 approvals: 20%, not below.
    expect(verdicts.slice(0, 11)).toEqual(Array(11).fill(null));
    // The 12th on 11 starts and 2 approvals: 18%.
    expect(verdicts[11]).toMatchObject({ figures: { starts: 11, approvals: 2 } });
    expect(verdicts[11]!.message).toContain("(18%, below 20%)");
  });

  it("the hour slides: starts older than an hour are not counted", () => {
    let state = EMPTY_GUARD;
    for (let i = 0; i < 7; i++) state = admitStart(state, range, T + i * 1000).state;
    expect(figuresOf(state, T + 59 * MINUTE)).toEqual({ starts: 7, approvals: 0 });
    expect(figuresOf(state, T + 61 * MINUTE)).toEqual({ starts: 0, approvals: 0 });
    // 7 old + 1 new: not 8 in the hour, so no block.
    expect(admitStart(state, range, T + 61 * MINUTE).verdict).toBeNull();
  });

  it("after the block the scope starts over, and an approval does not lift a block early", () => {
    const { state } = traffic(range, 9, null);
    const approved = recordGuardApproval(state, T + 20 * MINUTE);
    expect(admitStart(approved, range, T + 30 * MINUTE).verdict).not.toBeNull();
    const after = admitStart(approved, range, T + 8 * MINUTE + 60 * MINUTE);
    expect(after.verdict).toBeNull();
    expect(after.state.blockedUntil).toBe(0);
    expect(figuresOf(after.state, T + 8 * MINUTE + 60 * MINUTE)).toEqual({ starts: 1, approvals: 1 });
  });
});

describe("conversion guard: countries (monitor by default)", () => {
  it("a country with its minimum of starts and no approvals is reported, not refused", () => {
    const country: GuardScope = { kind: "country", country: "XK", shard: 0, shards: 1 };
    let state = EMPTY_GUARD;
    for (let i = 0; i < 200; i++) state = admitStart(state, country, T + i * 100).state;
    const judged = admitStart(state, country, T + 20_100);
    expect(judged.verdict).toMatchObject({ mode: "monitor", figures: { starts: 200, approvals: 0, minStarts: 200 } });
    expect(judged.verdict!.message).toContain("country XK had 200 starts");
    // Monitor counts the start and sets no block.
    expect(judged.state.blockedUntil).toBe(0);
    expect(figuresOf(judged.state, T + 20_100).starts).toBe(201);
  });

  it("a sharded country judges each shard on its share of the minimum", () => {
    expect(minStartsFor({ kind: "country", country: "US", shard: 0, shards: 16 }, DEFAULT_CONVERSION_GUARD)).toBe(13);
    expect(minStartsFor({ kind: "country", country: "US", shard: 15, shards: 16 }, DEFAULT_CONVERSION_GUARD)).toBe(12);
    // More shards than the minimum: every shard still needs one start before it is judged.
    expect(minStartsFor({ kind: "country", country: "US", shard: 300, shards: 400 }, DEFAULT_CONVERSION_GUARD)).toBe(1);
    const shard: GuardScope = { kind: "country", country: "US", shard: 15, shards: 16 };
    const enforce: ConversionGuardSettings = { ...DEFAULT_CONVERSION_GUARD, countryMode: "enforce" };
    const { verdicts } = traffic(shard, 13, null, enforce);
    expect(verdicts[11]).toBeNull();
    expect(verdicts[12]).toMatchObject({ mode: "enforce", figures: { starts: 12, minStarts: 12 } });
    expect(verdicts[12]!.message).toContain("country US (shard 16 of 16) had 12 starts");
  });

  it("off counts nothing and never judges", () => {
    const off = { ...DEFAULT_CONVERSION_GUARD, rangeMode: "off" as const };
    const { state, verdicts } = traffic(range, 30, null, off);
    expect(verdicts.every((v) => v === null)).toBe(true);
    expect(state).toBe(EMPTY_GUARD);
  });

  it("the settings move the thresholds", () => {
    const strict: ConversionGuardSettings = { ...DEFAULT_CONVERSION_GUARD, rangeMinStarts: 3, minRate: 0.5, blockMinutes: 5 };
    const { verdicts } = traffic(range, 5, 3, strict);
    // 3 starts, 1 approval = 33% < 50%.
    expect(verdicts[3]).toMatchObject({ figures: { starts: 3, approvals: 1 }, retryAfterSeconds: 300 });
    expect(verdicts[3]!.message).toContain("3 starts and 1 approval in the last hour (33%, below 50%); new starts are refused for 5 minutes");
  });
});

describe("conversion guard: counting", () => {
  it("count: false judges without counting (a number already counted this hour)", () => {
    let state: GuardState = EMPTY_GUARD;
    for (let i = 0; i < 7; i++) state = admitStart(state, range, T + i * 1000).state;
    // A resend of one of those numbers: judged, not counted, so the range stays under its minimum.
    const resend = admitStart(state, range, T + 10_000, DEFAULT_CONVERSION_GUARD, { count: false });
    expect(resend.verdict).toBeNull();
    expect(figuresOf(resend.state, T + 10_000)).toEqual({ starts: 7, approvals: 0 });
    // The 8th number counts; the 9th finds 8 starts and no approval and is refused.
    state = admitStart(resend.state, range, T + 11_000).state;
    expect(admitStart(state, range, T + 12_000).verdict).toMatchObject({ mode: "enforce", figures: { starts: 8, approvals: 0 } });
  });

  it("count: false still refuses in a blocked scope, and starts a block on pumped figures", () => {
    let state: GuardState = EMPTY_GUARD;
    for (let i = 0; i < 8; i++) state = admitStart(state, range, T + i * 1000).state;
    const judged = admitStart(state, range, T + 9_000, DEFAULT_CONVERSION_GUARD, { count: false });
    expect(judged.verdict).toMatchObject({ mode: "enforce", figures: { starts: 8 } });
    expect(activeBlock(judged.state, T + 10_000)).not.toBeNull();
    expect(admitStart(judged.state, range, T + 10_000, DEFAULT_CONVERSION_GUARD, { count: false }).verdict).toMatchObject({ mode: "enforce" });
  });

  it("a withdrawn start (refused elsewhere, or its send definitely refused) does not count", () => {
    let state: GuardState = EMPTY_GUARD;
    for (let i = 0; i < 8; i++) state = admitStart(state, range, T + i * 1000).state;
    // The 8th start's send was refused: its minute's start is taken back, so the 9th is judged on 7.
    state = withdrawStart(state, Math.floor((T + 7_000) / MINUTE) * MINUTE);
    expect(figuresOf(state, T + 8_000)).toEqual({ starts: 7, approvals: 0 });
    expect(admitStart(state, range, T + 8_000).verdict).toBeNull();
  });
});
