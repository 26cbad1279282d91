// The Insights object's conversion-guard rows: listed while in force, gone once they end, and an
// object holding nothing else frees its storage.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { GuardBlockEvent } from "../../src/core/insights.ts";

describe("Insights: scopes blocked now", () => {
  it("lists a verdict while in force; the alarm deletes it after, and frees an otherwise empty object", async () => {
    const stub = env.INSIGHTS.get(env.INSIGHTS.idFromName(`guard-test:${crypto.randomUUID()}`));
    const now = Date.now();
    const block = (scope: string, blockedUntil: number): GuardBlockEvent => ({ scope, mode: "enforce", starts: 8, approvals: 0, minStarts: 8, blockedUntil, at: now });
    await stub.recordGuardBlock(block("range +1206555xxxx", now + 3_600_000));
    await stub.recordGuardBlock(block("range +1303555xxxx", now + 200));
    expect((await stub.aggregates({ fromDay: "2000-01-01" })).guardBlocks?.map((b) => b.scope)).toEqual(["range +1206555xxxx", "range +1303555xxxx"]);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect((await stub.aggregates({ fromDay: "2000-01-01" })).guardBlocks?.map((b) => b.scope)).toEqual(["range +1206555xxxx"]);
    // The block in force keeps its row through a cleanup run; the ended one goes.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await runInDurableObject(stub, (_i, state) => [...state.storage.kv.list()].map(([key]) => key))).toEqual(["guard:range +1206555xxxx"]);
    // Once it has ended too, nothing is left.
    await runInDurableObject(stub, (_i, state) => state.storage.kv.put("guard:range +1206555xxxx", block("range +1206555xxxx", now - 1)));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await runInDurableObject(stub, async (_i, state) => ({ keys: [...state.storage.kv.list()].length, alarm: await state.storage.getAlarm() }))).toEqual({ keys: 0, alarm: null });
  });
});
