// ScopeCounter objects written by earlier releases keep their counts under the current code
// (src/objects/migrations/scope-counter.ts): the buckets table, a key per bucket / guard / expiry,
// and the per-scope release's objects, whose counters move into the shard objects on first use.
// Each test writes the old shape directly, as that release left it, then takes and checks the limit.
import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { DEFAULT_CONVERSION_GUARD } from "../../../src/core/conversion-guard.ts";
import { EMPTY_COUNTER } from "../../../src/core/counter.ts";
import { mergeCounters } from "../../../src/objects/migrations/scope-counter.ts";
import type { CounterTake, ScopeCounter, TakeInput } from "../../../src/objects/scope-counter.ts";

const namespace = env.SCOPE_COUNTER as unknown as DurableObjectNamespace<ScopeCounter>;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
const hourly = (limit: number): TakeInput => ({ limit, windowMs: HOUR_MS, kind: "sliding", enforce: true });
const daily = (limit: number): TakeInput => ({ limit, windowMs: DAY_MS, kind: "fixed", enforce: true });
const take = async (stub: DurableObjectStub<ScopeCounter>, input: TakeInput) => (await stub.takeAll([{ ...input, counter: "" }]))[0]!;
const named = (prefix: string) => namespace.get(namespace.idFromName(`${prefix}:${crypto.randomUUID()}`));
const keys = (stub: DurableObjectStub<ScopeCounter>) => runInDurableObject(stub, (_i, state) => [...state.storage.kv.list()].map(([key]) => key));
/** Writes storage as an earlier release left it, then evicts, so the next call wakes the object under this code. */
async function writeOldShape(stub: DurableObjectStub<ScopeCounter>, entries: Record<string, unknown>): Promise<void> {
  await runInDurableObject(stub, async (_i, state) => {
    await state.storage.deleteAll();
    for (const [key, value] of Object.entries(entries)) state.storage.kv.put(key, value);
  });
  await evictDurableObject(stub);
}
const minuteBucket = () => Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS;
const dayBucket = () => Math.floor(Date.now() / DAY_MS) * DAY_MS;
const block = () => ({ buckets: [], blockedUntil: Date.now() + HOUR_MS, blockedFigures: { starts: 8, approvals: 0, minStarts: 8 } });
const guarded = (range: string, limit: number): CounterTake => ({
  ...hourly(limit),
  counter: `svc:range:${range}`,
  guard: { service: "svc", scope: { kind: "range", range }, settings: DEFAULT_CONVERSION_GUARD, count: true },
});

