// ScopeCounter: exact counts per window, release, several counters in one object (all or none), the
// alarm's clean-up per counter, and the moves of older releases' counts: the SQL buckets table into
// KV, and one object per scope into the shard objects.
import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { CounterTake, ScopeCounter, TakeInput } from "../../src/objects/scope-counter.ts";

const namespace = env.SCOPE_COUNTER as unknown as DurableObjectNamespace<ScopeCounter>;
const HOUR_MS = 3_600_000;
const hourly = (limit: number): TakeInput => ({ limit, windowMs: HOUR_MS, kind: "sliding", enforce: true });
/** One unit of the object's own counter (an IP's, a budget shard's). */
const take = async (stub: DurableObjectStub<ScopeCounter>, input: TakeInput) => (await stub.takeAll([{ ...input, counter: "" }]))[0]!;

describe("ScopeCounter", () => {
  it("counts exactly to the limit, gives a released unit back, and keeps counting after a restart", async () => {
    const stub = namespace.get(namespace.idFromName(`test:${crypto.randomUUID()}`));
    const first = await take(stub, hourly(2));
    expect(first).toMatchObject({ allowed: true, overLimit: false });
    expect(await take(stub, hourly(2))).toMatchObject({ allowed: true });
    expect(await take(stub, hourly(2))).toMatchObject({ allowed: false, overLimit: true, bucket: -1 });
    await stub.release(first.bucket);
    await evictDurableObject(stub);
    expect(await take(stub, hourly(2))).toMatchObject({ allowed: true });
    expect(await take(stub, hourly(2))).toMatchObject({ allowed: false });
    // No table: the buckets are KV keys; the alarm frees the object.
    expect(await runInDurableObject(stub, (_i, state) => state.storage.sql.exec("SELECT name FROM sqlite_master WHERE name = 'buckets'").toArray())).toEqual([]);
    // An alarm before the window ends keeps the count; once it has passed, the object is freed.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await take(stub, hourly(2))).toMatchObject({ allowed: false });
    await runInDurableObject(stub, (_i, state) => state.storage.kv.put("x:", Date.now() - 1));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await runInDurableObject(stub, (_i, state) => [...state.storage.kv.list()])).toEqual([]);
  });

  it("an object written with the buckets table keeps its counts: they move into KV on wake", async () => {
    const stub = namespace.get(namespace.idFromName(`test:${crypto.randomUUID()}`));
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
  });

  it("takes several counters in one call, all or none", async () => {
    const stub = namespace.get(namespace.idFromName(`test:${crypto.randomUUID()}`));
    const range = (limit: number): CounterTake => ({ ...hourly(limit), counter: "svc:range:+1415555" });
    const budget = (limit: number): CounterTake => ({ limit, windowMs: 86_400_000, kind: "fixed", enforce: true, counter: "" });
    const first = await stub.takeAll([range(2), budget(10)]);
    expect(first.map((r) => r.allowed)).toEqual([true, true]);
    expect(first.every((r) => r.bucket >= 0)).toBe(true);
    await stub.takeAll([range(2), budget(10)]);
    // The range is full: nothing is counted, not even in the budget.
    const refused = await stub.takeAll([range(2), budget(10)]);
    expect(refused).toMatchObject([{ allowed: false, overLimit: true, bucket: -1 }, { allowed: true, bucket: -1 }]);
    expect((await stub.takeAll([range(5), budget(3)])).map((r) => r.allowed)).toEqual([true, true]);
    expect(await take(stub, { limit: 3, windowMs: 86_400_000, kind: "fixed", enforce: true })).toMatchObject({ allowed: false });
    // A unit given back to one counter only.
    await stub.release(first[0]!.bucket, false, "svc:range:+1415555");
    expect((await stub.takeAll([range(3)]))[0]).toMatchObject({ allowed: true });
  });

  it("the alarm drops each counter once its window has passed, and frees the object when none is left", async () => {
    const stub = namespace.get(namespace.idFromName(`test:${crypto.randomUUID()}`));
    await stub.takeAll([
      { ...hourly(5), counter: "hour" },
      { limit: 5, windowMs: 86_400_000, kind: "fixed", enforce: true, counter: "day" },
    ]);
    const keys = () => runInDurableObject(stub, (_i, state) => [...state.storage.kv.list()].map(([key]) => key.replace(/@\d+$/, "@…").replace(/^b:\d+$/, "b:…")).sort());
    // The hourly counter's end passes (its expiry moved back as if two hours went by).
    await runInDurableObject(stub, (_i, state) => state.storage.kv.put("x:hour", Date.now() - 1));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await keys()).toEqual(["b:day@…", "x:day"]);
    expect(await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())).toBeGreaterThan(Date.now());
    await runInDurableObject(stub, (_i, state) => state.storage.kv.put("x:day", Date.now() - 1));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await runInDurableObject(stub, (_i, state) => [...state.storage.kv.list()])).toEqual([]);
  });

  it("after an upgrade, a range's counts and guard block move from its own object into the shard", async () => {
    const shard = namespace.get(namespace.idFromName(`test-shard:${crypto.randomUUID()}`));
    const legacyName = `test-legacy:${crypto.randomUUID()}`;
    const legacy = namespace.get(namespace.idFromName(legacyName));
    // The previous release: the range had an object of its own with 2 sends this hour and a block,
    // and the shard object held the budget shard's count (so it is an upgraded object).
    await take(legacy, hourly(10));
    await take(legacy, hourly(10));
    const blocked = { buckets: [], blockedUntil: Date.now() + 3_600_000, blockedFigures: { starts: 8, approvals: 0, minStarts: 8 } };
    await runInDurableObject(legacy, (_i, state) => state.storage.kv.put("guard", blocked));
    await take(shard, { limit: 100, windowMs: 86_400_000, kind: "fixed", enforce: true });
    await runInDurableObject(shard, (_i, state) => state.storage.kv.delete("migrate"));
    await evictDurableObject(shard);

    const range: CounterTake = { ...hourly(3), counter: "svc:range:+1415555", legacy: legacyName };
    expect((await shard.takeAll([range]))[0]).toMatchObject({ allowed: true });
    // 2 carried over + 1: the cap of 3 is reached.
    expect((await shard.takeAll([range]))[0]).toMatchObject({ allowed: false, overLimit: true });
    expect(await runInDurableObject(shard, (_i, state) => state.storage.kv.get("guard:svc:range:+1415555"))).toMatchObject({ blockedUntil: blocked.blockedUntil });
    // The old object handed over and deleted everything.
    expect(await runInDurableObject(legacy, (_i, state) => [...state.storage.kv.list()])).toEqual([]);
  });

  it("a fresh shard object never looks for old objects", async () => {
    const shard = namespace.get(namespace.idFromName(`test-shard:${crypto.randomUUID()}`));
    const legacyName = `test-legacy:${crypto.randomUUID()}`;
    const legacy = namespace.get(namespace.idFromName(legacyName));
    await take(legacy, hourly(10));
    expect((await shard.takeAll([{ ...hourly(1), counter: "svc:range:+1415556", legacy: legacyName }]))[0]).toMatchObject({ allowed: true });
    expect((await runInDurableObject(legacy, (_i, state) => [...state.storage.kv.list()])).length).toBeGreaterThan(0);
    expect(await runInDurableObject(shard, (_i, state) => state.storage.kv.get("migrate"))).toBe(0);
  });
});
