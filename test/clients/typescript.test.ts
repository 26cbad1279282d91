// The typed TypeScript client (clients/typescript) against the running Worker in workerd: its only
// fake is the network itself (an injected fetch that forwards to the Worker, or fails on purpose).
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createVerifyClient, VerifyClientError, type RetryOptions } from "../../clients/typescript/src/index.ts";
import { DEV_KEY, latestCode, messagesTo, timeTravel, uniqueNumber, wrongCode } from "../helpers.ts";

interface Attempt {
  method: string;
  idempotencyKey: string | null;
  status: number | "network_error";
  replayed: boolean;
}

/**
 * A fetch into the Worker that records every attempt. `fail(n)` decides whether attempt n (1-based)
 * loses its answer after the Worker processed it, as a dropped connection would.
 */
function workerFetch(fail: (n: number) => boolean = () => false) {
  const attempts: Attempt[] = [];
  // workerd rejects redirect: "error", which connect-web sets; the Worker never redirects anyway.
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const request = new Request(input as RequestInfo, { ...init, redirect: "manual" });
    const response = await exports.default.fetch(request);
    const attempt: Attempt = {
      method: new URL(request.url).pathname.split("/").pop()!,
      idempotencyKey: request.headers.get("idempotency-key"),
      status: response.status,
      replayed: response.headers.get("idempotent-replayed") === "true",
    };
    attempts.push(attempt);
    if (fail(attempts.length)) {
      attempt.status = "network_error";
      await response.arrayBuffer();
      throw new TypeError("fetch failed: connection reset");
    }
    return response;
  };
  return { fetch, attempts };
}

function client(fetch: typeof globalThis.fetch, retry?: RetryOptions | false, apiKey = DEV_KEY) {
  return createVerifyClient({ baseUrl: "http://edge-verify.test", apiKey, fetch, retry });
}

async function rejection(promise: Promise<unknown>): Promise<VerifyClientError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(VerifyClientError);
    return error as VerifyClientError;
  }
  throw new Error("expected the call to fail");
}

