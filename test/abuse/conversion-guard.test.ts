// The conversion guard on the destination range (enforce by default, CONVERSION_GUARD_RANGE_MIN_STARTS
// 8, CONVERSION_GUARD_MIN_RATE 0.2): a range with 8 starts in the hour and under 20% approved refuses
// new starts with rule conversion_guard and its figures; approvals reach the counter in the
// isolate's report batch (src/objects/reports.ts); test numbers do not count.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { shardOf } from "../../src/core/policy.ts";
import { REPORT_BATCH_MS } from "../../src/objects/reports.ts";
import { call, fakeTwilioBehaviour, json, latestCode, messagesTo } from "../helpers.ts";

/** A fresh range (the number without its last 4 digits) and numbers in it. */
function freshRange(): (i: number) => string {
  const r = new Uint32Array(2);
  crypto.getRandomValues(r);
  const area = ["206", "303", "512", "617", "919"][r[0]! % 5];
  const exchange = 200 + (r[1]! % 800);
  const base = Math.floor(Math.random() * 900);
  return (i) => `+1${area}${exchange}${String(base + i).padStart(4, "0")}`;
}

const start = (to: string) => call("POST", "/v1/verifications", { to });

describe("conversion guard (range)", () => {
  it("8 unapproved starts in a range refuse the 9th with the figures, and nothing is sent", async () => {
    const number = freshRange();
    for (let i = 0; i < 8; i++) expect((await start(number(i))).status).toBe(201);
    const refused = await start(number(8));
    expect(refused.status).toBe(429);
    const body = await json(refused);
    expect(body.details[0]).toMatchObject({ reason: "limit_reached", rule: "conversion_guard", field: "to" });
    expect(body.message).toMatch(/^to: range \+1\d{6}xxxx had 8 starts and 0 approvals in the last hour \(0%, below 20%\); new starts are refused for 60 minutes$/);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(3500);
    expect(await messagesTo(number(8))).toHaveLength(0);
    // The block holds for the whole range, also for numbers that never started.
    expect((await start(number(9))).status).toBe(429);
    // The console lists the range among the scopes blocked now, with its figures.
    const ADMIN = { authorization: "Bearer ev_dev_admin_token" };
    const { services } = await json(await call("GET", "/v1/services", undefined, ADMIN));
    const builtIn = (services as { id: string; builtIn: boolean }[]).find((s) => s.builtIn)!.id;
    const range = `range ${number(0).slice(0, -4)}xxxx`;
    await expect
      .poll(async () => ((await json(await call("GET", `/v1/services/${builtIn}/insights`, undefined, ADMIN))).blockedScopes as { scope: string }[]).find((s) => s.scope === range))
      .toMatchObject({ mode: "enforce", starts: 8, approvals: 0, minStarts: 8 });
  });

  it("a range that converts is not blocked: approvals reach its counter with the isolate's report batch", async () => {
    const number = freshRange();
    for (let i = 0; i < 8; i++) {
      const to = number(i);
      const started = await json(await start(to));
      if (i < 2) {
        // Two of eight approved: 25%, above the 20% floor.
        expect((await json(await call("POST", "/v1/verifications/check", { verificationId: started.id, code: await latestCode(to) }))).status).toBe("approved");
      }
    }
    // The approvals leave with the isolate's report batch, about a second after the first of them.
    await new Promise((resolve) => setTimeout(resolve, REPORT_BATCH_MS + 300));
    expect((await start(number(8))).status).toBe(201);
  });

  it("a number counts once an hour: one user's new verifications and resends do not dilute the rate", async () => {
    const number = freshRange();
    // The same number verified twice (approve, start again): one start for the guard. (More would
    // meet the range's own cap of 10 sends an hour first.)
    for (let i = 0; i < 2; i++) {
      const started = await start(number(0));
      expect(started.status).toBe(201);
      const { id } = await json(started);
      expect((await json(await call("POST", "/v1/verifications/check", { verificationId: id, code: await latestCode(number(0)) }))).status).toBe("approved");
    }
    // Seven more numbers: the last is judged on 7 numbers, under the minimum of 8 (counting starts,
    // it would meet 8 and be refused).
    for (let i = 1; i <= 7; i++) expect((await start(number(i))).status).toBe(201);
    // The 9th number meets 8 numbers started, at most one approval reported: pumped.
    const refused = await start(number(8));
    expect(refused.status).toBe(429);
    expect((await json(refused)).message).toMatch(/had 8 starts and [01] approvals? in the last hour/);
  });

  it("a send the provider definitely refused gives its count back", async () => {
    const number = freshRange();
    for (let i = 0; i < 7; i++) {
      // 21211: not a valid phone number (a definite refusal: nothing went out).
      await fakeTwilioBehaviour(number(i), { status: 400, body: { code: 21211, message: "invalid", status: 400 }, times: 1 });
      expect((await json(await start(number(i)))).status).toBe("failed");
    }
    // Scope units come back off the response path; give them a moment.
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (let i = 7; i < 15; i++) expect((await start(number(i))).status).toBe(201);
    expect((await start(number(15))).status).toBe(429);
  });

  it("allow-listed numbers skip it; test numbers neither count nor are refused", async () => {
    const number = freshRange();
    for (let i = 0; i < 8; i++) expect((await start(number(i))).status).toBe(201);
    expect((await start(number(8))).status).toBe(429);
    expect((await call("PUT", `/v1/lists/allow/${encodeURIComponent(number(9))}`)).status).toBe(200);
    expect((await start(number(9))).status).toBe(201);
    expect(await messagesTo(number(9))).toHaveLength(1);

    // The dev environment's test number (+15005550100, code 123456): verified again and again, its
    // range's counter (in its shard object) keeps no guard state; it still counts the range's velocity.
    for (let i = 0; i < 3; i++) {
      const started = await json(await start("+15005550100"));
      expect((await json(await call("POST", "/v1/verifications/check", { verificationId: started.id, code: "123456" }))).status).toBe("approved");
    }
    const shard = env.SCOPE_COUNTER.get(env.SCOPE_COUNTER.idFromName(`budget:${shardOf("+1500555", 16)}`));
    const row = await runInDurableObject(shard, (_i, state) => state.storage.kv.get<{ buckets: [number, number][]; guard?: unknown }>("c:default:range:+1500555"));
    expect(row!.buckets.reduce((sum, [, count]) => sum + count, 0)).toBeGreaterThanOrEqual(3);
    expect(row!.guard).toBeUndefined();
  });
});
