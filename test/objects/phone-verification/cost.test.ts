// What one flow (start on a new number → right-code check) costs the Durable Objects, counted by
// instrumentation: RPC methods run, storage operations, commits, alarm runs. The budgets are the
// issue's targets (≤ 5 RPCs and ≤ 5 commits on the request path, no write on a read-only wake,
// ≤ 2 alarm runs per number over its life); a change that adds a round trip fails here.
import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Insights } from "../../../src/objects/insights.ts";
import { PhoneVerification } from "../../../src/objects/phone-verification/phone-verification.ts";
import { ScopeCounter } from "../../../src/objects/scope-counter.ts";
import { call, json, latestCode, storedEntries, timeTravel, uniqueNumber } from "../../helpers.ts";

interface Counts {
  rpcs: string[];
  reads: number;
  writes: number;
  ddl: number;
  commits: number;
  alarms: number;
  /** Ids of the objects whose alarm ran. */
  alarmed: string[];
}

const counts: Counts = { rpcs: [], reads: 0, writes: 0, ddl: 0, commits: 0, alarms: 0, alarmed: [] };
const restore: (() => void)[] = [];
// Storage written in the current synchronous step, per object: workerd commits the implicit
// transaction when the step ends (the next event-loop turn), so each step with writes is a commit.
const dirty = new Set<object>();
/** Writes, DDL and commits per storage object (kv, sql and storage of one object are three owners). */
const byOwner = new Map<object, { writes: number; ddl: number; commits: number }>();
function owner(of: object) {
  let entry = byOwner.get(of);
  if (!entry) byOwner.set(of, (entry = { writes: 0, ddl: 0, commits: 0 }));
  return entry;
}

function patch<T extends object>(target: T, name: string, wrap: (original: (...args: any[]) => any) => (...args: any[]) => any): void {
  const original = (target as any)[name] as (...args: any[]) => any;
  (target as any)[name] = wrap(original);
  restore.push(() => ((target as any)[name] = original));
}

// kv, sql and storage of one object share its database: a step's writes to any of them are one
// commit. The object is told apart by its storage's `sql` (stable per object).
/** kv and sql objects → the storage they came from (recorded by the patched getters). */
const storageOf = new WeakMap<object, object>();

function wrote(api: object, ddl = false): void {
  const of = storageOf.get(api) ?? api;
  counts.writes++;
  const entry = owner(of);
  entry.writes++;
  if (ddl) {
    counts.ddl++;
    entry.ddl++;
  }
  if (dirty.has(of)) return;
  dirty.add(of);
  counts.commits++;
  entry.commits++;
}

/**
 * A step ends when its object waits on I/O: an RPC, a fetch, the end of a request. Every such
 * moment closes every open step (of any object), so the count is an upper bound on commits.
 */
function boundary(): void {
  dirty.clear();
}

function reset(): void {
  Object.assign(counts, { rpcs: [], reads: 0, writes: 0, ddl: 0, commits: 0, alarms: 0, alarmed: [] });
  byOwner.clear();
}

beforeAll(async () => {
  for (const [cls, methods] of [
    [PhoneVerification, ["start", "check", "get", "cancel", "recordDelivery"]],
    [ScopeCounter, ["take", "release"]],
    [Insights, ["record", "recordBlocks", "forget"]],
  ] as const) {
    for (const method of methods) {
      patch(cls.prototype, method, (original) =>
        function (this: unknown, ...args: unknown[]) {
          counts.rpcs.push(`${cls.name}.${method}`);
          boundary();
          const result = original.apply(this, args) as Promise<unknown>;
          return result.finally(boundary);
        },
      );
    }
  }
  patch(PhoneVerification.prototype, "alarm", (original) =>
    function (this: { ctx: DurableObjectState }, ...args: unknown[]) {
      counts.alarms++;
      counts.alarmed.push(this.ctx.id.toString());
      return original.apply(this, args);
    },
  );
  patch(globalThis, "fetch", (original) => function (this: unknown, ...args: unknown[]) {
    return (original.apply(this, args) as Promise<unknown>).finally(boundary);
  });
  // The storage APIs' prototypes, reached through any object's state.
  const probe = env.PHONE_VERIFICATION.get(env.PHONE_VERIFICATION.idFromName("cost-probe"));
  await runInDurableObject(probe, (_i, state) => {
    const kv = Object.getPrototypeOf(state.storage.kv);
    const sql = Object.getPrototypeOf(state.storage.sql);
    const storage = Object.getPrototypeOf(state.storage);
    patch(kv, "get", (original) => function (this: object, ...args: unknown[]) { counts.reads++; return original.apply(this, args); });
    patch(kv, "list", (original) => function (this: object, ...args: unknown[]) { counts.reads++; return original.apply(this, args); });
    for (const name of ["put", "delete"]) patch(kv, name, (original) => function (this: object, ...args: unknown[]) { wrote(this); return original.apply(this, args); });
    patch(sql, "exec", (original) =>
      function (this: object, query: string, ...args: unknown[]) {
        const verb = query.trim().split(/\s+/)[0]!.toUpperCase();
        if (["CREATE", "ALTER", "DROP"].includes(verb)) {
          wrote(this, true);
        } else if (verb === "SELECT") counts.reads++;
        else wrote(this);
        return original.apply(this, [query, ...args]);
      },
    );
    // kv and sql are own properties of an object's storage: a storage call links them to it, so
    // writes to any of the three in one step count as the one commit they are.
    const link = (of: DurableObjectStorage) => {
      for (const api of [of.kv, of.sql]) {
        if (storageOf.has(api)) continue;
        storageOf.set(api, of);
        if (dirty.has(api)) dirty.add(of);
      }
    };
    patch(storage, "getAlarm", (original) => function (this: DurableObjectStorage, ...args: unknown[]) { link(this); return original.apply(this, args); });
    for (const name of ["setAlarm", "deleteAlarm", "deleteAll"]) {
      patch(storage, name, (original) => function (this: DurableObjectStorage, ...args: unknown[]) { link(this); wrote(this); return original.apply(this, args); });
    }
  });
});

