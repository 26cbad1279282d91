// ScopeCounter: exact counts per window, release, several counters in one object (all or none),
// approvals in batches, the alarm's clean-up per counter, and the rows each call writes (one per
// counter it changed). Earlier releases' shapes: test/objects/migrations/scope-counter.test.ts.
import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_CONVERSION_GUARD, type GuardState } from "../../src/core/conversion-guard.ts";
import type { CounterTake, ScopeCounter, TakeInput } from "../../src/objects/scope-counter.ts";

const namespace = env.SCOPE_COUNTER as unknown as DurableObjectNamespace<ScopeCounter>;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const hourly = (limit: number): TakeInput => ({ limit, windowMs: HOUR_MS, kind: "sliding", enforce: true });
const daily = (limit: number): TakeInput => ({ limit, windowMs: DAY_MS, kind: "fixed", enforce: true });
/** One unit of the object's own counter (an IP's, a budget shard's). */
const take = async (stub: DurableObjectStub<ScopeCounter>, input: TakeInput) => (await stub.takeAll([{ ...input, counter: "" }]))[0]!;
const fresh = () => namespace.get(namespace.idFromName(`test:${crypto.randomUUID()}`));

interface Row {
  buckets: [number, number][];
  guard?: GuardState;
  keepUntil: number;
}
const rows = (stub: DurableObjectStub<ScopeCounter>) => runInDurableObject(stub, (_i, state) => Object.fromEntries(state.storage.kv.list<Row>()));
/** Moves a counter's time back as if its window had passed (its row says until when it is kept). */
const expire = (stub: DurableObjectStub<ScopeCounter>, counter: string) =>
  runInDurableObject(stub, (_i, state) => state.storage.kv.put(`c:${counter}`, { ...state.storage.kv.get<Row>(`c:${counter}`)!, keepUntil: Date.now() - 1 }));

describe("ScopeCounter", () => {
  it("counts exactly to the limit, gives a released unit back, and keeps counting after a restart", async () => {
    const stub = fresh();
    const first = await take(stub, hourly(2));
    expect(first).toMatchObject({ allowed: true, overLimit: false });
    expect(await take(stub, hourly(2))).toMatchObject({ allowed: true });
    expect(await take(stub, hourly(2))).toMatchObject({ allowed: false, overLimit: true, bucket: -1 });
    await stub.release(first.bucket);
    await evictDurableObject(stub);
    expect(await take(stub, hourly(2))).toMatchObject({ allowed: true });
    expect(await take(stub, hourly(2))).toMatchObject({ allowed: false });
    // One row, the object's own counter; no table.
    expect(Object.keys(await rows(stub))).toEqual(["c:"]);
    expect(await runInDurableObject(stub, (_i, state) => state.storage.sql.exec("SELECT name FROM sqlite_master WHERE name = 'buckets'").toArray())).toEqual([]);
    // An alarm before the window ends keeps the count; once it has passed, the object is freed.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await take(stub, hourly(2))).toMatchObject({ allowed: false });
    await expire(stub, "");
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await rows(stub)).toEqual({});
    expect(await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())).toBeNull();
  });

  it("monitor mode counts past the limit and says so; a refusal names when a unit frees up", async () => {
    const stub = fresh();
    const monitored = { ...hourly(1), enforce: false };
    expect(await take(stub, monitored)).toMatchObject({ allowed: true, overLimit: false, retryAfterSeconds: 0 });
    expect(await take(stub, monitored)).toMatchObject({ allowed: true, overLimit: true });
    const refused = await take(stub, hourly(2));
    // The oldest unit leaves the sliding hour about an hour (and at most a minute's bucket) from now.
    expect(refused).toMatchObject({ allowed: false, overLimit: true, bucket: -1 });
    expect(refused.retryAfterSeconds).toBeGreaterThan(3_600 - 5);
    expect(refused.retryAfterSeconds).toBeLessThanOrEqual(3_660);
  });

  it("takes several counters in one call, all or none", async () => {
    const stub = fresh();
    const range = (limit: number): CounterTake => ({ ...hourly(limit), counter: "svc:range:+1415555" });
    const budget = (limit: number): CounterTake => ({ ...daily(limit), counter: "" });
    const first = await stub.takeAll([range(2), budget(10)]);
    expect(first.map((r) => r.allowed)).toEqual([true, true]);
    expect(first.every((r) => r.bucket >= 0)).toBe(true);
    await stub.takeAll([range(2), budget(10)]);
    // The range is full: nothing is counted, not even in the budget.
    const refused = await stub.takeAll([range(2), budget(10)]);
    expect(refused).toMatchObject([{ allowed: false, overLimit: true, bucket: -1 }, { allowed: true, bucket: -1 }]);
    expect((await stub.takeAll([range(5), budget(3)])).map((r) => r.allowed)).toEqual([true, true]);
    expect(await take(stub, daily(3))).toMatchObject({ allowed: false });
    // A unit given back to one counter only.
    await stub.release(first[0]!.bucket, false, "svc:range:+1415555");
    expect((await stub.takeAll([range(3)]))[0]).toMatchObject({ allowed: true });
  });

  it("approvals arrive in batches: a counter named n times had n approvals", async () => {
    const stub = fresh();
    const range = "svc:range:+1415555";
    const guarded: CounterTake = {
      ...hourly(100),
      counter: range,
      guard: { service: "svc", scope: { kind: "range", range: "+1415555" }, settings: DEFAULT_CONVERSION_GUARD, count: true },
    };
    for (let i = 0; i < 8; i++) expect((await stub.takeAll([guarded]))[0]).toMatchObject({ allowed: true });
    // 2 approvals of 8 starts (25%, above 20%) in one batch with another counter's.
    await stub.approve([range, "svc:country:US", range]);
    expect((await stub.takeAll([guarded]))[0]).toMatchObject({ allowed: true });
    const stored = await rows(stub);
    const approvals = (counter: string) => stored[`c:${counter}`]!.guard!.buckets.reduce((n, b) => n + b.approvals, 0);
    expect([approvals(range), approvals("svc:country:US")]).toEqual([2, 1]);
    // Without them the 9th start of an unapproved range is refused.
    const other = fresh();
    for (let i = 0; i < 8; i++) await other.takeAll([guarded]);
    expect((await other.takeAll([guarded]))[0]).toMatchObject({ allowed: false, guard: { rule: "conversion_guard", mode: "enforce" } });
  });

  it("the alarm drops each counter once its window has passed, and frees the object when none is left", async () => {
    const stub = fresh();
    await stub.takeAll([
      { ...hourly(5), counter: "hour" },
      { ...daily(5), counter: "day" },
    ]);
    // The hourly counter's end passes.
    await expire(stub, "hour");
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(Object.keys(await rows(stub))).toEqual(["c:day"]);
    expect(await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())).toBeGreaterThan(Date.now());
    // A fixed window's counter is kept to the end of its UTC day, no longer.
    const endOfDay = Math.floor(Date.now() / DAY_MS) * DAY_MS + DAY_MS;
    expect((await rows(stub))["c:day"]!.keepUntil).toBe(endOfDay);
    await expire(stub, "day");
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await rows(stub)).toEqual({});
  });
});

