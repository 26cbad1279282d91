// What one flow (start on a new number → right-code check) costs the Durable Objects, counted by
// instrumentation: RPC methods run, storage operations, commits, alarm runs. The budgets are the
// issue's targets (≤ 5 RPCs and ≤ 5 commits on the request path, no write on a read-only wake,
// ≤ 2 alarm runs per number over its life); a change that adds a round trip fails here.
// Off the request path, counted apart: the reports a call leaves behind once it answered (the
// number's object reports insights and guard approvals in ctx.waitUntil): RPCs to report-only
// methods and the work inside them, and an object's writes while none of its methods runs.
import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Insights } from "../../../src/objects/insights.ts";
import { PhoneVerification } from "../../../src/objects/phone-verification/phone-verification.ts";
import { ScopeCounter } from "../../../src/objects/scope-counter.ts";
import { REPORT_BATCH_MS } from "../../../src/objects/reports.ts";
import { call, json, latestCode, storedEntries, timeTravel, uniqueNumber } from "../../helpers.ts";

interface Counts {
  rpcs: string[];
  /** Off the request path: report RPCs, and writes and commits made after the call answered. */
  offPath: { rpcs: string[]; writes: number; commits: number; writesByClass: Record<string, number> };
  reads: number;
  writes: number;
  /** Rows written (KV puts and deletes, SQL writes, alarm sets) per Durable Object class. */
  writesByClass: Record<string, number>;
  ddl: number;
  commits: number;
  alarms: number;
  /** Ids of the objects whose alarm ran. */
  alarmed: string[];
}

const counts: Counts = { rpcs: [], offPath: { rpcs: [], writes: 0, commits: 0, writesByClass: {} }, reads: 0, writes: 0, writesByClass: {}, ddl: 0, commits: 0, alarms: 0, alarmed: [] };
/** Report-only methods: called after the call that caused them answered. */
const OFF_PATH = new Set(["Insights.record", "Insights.recordBlocks", "Insights.recordGuardBlock", "ScopeCounter.approve"]);
/** Storage of an object → its methods running now (all, and report-only ones). */
const running = new Map<object, { all: number; off: number }>();
const offPathNow = (of: object) => {
  const r = running.get(of);
  return !r || r.all === 0 || r.off > 0;
};
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
/** An object's storage → its class name (recorded when one of its methods runs). */
const classOf = new WeakMap<object, string>();
const tally = (byClass: Record<string, number>, of: object) => {
  const name = classOf.get(of) ?? "other";
  byClass[name] = (byClass[name] ?? 0) + 1;
};

function wrote(api: object, ddl = false): void {
  const of = storageOf.get(api) ?? api;
  if (offPathNow(of)) {
    counts.offPath.writes++;
    tally(counts.offPath.writesByClass, of);
    if (dirty.has(of)) return;
    dirty.add(of);
    counts.offPath.commits++;
    return;
  }
  counts.writes++;
  tally(counts.writesByClass, of);
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
  Object.assign(counts, { rpcs: [], offPath: { rpcs: [], writes: 0, commits: 0, writesByClass: {} }, reads: 0, writes: 0, writesByClass: {}, ddl: 0, commits: 0, alarms: 0, alarmed: [] });
  byOwner.clear();
}