afterAll(() => {
  for (const undo of restore.reverse()) undo();
});

describe("the cost of one verification flow", () => {
  it("start on a new number + right-code check: ≤ 5 RPCs, ≤ 5 commits, ≤ 2 alarm runs over its life", async () => {
    const to = uniqueNumber();
    // Warm: the isolate's caches, the service registry and this range's scope counters exist.
    const neighbour = `${to.slice(0, -4)}${String((Number(to.slice(-4)) + 1) % 10_000).padStart(4, "0")}`;
    expect((await call("POST", "/v1/verifications", { to: neighbour })).status).toBe(201);
    await new Promise((resolve) => setTimeout(resolve, 50));
    reset();
    const started = await json(await call("POST", "/v1/verifications", { to }));
    boundary();
    const code = await latestCode(to);
    const start = { ...counts, rpcs: [...counts.rpcs] };
    const startOwners = new Map(byOwner);
    reset();
    expect(await json(await call("POST", "/v1/verifications/check", { verificationId: started.id, code }))).toMatchObject({ status: "approved" });
    boundary();
    const check = { ...counts, rpcs: [...counts.rpcs] };
    const stubOfNumber = env.PHONE_VERIFICATION.get(env.PHONE_VERIFICATION.idFromName(`default:${to}`));
    const numberStorage = await runInDurableObject(stubOfNumber, (_i, state) => state.storage);
    const own = [startOwners.get(numberStorage), byOwner.get(numberStorage), startOwners.get(numberStorage.kv), byOwner.get(numberStorage.kv)].map((c) => c ?? { writes: 0, ddl: 0, commits: 0 });
    const numberObject = own.reduce((a, b) => ({ writes: a.writes + b.writes, ddl: a.ddl + b.ddl, commits: a.commits + b.commits }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    console.log("cost: start", JSON.stringify(start), "check", JSON.stringify(check), "number's object", JSON.stringify(numberObject));

    expect(start.rpcs.sort()).toEqual(["PhoneVerification.start", "ScopeCounter.take", "ScopeCounter.take", "ScopeCounter.take"]);
    expect(check.rpcs).toEqual(["PhoneVerification.check"]);
    expect(start.rpcs.length + check.rpcs.length).toBeLessThanOrEqual(5);
    // No object creates a table (the number's and the scope counters' records are KV keys). The
    // number's object commits the reservation, the send's outcome and the check; each scope counter its take.
    expect(start.ddl + check.ddl).toBe(0);
    expect(numberObject).toMatchObject({ ddl: 0, commits: 3 });
    expect(start.commits + check.commits - numberObject.commits).toBeLessThanOrEqual(3);

    // Over its life: the insights report (≈2 s later, a real alarm) and the retention alarm.
    reset();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const stub = env.PHONE_VERIFICATION.get(env.PHONE_VERIFICATION.idFromName(`default:${to}`));
    const ours = () => counts.alarmed.filter((id) => id === stub.id.toString()).length;
    expect(ours()).toBe(1);
    expect(counts.rpcs).toContain("Insights.record");
    await timeTravel(to, 8 * 86_400_000);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(ours()).toBe(2);
    expect(await runInDurableObject(stub, (_i, state) => storedEntries(state))).toEqual([]);
    expect(await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())).toBeNull();
  });

  it("a read-only wake (GET after eviction) writes nothing", async () => {
    const to = uniqueNumber();
    const started = await json(await call("POST", "/v1/verifications", { to }));
    const stub = env.PHONE_VERIFICATION.get(env.PHONE_VERIFICATION.idFromName(`default:${to}`));
    await new Promise((resolve) => setTimeout(resolve, 2_500)); // the insights report went
    await evictDurableObject(stub);
    reset();
    expect((await call("GET", `/v1/verifications/${started.id}`)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(counts.rpcs).toEqual(["PhoneVerification.get"]);
    expect({ writes: counts.writes, ddl: counts.ddl, commits: counts.commits }).toEqual({ writes: 0, ddl: 0, commits: 0 });
  });
});