describe("ScopeCounter rows written", () => {
  /** Storage writes made by the calls under measure: KV puts and deletes, alarm sets, deleteAll. */
  let writes: string[] = [];
  const restore: (() => void)[] = [];
  beforeAll(async () => {
    await runInDurableObject(fresh(), (_i, state) => {
      const kv = Object.getPrototypeOf(state.storage.kv);
      const storage = Object.getPrototypeOf(state.storage);
      for (const [target, names] of [
        [kv, ["put", "delete"]],
        [storage, ["setAlarm", "deleteAlarm", "deleteAll"]],
      ] as const) {
        for (const name of names) {
          const original = target[name];
          target[name] = function (this: unknown, ...args: unknown[]) {
            writes.push(typeof args[0] === "string" ? `${name} ${args[0]}` : name);
            return original.apply(this, args);
          };
          restore.push(() => (target[name] = original));
        }
      }
    });
  });
  afterAll(() => restore.forEach((undo) => undo()));
  const measure = async (call: () => Promise<unknown>) => {
    writes = [];
    await call();
    return writes;
  };

  it("a start's take writes one row per counter it counts in; refusals and empty releases write none", async () => {
    const stub = namespace.get(namespace.idFromName(`budget:${crypto.randomUUID()}`));
    const guard = DEFAULT_CONVERSION_GUARD;
    const takes = (range: string, limit = 10): CounterTake[] => [
      { ...hourly(limit), counter: `svc:range:${range}`, legacy: `svc:range:${range}`, guard: { service: "svc", scope: { kind: "range", range }, settings: guard, count: true } },
      {
        ...hourly(1000),
        counter: "svc:country:US",
        legacy: "svc:country:US:3",
        guard: { service: "svc", scope: { kind: "country", country: "US", shard: 3, shards: 16 }, settings: guard, count: true },
      },
      { ...daily(1000), counter: "" },
    ];
    // A fresh shard object: the three rows and its first alarm. (The release before wrote 10: a
    // key per bucket, per guard state and per expiry, and a `migrate` key.)
    expect(await measure(() => stub.takeAll(takes("+1415555")))).toEqual(["put c:svc:range:+1415555", "put c:svc:country:US", "put c:", "setAlarm"]);
    // Warm: three rows (the release before: 5 to 8, with the guards' and the expiries' keys).
    expect(await measure(() => stub.takeAll(takes("+1415555")))).toEqual(["put c:svc:range:+1415555", "put c:svc:country:US", "put c:"]);
    expect(await measure(() => stub.takeAll(takes("+1415556")))).toHaveLength(3);
    const taken = await stub.takeAll(takes("+1415557"));
    // A batch of approvals: one row per counter, however many approvals (the alarm is set already).
    expect(await measure(() => stub.approve(["svc:range:+1415557", "svc:country:US", "svc:country:US"]))).toEqual(["put c:svc:range:+1415557", "put c:svc:country:US"]);
    expect(await measure(() => stub.release(taken[0]!.bucket, true, "svc:range:+1415557"))).toEqual(["put c:svc:range:+1415557"]);
    // Nothing left to give back: nothing written.
    expect(await measure(() => stub.release(taken[0]!.bucket, true, "svc:range:+1415557"))).toEqual([]);
    for (let i = 0; i < 2; i++) await stub.takeAll(takes("+1415558", 2));
    expect(await measure(() => stub.takeAll(takes("+1415558", 2)))).toEqual([]);
    // A wake of a current object writes nothing (its migrations only read).
    await evictDurableObject(stub);
    expect(await measure(() => stub.release(-1))).toEqual([]);
  });
});
