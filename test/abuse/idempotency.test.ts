// Idempotency-Key (and X-Request-Id) on every POST: replay, mismatch, scope, restarts.
import { abortAllDurableObjects, createExecutionContext, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { CLIENTS } from "../clients.ts";
import { call, DEV_KEY, fakeTwilioBehaviour, json, latestCode, messagesTo, resetOnce, uniqueNumber } from "../helpers.ts";

for (const client of CLIENTS) {
  describe(`idempotency over ${client.name}`, () => {
    it("a repeat with the same key and body replays the original and sends nothing", async () => {
      const to = uniqueNumber();
      const key = crypto.randomUUID();
      const first = await client.start({ to, externalId: "a" }, { "idempotency-key": key });
      const again = await client.start({ to, externalId: "a" }, { "idempotency-key": key });
      expect(first).toMatchObject({ code: "ok", replayed: false });
      expect(again).toMatchObject({ code: "ok", replayed: true, id: first.id });
      expect(await messagesTo(to)).toHaveLength(1);
    });

    it("the same key with a different body is refused and changes nothing", async () => {
      const to = uniqueNumber();
      const key = crypto.randomUUID();
      await client.start({ to }, { "idempotency-key": key });
      const mismatch = await client.start({ to, codeLength: 8 }, { "idempotency-key": key });
      expect(mismatch.code).toBe("invalid_argument");
      expect(await messagesTo(to)).toHaveLength(1);
    });

    it("the same key for another number is refused: no second SMS, nothing counted", async () => {
      const [first, second] = [uniqueNumber(), uniqueNumber()];
      const key = crypto.randomUUID();
      expect(await client.start({ to: first }, { "idempotency-key": key })).toMatchObject({ code: "ok" });
      expect(await client.start({ to: second }, { "idempotency-key": key })).toMatchObject({ code: "invalid_argument" });
      expect(await messagesTo(second)).toHaveLength(0);
      // The second number's object was never touched: a start without the key goes straight through.
      expect(await client.start({ to: second })).toMatchObject({ code: "ok", replayed: false });
      // And the key still replays the first request.
      expect(await client.start({ to: first }, { "idempotency-key": key })).toMatchObject({ code: "ok", replayed: true });
    });

    it("racing requests with one key and different numbers: exactly one runs, one SMS", async () => {
      const numbers = Array.from({ length: 6 }, uniqueNumber);
      const key = crypto.randomUUID();
      const answers = await Promise.all(numbers.map((to) => client.start({ to }, { "idempotency-key": key })));
      expect(answers.filter((a) => a.code === "ok")).toHaveLength(1);
      expect(answers.filter((a) => a.code === "invalid_argument")).toHaveLength(5);
      const sent = await Promise.all(numbers.map((to) => messagesTo(to)));
      expect(sent.flat()).toHaveLength(1);
    });

    it("X-Request-Id is an alias, and checks replay their answer", async () => {
      const to = uniqueNumber();
      const { id } = await client.start({ to }, { "x-request-id": crypto.randomUUID() });
      const code = await latestCode(to);
      const key = crypto.randomUUID();
      expect(await client.check({ verificationId: id, code }, { "x-request-id": key })).toMatchObject({ status: "approved", replayed: false });
      // A retried check (say, after a lost response) replays "approved" instead of failing.
      expect(await client.check({ verificationId: id, code }, { "x-request-id": key })).toMatchObject({ status: "approved", replayed: true });
      // Without the key the reuse is refused as always.
      expect((await client.check({ verificationId: id, code })).code).toBe("failed_precondition");
    });
  });
}

describe("idempotency keys", () => {
  it("are scoped to the API key", async () => {
    const to = uniqueNumber();
    const key = crypto.randomUUID();
    const a = await call("POST", "/v1/verifications", { to }, { "idempotency-key": key });
    const b = await call("POST", "/v1/verifications", { to }, { "idempotency-key": key, authorization: "Bearer ev_test_second_key_0001" });
    expect(a.status).toBe(201);
    // Not a replay of the other key's request: evaluated afresh (and refused by the cooldown).
    expect(b.status).toBe(429);
    expect(b.headers.get("idempotent-replayed")).toBeNull();
  });

  it("a mismatch answers 422 over REST; a malformed key 400", async () => {
    const to = uniqueNumber();
    const key = crypto.randomUUID();
    await call("POST", "/v1/verifications", { to }, { "idempotency-key": key });
    const mismatch = await call("POST", "/v1/verifications", { to, codeLength: 4 }, { "idempotency-key": key });
    expect(mismatch.status).toBe(422);
    expect(await json(mismatch)).toMatchObject({ details: [{ reason: "idempotency_key_reused", field: "Idempotency-Key" }] });
    // Another number under the same key: the same 422 and reason, and the message names the header.
    const other = await call("POST", "/v1/verifications", { to: uniqueNumber() }, { "idempotency-key": key });
    expect(other.status).toBe(422);
    expect(await json(other)).toMatchObject({
      code: "invalid_argument",
      message: expect.stringContaining("Idempotency-Key"),
      details: [{ reason: "idempotency_key_reused", field: "Idempotency-Key" }],
    });
    const malformed = await call("POST", "/v1/verifications", { to }, { "idempotency-key": "has spaces" });
    expect(malformed.status).toBe(400);
  });

  it("refused requests are not stored: a retry after the limit passes runs", async () => {
    const to = uniqueNumber();
    await call("POST", "/v1/verifications", { to });
    const key = crypto.randomUUID();
    expect((await call("POST", "/v1/verifications", { to, codeLength: 7 }, { "idempotency-key": key })).status).toBe(429);
    const rows = await runInDurableObject(env.PHONE_VERIFICATION.get(env.PHONE_VERIFICATION.idFromName(`default:${to}`)), (_i, state) =>
      [...state.storage.kv.list({ prefix: "i:" })].length,
    );
    expect(rows).toBe(0);
  });

  it("a start in flight when its object restarts answers 2xx or 4xx, never 500 (found by the soak)", async () => {
    const to = uniqueNumber();
    await fakeTwilioBehaviour(to, { delayMs: 1500, times: 1 });
    const pending = call("POST", "/v1/verifications", { to });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await abortAllDurableObjects();
    const response = await pending;
    // The repeated start answers with the verification the first try made: its code is the one sent.
    expect(response.status, await response.clone().text()).toBe(201);
    const { id } = (await response.json()) as { id: string };
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await messagesTo(to)).toHaveLength(1);
    const code = await latestCode(to);
    expect(await json(await call("POST", "/v1/verifications/check", { verificationId: id, code }))).toMatchObject({ status: "approved" });
  });

  it("a key's claim cut by an object reset is made again: 201, one SMS, never 500 (found by the soak)", async () => {
    const to = uniqueNumber();
    const key = crypto.randomUUID();
    const resetEnv = { ...env, IDEMPOTENCY_KEYS: resetOnce("IDEMPOTENCY_KEYS", "claim") };
    const request = () =>
      new Request("http://edge-verify.test/v1/verifications", {
        method: "POST",
        headers: { authorization: `Bearer ${DEV_KEY}`, "content-type": "application/json", "idempotency-key": key },
        body: JSON.stringify({ to }),
      });
    const first = await createApp().fetch(request(), resetEnv, createExecutionContext());
    expect(first.status, await first.clone().text()).toBe(201);
    expect(await messagesTo(to)).toHaveLength(1);
    const retry = await call("POST", "/v1/verifications", { to }, { "idempotency-key": key });
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
  });

  it("a restart mid-flow loses nothing: the reservation, counters and key are in storage", async () => {
    const to = uniqueNumber();
    const key = crypto.randomUUID();
    await fakeTwilioBehaviour(to, { delayMs: 1500, times: 1 });
    const pending = call("POST", "/v1/verifications", { to }, { "idempotency-key": key });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await abortAllDurableObjects();
    // The Worker repeats its call on a fresh stub; the object answers with what the first try
    // made (the reservation was in storage before the send) and sends nothing more.
    const first = await pending;
    expect(first.status).toBe(201);
    const { id } = (await first.json()) as { id: string };
    const stub = env.PHONE_VERIFICATION.get(env.PHONE_VERIFICATION.idFromName(`default:${to}`));
    const stored = await runInDurableObject(stub, (_i, state) => ({
      verifications: [...state.storage.kv.list<{ status: string; sendAttempts: number }>({ prefix: "v:" })].map(([, v]) => ({ status: v.status, sendAttempts: v.sendAttempts })),
      counters: state.storage.kv.get<{ counters: { sendTimes: number[] } }>("state")!.counters,
      keys: [...state.storage.kv.list<{ state: string }>({ prefix: "i:" })].map(([, k]) => ({ state: k.state })),
    }));
    expect(stored.verifications).toEqual([{ status: "pending", sendAttempts: 1 }]);
    expect(stored.counters.sendTimes).toHaveLength(1);
    expect(stored.keys).toEqual([{ state: "done" }]);
    // A client retry with the same key replays that answer.
    const retry = await call("POST", "/v1/verifications", { to }, { "idempotency-key": key });
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(((await retry.json()) as { id: string }).id).toBe(id);
    // Nor does a start without the key: the send counted before the provider call.
    expect((await call("POST", "/v1/verifications", { to })).status).toBe(429);
  });
});