describe("TypeScript client (clients/typescript)", () => {
  it("start → wrong code → right code, plain objects in and out", async () => {
    const { fetch } = workerFetch();
    const verify = client(fetch);
    const to = uniqueNumber();
    const started = await verify.start({ to, serviceName: "Acme", codeLength: 6, locale: "en" });
    expect(started).toMatchObject({ to, status: "pending" });
    expect(started.id).toMatch(/^ve_/);
    expect(JSON.parse(JSON.stringify(started))).toEqual(started); // plain data: no bigint, no classes
    const code = await latestCode(to);
    expect(code).toHaveLength(6);

    const wrong = await verify.check({ verificationId: started.id, code: wrongCode(code) });
    expect(wrong.status).toBe("invalid");
    expect(wrong.verification.status).toBe("pending");

    const right = await verify.check({ to, code });
    expect(right.status).toBe("approved");
    expect(right.verification).toMatchObject({ id: started.id, to, status: "approved" });
    expect((await verify.get(started.id)).status).toBe("approved");

    const again = await rejection(verify.check({ verificationId: started.id, code }));
    expect(again).toMatchObject({ code: "failed_precondition", reason: "already_approved" });
  });

  it("cancel, and a fresh idempotency key per logical call", async () => {
    const { fetch, attempts } = workerFetch();
    const verify = client(fetch);
    const to = uniqueNumber();
    const started = await verify.start({ to });
    const canceled = await verify.cancel(started.id);
    expect(canceled).toMatchObject({ id: started.id, status: "canceled" });
    expect((await verify.check({ verificationId: started.id, code: await latestCode(to) })).status).toBe("canceled");
    await verify.get(started.id);

    const keys = attempts.map((a) => a.idempotencyKey);
    expect(keys.slice(0, 3).every((k) => k !== null)).toBe(true);
    expect(new Set(keys.slice(0, 3)).size).toBe(3);
    expect(keys[3]).toBeNull(); // a read carries no key
    expect(attempts.every((a) => !a.replayed)).toBe(true);
  });

  it("a cooldown refusal is a typed error with retryAfterSeconds; with a cap of 0 it is not retried", async () => {
    const { fetch, attempts } = workerFetch();
    const slept: number[] = [];
    const verify = client(fetch, { maxRetryAfterSeconds: 0, sleep: async (ms) => void slept.push(ms) });
    const to = uniqueNumber();
    await verify.start({ to });
    const error = await rejection(verify.start({ to }));
    expect(error).toMatchObject({ code: "resource_exhausted", reason: "resend_too_soon", rule: "resend_cooldown" });
    expect(error.retryAfterSeconds).toBeGreaterThan(25);
    expect(error.retryAfterSeconds).toBeLessThanOrEqual(30);
    expect(error.message).toContain("wait 30 s");
    expect(attempts).toHaveLength(2);
    expect(slept).toEqual([]);
    expect(await messagesTo(to)).toHaveLength(1);
  });

  it("honours Retry-After within the cap: waits that long, then retries with the same key", async () => {
    const { fetch, attempts } = workerFetch();
    const to = uniqueNumber();
    const slept: number[] = [];
    // The injected sleep moves the number's clock instead of waiting 30 real seconds.
    const verify = client(fetch, {
      maxRetryAfterSeconds: 60,
      sleep: async (ms) => {
        slept.push(ms);
        await timeTravel(to, ms);
      },
    });
    const first = await verify.start({ to });
    const resent = await verify.start({ to });
    expect(resent.id).toBe(first.id); // the same pending verification, with a new code
    expect(slept).toHaveLength(1);
    expect(slept[0]).toBeGreaterThan(25_000);
    expect(slept[0]).toBeLessThanOrEqual(30_000);
    expect(attempts.map((a) => a.status)).toEqual([200, 429, 200]);
    expect(attempts[1]!.idempotencyKey).toBe(attempts[2]!.idempotencyKey);
    expect(await messagesTo(to)).toHaveLength(2);
  });

  it("a lost answer is retried with the same key: the server replays, exactly one SMS", async () => {
    const { fetch, attempts } = workerFetch((n) => n === 1);
    const slept: number[] = [];
    const verify = client(fetch, { sleep: async (ms) => void slept.push(ms), random: () => 0.5 });
    const to = uniqueNumber();
    const started = await verify.start({ to });
    expect(started.status).toBe("pending");
    expect(attempts).toEqual([
      { method: "StartVerification", idempotencyKey: expect.any(String), status: "network_error", replayed: false },
      { method: "StartVerification", idempotencyKey: attempts[0]!.idempotencyKey, status: 200, replayed: true },
    ]);
    expect(slept).toEqual([125]); // half (random 0.5) of the first 250 ms backoff
    expect(await messagesTo(to)).toHaveLength(1);

    // The same for a check: the retried wrong code is replayed, not counted twice.
    const { fetch: fetch2, attempts: attempts2 } = workerFetch((n) => n === 1);
    const verify2 = client(fetch2, { sleep: async () => {} });
    const wrong = await verify2.check({ verificationId: started.id, code: wrongCode(await latestCode(to)) });
    expect(wrong.status).toBe("invalid");
    expect(wrong.verification.checkAttempts).toBe(1);
    expect(attempts2.map((a) => [a.status, a.replayed])).toEqual([["network_error", false], [200, true]]);
  });

  it("gives up after maxAttempts and throws a typed network error", async () => {
    const { fetch, attempts } = workerFetch(() => true);
    const verify = client(fetch, { maxAttempts: 3, sleep: async () => {} });
    const to = uniqueNumber();
    const error = await rejection(verify.start({ to }));
    expect(error).toMatchObject({ code: "unavailable", reason: "network_error" });
    expect(attempts.map((a) => a.status)).toEqual(["network_error", "network_error", "network_error"]);
    expect(new Set(attempts.map((a) => a.idempotencyKey)).size).toBe(1);
    expect(attempts.slice(1).every((a) => a.replayed)).toBe(true);
    expect(await messagesTo(to)).toHaveLength(1);
  });

  it("retries `unavailable` with backoff; never retries an answer (bad input, bad key)", async () => {
    const inner = workerFetch();
    let calls = 0;
    const flaky: typeof globalThis.fetch = async (input, init) => {
      calls++;
      if (calls === 1) {
        return new Response(JSON.stringify({ code: "unavailable", message: "overloaded" }), { status: 503, headers: { "content-type": "application/json" } });
      }
      return inner.fetch(input, init);
    };
    const slept: number[] = [];
    const verify = client(flaky, { sleep: async (ms) => void slept.push(ms), random: () => 0.999 });
    const to = uniqueNumber();
    expect((await verify.start({ to })).status).toBe("pending");
    expect(calls).toBe(2);
    expect(slept).toEqual([249]);

    const bad = await rejection(verify.start({ to: uniqueNumber(), codeLength: 3 }));
    expect(bad).toMatchObject({ code: "invalid_argument", reason: "invalid_argument", field: "codeLength" });
    expect(bad.message).toBe("codeLength: must be from 4 to 10");

    const { fetch, attempts } = workerFetch();
    const unauthenticated = await rejection(client(fetch, undefined, "ev_wrong_key_000000000").start({ to: uniqueNumber() }));
    expect(unauthenticated.code).toBe("unauthenticated");
    expect(attempts).toHaveLength(1);
    expect(slept).toEqual([249]);
  });

  it("an idempotency key reused for a different request is refused with reason idempotency_key_reused", async () => {
    const { fetch } = workerFetch();
    const verify = client(fetch);
    const to = uniqueNumber();
    const started = await verify.start({ to }, { idempotencyKey: "order-4711" });
    const replay = await verify.start({ to }, { idempotencyKey: "order-4711" });
    expect(replay.id).toBe(started.id);
    expect(await messagesTo(to)).toHaveLength(1);
    const mismatch = await rejection(verify.start({ to, codeLength: 8 }, { idempotencyKey: "order-4711" }));
    expect(mismatch).toMatchObject({ code: "invalid_argument", reason: "idempotency_key_reused" });
  });

  it("validates its options", () => {
    expect(() => createVerifyClient({ baseUrl: "edge-verify.test", apiKey: DEV_KEY })).toThrow(/baseUrl/);
    expect(() => createVerifyClient({ baseUrl: "http://x", apiKey: "" })).toThrow(/apiKey/);
    expect(() => createVerifyClient({ baseUrl: "http://x", apiKey: DEV_KEY, retry: { maxAttempts: 0 } })).toThrow(/maxAttempts/);
  });
});