describe("ScopeCounter migrations", () => {
  it("a counter written with the buckets table keeps its counts", async () => {
    const stub = named("test");
    const width = HOUR_MS / 60;
    const bucket = Math.floor(Date.now() / width) * width;
    await runInDurableObject(stub, (_i, state) => {
      state.storage.sql.exec("CREATE TABLE buckets (start INTEGER PRIMARY KEY, count INTEGER NOT NULL)");
      state.storage.sql.exec("INSERT INTO buckets (start, count) VALUES (?, 3)", bucket);
    });
    await evictDurableObject(stub);
    expect(await take(stub, hourly(4))).toMatchObject({ allowed: true });
    expect(await take(stub, hourly(4))).toMatchObject({ allowed: false, overLimit: true });
    expect(await runInDurableObject(stub, (_i, state) => state.storage.sql.exec("SELECT name FROM sqlite_master WHERE name = 'buckets'").toArray())).toEqual([]);
    expect(await keys(stub)).toEqual(["c:", "migrate"]);
  });

  it("counters written a key per bucket keep their counts, guard blocks and expiries in one row each", async () => {
    // The release before: a shard object with a range's 5 sends this hour in two buckets, another
    // range under a guard block, the budget shard's 4 sends today, their expiries, and `migrate` 0
    // (a fresh deployment of that release: no hand-over window).
    const stub = named("budget");
    const now = minuteBucket();
    const rangeKeepUntil = now + MINUTE_MS + HOUR_MS;
    await writeOldShape(stub, {
      [`b:svc:range:+1415555@${now - 30 * MINUTE_MS}`]: 2,
      [`b:svc:range:+1415555@${now}`]: 3,
      "x:svc:range:+1415555": rangeKeepUntil,
      "guard:svc:range:+1415556": block(),
      "x:svc:range:+1415556": Date.now() + HOUR_MS,
      [`b:${dayBucket()}`]: 4,
      "x:": dayBucket() + 2 * DAY_MS,
      migrate: 0,
    });
    // 5 + 1 reach the range's cap of 6; the blocked range stays blocked; 4 + 1 reach the budget's 5.
    expect((await stub.takeAll([{ ...hourly(6), counter: "svc:range:+1415555" }]))[0]).toMatchObject({ allowed: true });
    expect((await stub.takeAll([{ ...hourly(6), counter: "svc:range:+1415555" }]))[0]).toMatchObject({ allowed: false, overLimit: true });
    expect((await stub.takeAll([guarded("+1415556", 100)]))[0]).toMatchObject({ allowed: false, guard: { mode: "enforce", figures: { starts: 8, approvals: 0 } } });
    expect(await take(stub, daily(5))).toMatchObject({ allowed: true });
    expect(await take(stub, daily(5))).toMatchObject({ allowed: false, overLimit: true });
    // One row per counter; no key of the old shape is left.
    expect((await keys(stub)).sort()).toEqual(["c:", "c:svc:range:+1415555", "c:svc:range:+1415556", "migrate"]);
    const row = await runInDurableObject(stub, (_i, state) => state.storage.kv.get<{ buckets: [number, number][]; keepUntil: number }>("c:svc:range:+1415555"));
    expect(row!.buckets[0]).toEqual([now - 30 * MINUTE_MS, 2]);
    expect(row!.buckets.reduce((sum, [, count]) => sum + count, 0)).toBe(6);
    expect(row!.keepUntil).toBeGreaterThanOrEqual(rangeKeepUntil);
    // A wake of the migrated object writes nothing more, and the closed window's key goes with the alarm.
    await evictDurableObject(stub);
    expect((await stub.takeAll([{ ...hourly(6), counter: "svc:range:+1415555" }]))[0]).toMatchObject({ allowed: false });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await keys(stub)).sort()).toEqual(["c:", "c:svc:range:+1415555", "c:svc:range:+1415556"]);
  });

  it("keys the release before wrote after this one (a rollback) merge into the rows, never replace them", async () => {
    const stub = named("budget");
    const range: CounterTake = { ...hourly(6), counter: "svc:range:+1415555" };
    await stub.takeAll([range]);
    await stub.takeAll([range]);
    // The release before runs again on this object: it sees no key of its own and counts 3 afresh.
    await runInDurableObject(stub, (_i, state) => state.storage.kv.put(`b:svc:range:+1415555@${minuteBucket()}`, 3));
    await evictDurableObject(stub);
    // 2 + 3 + 1 reach the cap of 6.
    expect((await stub.takeAll([range]))[0]).toMatchObject({ allowed: true });
    expect((await stub.takeAll([range]))[0]).toMatchObject({ allowed: false, overLimit: true });
    expect(await keys(stub)).toEqual(["c:svc:range:+1415555"]);
  });

  it("merging two records of a counter sums counts per bucket and per guard minute, and keeps the later block", () => {
    const a = { buckets: [[0, 1], [60_000, 2]] as [number, number][], guard: { buckets: [{ minute: 0, starts: 1, approvals: 0 }], blockedUntil: 0, blockedFigures: null }, keepUntil: 10 };
    const blocked = block();
    const b = { buckets: [[60_000, 3]] as [number, number][], guard: { ...blocked, buckets: [{ minute: 0, starts: 2, approvals: 1 }, { minute: 1, starts: 1, approvals: 0 }] }, keepUntil: 5 };
    expect(mergeCounters(a, b)).toEqual({
      buckets: [[0, 1], [60_000, 5]],
      guard: { buckets: [{ minute: 0, starts: 3, approvals: 1 }, { minute: 1, starts: 1, approvals: 0 }], blockedUntil: blocked.blockedUntil, blockedFigures: blocked.blockedFigures },
      keepUntil: 10,
    });
    expect(mergeCounters(a, EMPTY_COUNTER)).toEqual(a);
  });

  it("after an upgrade from the per-scope release, a range's counts and guard block move from its own object into the shard", async () => {
    const shard = named("budget");
    const legacyName = `svc:range:${crypto.randomUUID()}`;
    const legacy = namespace.get(namespace.idFromName(legacyName));
    // The per-scope release: the range had an object of its own with 2 sends this hour and a block;
    // the shard object held only the budget shard's count, with neither expiry nor `migrate` key.
    const blocked = block();
    await writeOldShape(legacy, { [`b:${minuteBucket()}`]: 2, guard: blocked });
    await writeOldShape(shard, { [`b:${dayBucket()}`]: 7 });

    const range: CounterTake = { ...hourly(3), counter: "svc:range:+1415555", legacy: legacyName };
    expect((await shard.takeAll([range]))[0]).toMatchObject({ allowed: true });
    // 2 carried over + 1: the cap of 3 is reached.
    expect((await shard.takeAll([range]))[0]).toMatchObject({ allowed: false, overLimit: true });
    expect(await runInDurableObject(shard, (_i, state) => state.storage.kv.get("c:svc:range:+1415555"))).toMatchObject({ guard: { blockedUntil: blocked.blockedUntil } });
    expect(await runInDurableObject(shard, (_i, state) => state.storage.kv.get<number>("migrate"))).toBeGreaterThan(Date.now());
    // The budget's count came along: 7 + 1 reach a shard's share of 8.
    expect(await take(shard, daily(8))).toMatchObject({ allowed: true });
    expect(await take(shard, daily(8))).toMatchObject({ allowed: false });
    // The old object handed over and deleted everything.
    expect(await keys(legacy)).toEqual([]);
  });

  it("a fresh shard object never looks for old objects, and writes no window", async () => {
    const shard = named("budget");
    const legacyName = `svc:range:${crypto.randomUUID()}`;
    const legacy = namespace.get(namespace.idFromName(legacyName));
    await writeOldShape(legacy, { [`b:${minuteBucket()}`]: 1 });
    expect((await shard.takeAll([{ ...hourly(1), counter: "svc:range:+1415556", legacy: legacyName }]))[0]).toMatchObject({ allowed: true });
    expect(await keys(shard)).toEqual(["c:svc:range:+1415556"]);
    // Still there: nobody asked for it (its own alarm empties it).
    expect((await keys(legacy)).length).toBeGreaterThan(0);
  });
});