beforeAll(async () => {
  for (const [cls, methods] of [
    [PhoneVerification, ["start", "check", "get", "cancel", "recordDelivery", "alarm"]],
    [ScopeCounter, ["takeAll", "release", "approve", "handOver"]],
    [Insights, ["record", "recordBlocks", "recordGuardBlock", "forget"]],
  ] as const) {
    for (const method of methods) {
      patch(cls.prototype, method, (original) =>
        function (this: { ctx: DurableObjectState }, ...args: unknown[]) {
          const name = `${cls.name}.${method}`;
          if (method === "alarm") {
            counts.alarms++;
            counts.alarmed.push(this.ctx.id.toString());
          } else if (OFF_PATH.has(name)) counts.offPath.rpcs.push(name);
          else counts.rpcs.push(name);
          boundary();
          // While the method runs, its object's writes are its work (kv and sql belong to its storage).
          for (const api of [this.ctx.storage.kv, this.ctx.storage.sql]) storageOf.set(api, this.ctx.storage);
          classOf.set(this.ctx.storage, cls.name);
          const r = running.get(this.ctx.storage) ?? { all: 0, off: 0 };
          running.set(this.ctx.storage, r);
          const off = OFF_PATH.has(name) ? 1 : 0;
          r.all++;
          r.off += off;
          const result = original.apply(this, args) as Promise<unknown>;
          return result.finally(() => {
            boundary();
            r.all--;
            r.off -= off;
          });
        },
      );
    }
  }
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
  it("start on a new number + right-code check: 3 RPCs and 3 commits (budget 5 and 5), 1 alarm run over its life (budget 2)", async () => {
    const to = uniqueNumber();
    // Warm: the isolate's caches, the service registry and this range's scope counters exist.
    const neighbour = `${to.slice(0, -4)}${String((Number(to.slice(-4)) + 1) % 10_000).padStart(4, "0")}`;
    expect((await call("POST", "/v1/verifications", { to: neighbour })).status).toBe(201);
    // The warm-up's reports leave with their batch; the flow below opens a batch of its own.
    await new Promise((resolve) => setTimeout(resolve, REPORT_BATCH_MS + 200));
    reset();
    const started = await json(await call("POST", "/v1/verifications", { to }));
    boundary();
    const code = await latestCode(to);
    // The reports the start leaves behind go right after it answers.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const start = structuredClone(counts);
    const startOwners = new Map(byOwner);
    reset();
    expect(await json(await call("POST", "/v1/verifications/check", { verificationId: started.id, code }))).toMatchObject({ status: "approved" });
    boundary();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const check = structuredClone(counts);
    const stubOfNumber = env.PHONE_VERIFICATION.get(env.PHONE_VERIFICATION.idFromName(`default:${to}`));
    const numberStorage = await runInDurableObject(stubOfNumber, (_i, state) => state.storage);
    const own = [startOwners.get(numberStorage), byOwner.get(numberStorage), startOwners.get(numberStorage.kv), byOwner.get(numberStorage.kv)].map((c) => c ?? { writes: 0, ddl: 0, commits: 0 });
    const numberObject = own.reduce((a, b) => ({ writes: a.writes + b.writes, ddl: a.ddl + b.ddl, commits: a.commits + b.commits }));
    console.log("cost: start", JSON.stringify(start), "check", JSON.stringify(check), "number's object", JSON.stringify(numberObject));

    // On the request path: the start's RPC and one take in its shard object (the range, country and
    // budget counters together), then the check's RPC.
    expect(start.rpcs.sort()).toEqual(["PhoneVerification.start", "ScopeCounter.takeAll"]);
    expect(check.rpcs).toEqual(["PhoneVerification.check"]);
    expect(start.rpcs.length + check.rpcs.length).toBeLessThanOrEqual(5);
    // No object creates a table (the number's and the scope counters' records are KV keys). The
    // number's object commits the reservation and the check (the send's outcome rides on the
    // report after the start); the shard object commits the take.
    expect(start.ddl + check.ddl).toBe(0);
    expect(numberObject).toMatchObject({ ddl: 0, commits: 2 });
    expect(start.commits + check.commits).toBe(3);
    // Off the path, right after the start: the send's outcome, written in a step of its own once
    // the answer left (one write, one commit). No report goes with either call...
    expect(start.offPath).toEqual({ rpcs: [], writes: 1, commits: 1, writesByClass: { PhoneVerification: 1 } });
    expect(check.offPath).toEqual({ rpcs: [], writes: 0, commits: 0, writesByClass: {} });
    // The shard object's take writes one row per counter: range, country, budget (its alarm is set
    // already). The release before wrote a key per bucket, guard state and expiry: 5 to 10.
    expect(start.writesByClass.ScopeCounter).toBe(3);
    expect(await runInDurableObject(stubOfNumber, (_i, state) => state.storage.kv.get<{ messageId: string }>(`v:${started.id}`)!.messageId)).toMatch(/^SM/);
    // ...they wait in the isolate's batch and leave together: the whole flow's insight events in
    // one Insights.record, the approval in one ScopeCounter.approve, shared with every other flow
    // of that second (src/objects/reports.ts).
    await new Promise((resolve) => setTimeout(resolve, REPORT_BATCH_MS + 200));
    expect(counts.offPath.rpcs.sort()).toEqual(["Insights.record", "ScopeCounter.approve"]);
    // The approval: one row per guarded counter (range, country); the release before wrote 4 or 5.
    expect(counts.offPath.writesByClass.ScopeCounter).toBe(2);
    console.log("cost: reports after the flow", JSON.stringify(counts.offPath));

    // Over its life: no alarm until retention (the reports went with the calls), then one.
    reset();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const stub = env.PHONE_VERIFICATION.get(env.PHONE_VERIFICATION.idFromName(`default:${to}`));
    const ours = () => counts.alarmed.filter((id) => id === stub.id.toString()).length;
    expect(ours()).toBe(0);
    await timeTravel(to, 8 * 86_400_000);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(ours()).toBe(1);
    expect(await runInDurableObject(stub, (_i, state) => storedEntries(state))).toEqual([]);
    expect(await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())).toBeNull();
  });

  it("an unchecked verification: its expiry and its retention are the number's only alarms", async () => {
    const to = uniqueNumber();
    const started = await json(await call("POST", "/v1/verifications", { to, timeoutSeconds: 60 }));
    const stub = env.PHONE_VERIFICATION.get(env.PHONE_VERIFICATION.idFromName(`default:${to}`));
    await new Promise((resolve) => setTimeout(resolve, 200));
    reset();
    await timeTravel(to, 61_000);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await json(await call("GET", `/v1/verifications/${started.id}`))).status).toBe("expired");
    await timeTravel(to, 8 * 86_400_000);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(counts.alarmed.filter((id) => id === stub.id.toString())).toHaveLength(2);
    expect(await runInDurableObject(stub, (_i, state) => storedEntries(state))).toEqual([]);
  });

  it("a read-only wake (GET after eviction) writes nothing", async () => {
    const to = uniqueNumber();
    const started = await json(await call("POST", "/v1/verifications", { to }));
    const stub = env.PHONE_VERIFICATION.get(env.PHONE_VERIFICATION.idFromName(`default:${to}`));
    await new Promise((resolve) => setTimeout(resolve, 200)); // the report after the start went
    await evictDurableObject(stub);
    reset();
    expect((await call("GET", `/v1/verifications/${started.id}`)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(counts.rpcs).toEqual(["PhoneVerification.get"]);
    expect({ writes: counts.writes, ddl: counts.ddl, commits: counts.commits }).toEqual({ writes: 0, ddl: 0, commits: 0 });
  });
});
