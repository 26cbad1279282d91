// The isolate's report batches: one RPC per target object per window, whatever the number of
// flows; failed sends tried again, then dropped; a full batch sent at once. Fake namespaces record
// the calls a real Insights or ScopeCounter object would receive.
import { describe, expect, it } from "vitest";
import type { InsightEvent } from "../../src/core/insights.ts";
import { shardOf } from "../../src/core/policy.ts";
import { INSIGHTS_SHARDS } from "../../src/objects/insights.ts";
import { ReportBatcher } from "../../src/objects/reports.ts";

interface Call {
  object: string;
  method: "record" | "approve";
  items: unknown[];
}

function fakeEnv(options: { failTimes?: number } = {}) {
  const calls: Call[] = [];
  let failures = options.failTimes ?? 0;
  const namespace = (method: Call["method"]) => ({
    idFromName: (name: string) => ({ name, toString: () => name }),
    get: (id: { name: string }) => ({
      [method]: async (items: unknown[]) => {
        if (failures > 0) {
          failures--;
          throw new Error("object unavailable");
        }
        calls.push({ object: id.name, method, items });
      },
    }),
  });
  return { env: { INSIGHTS: namespace("record"), SCOPE_COUNTER: namespace("approve") } as unknown as Env, calls };
}

const kept: Promise<unknown>[] = [];
const keepAlive = (promise: Promise<unknown>) => void kept.push(promise);
const settle = async () => {
  while (kept.length > 0) await kept.shift();
};
const event = (id: string): InsightEvent => ({ kind: "lookup", at: 0, source: id, outcome: "fetched" });

/** `count` numbers whose events go to the same Insights shard of `service`. */
function numbersOfOneShard(count: number): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < count; i++) {
    const to = `+1415555${String(1000 + i)}`;
    if (shardOf(to, INSIGHTS_SHARDS) === shardOf("+14155551000", INSIGHTS_SHARDS)) out.push(to);
  }
  return out;
}

describe("report batches", () => {
  it("gathers many numbers' events into one call per Insights shard, and approvals into one call per counter object", async () => {
    const { env, calls } = fakeEnv();
    const batcher = new ReportBatcher({ batchMs: 20, retryMs: 5 });
    const numbers = numbersOfOneShard(5);
    for (const to of numbers) batcher.insights(env, keepAlive, "svc", to, [event(to)]);
    batcher.approvals(env, keepAlive, ["budget:3#svc:range:+1415555", "budget:3#svc:country:US", "budget:7#svc:range:+1212555", "legacy-object"]);
    expect(calls).toEqual([]); // nothing leaves before the window ends
    await settle();
    const records = calls.filter((c) => c.method === "record");
    expect(records).toHaveLength(1);
    expect(records[0]!.object).toBe(`svc:${shardOf(numbers[0]!, INSIGHTS_SHARDS)}`);
    expect(records[0]!.items).toHaveLength(5);
    const approvals = calls.filter((c) => c.method === "approve").sort((a, b) => (a.object < b.object ? -1 : 1));
    expect(approvals).toEqual([
      { object: "budget:3", method: "approve", items: ["svc:range:+1415555", "svc:country:US"] },
      { object: "budget:7", method: "approve", items: ["svc:range:+1212555"] },
      // A reference without "#" is an object of the previous release, whose own counter it is.
      { object: "legacy-object", method: "approve", items: [""] },
    ]);
  });

  it("keeps separate services apart", async () => {
    const { env, calls } = fakeEnv();
    const batcher = new ReportBatcher({ batchMs: 10, retryMs: 5 });
    batcher.insights(env, keepAlive, "a", "+14155551000", [event("1")]);
    batcher.insights(env, keepAlive, "b", "+14155551000", [event("2")]);
    await settle();
    expect(calls.map((c) => c.object).sort()).toEqual([`a:${shardOf("+14155551000", INSIGHTS_SHARDS)}`, `b:${shardOf("+14155551000", INSIGHTS_SHARDS)}`]);
  });

  it("tries a failed send again, and loses nothing when a retry succeeds", async () => {
    const { env, calls } = fakeEnv({ failTimes: 2 });
    const batcher = new ReportBatcher({ batchMs: 10, retryMs: 5 });
    batcher.insights(env, keepAlive, "svc", "+14155551000", [event("1"), event("2")]);
    await settle();
    expect(calls).toHaveLength(1);
    expect(calls[0]!.items).toHaveLength(2);
  });

  it("drops a batch after three failed sends instead of holding it forever", async () => {
    const { env, calls } = fakeEnv({ failTimes: 3 });
    const batcher = new ReportBatcher({ batchMs: 10, retryMs: 5 });
    batcher.approvals(env, keepAlive, ["budget:1#svc:range:+1415555"]);
    await settle();
    expect(calls).toEqual([]);
    // The batcher is usable afterwards.
    batcher.approvals(env, keepAlive, ["budget:1#svc:range:+1415555"]);
    await settle();
    expect(calls).toHaveLength(1);
  });

  it("sends a full batch at once, without waiting for the window", async () => {
    const { env, calls } = fakeEnv();
    const batcher = new ReportBatcher({ batchMs: 60_000, retryMs: 5 });
    const events = Array.from({ length: 500 }, (_v, i) => event(String(i)));
    batcher.insights(env, keepAlive, "svc", "+14155551000", events);
    await kept.pop();
    expect(calls).toHaveLength(1);
    expect(calls[0]!.items).toHaveLength(500);
    await batcher.flush(env);
    kept.length = 0; // the window's timer promise would wait a minute; the flush above cleared its timer
  });

  it("flush sends what is queued now (an erasure reports counts before forgetting rows)", async () => {
    const { env, calls } = fakeEnv();
    const batcher = new ReportBatcher({ batchMs: 60_000, retryMs: 5 });
    batcher.insights(env, keepAlive, "svc", "+14155551000", [event("1")]);
    await batcher.flush(env);
    expect(calls).toHaveLength(1);
    kept.length = 0;
  });
});
