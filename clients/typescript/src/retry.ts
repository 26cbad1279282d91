// When to retry a call, and after how long. Pure: attempts, randomness and the error are inputs.
// Every retry reuses the call's idempotency key, so a retried start never sends a second code.
import type { VerifyClientError } from "./errors.ts";

export interface RetryOptions {
  /** Attempts per call, the first included (1 = never retry). Default 3. */
  maxAttempts?: number;
  /** First backoff for network errors, `unavailable` and in-progress replays; doubles per retry (full jitter). Default 250. */
  initialBackoffMs?: number;
  /** Ceiling of one backoff. Default 5000. */
  maxBackoffMs?: number;
  /**
   * The longest `Retry-After` worth waiting for inside the call. A refusal asking for longer (a
   * 30 s resend cooldown, an hourly limit) is thrown at once for your UI to show. Default 5.
   */
  maxRetryAfterSeconds?: number;
  /** How to wait; tests inject a fake. Default: setTimeout, cut short by the call's signal. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Jitter source in [0, 1). Default Math.random. */
  random?: () => number;
}

export type RetryPolicy = Required<RetryOptions>;

export function retryPolicy(options: RetryOptions | false | undefined): RetryPolicy {
  const o = options === false ? { maxAttempts: 1 } : (options ?? {});
  const policy: RetryPolicy = {
    maxAttempts: o.maxAttempts ?? 3,
    initialBackoffMs: o.initialBackoffMs ?? 250,
    maxBackoffMs: o.maxBackoffMs ?? 5000,
    maxRetryAfterSeconds: o.maxRetryAfterSeconds ?? 5,
    sleep: o.sleep ?? sleep,
    random: o.random ?? Math.random,
  };
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1) throw new RangeError("retry.maxAttempts: must be an integer ≥ 1");
  if (!(policy.maxRetryAfterSeconds >= 0)) throw new RangeError("retry.maxRetryAfterSeconds: must be ≥ 0");
  if (!(policy.initialBackoffMs >= 0) || !(policy.maxBackoffMs >= policy.initialBackoffMs)) {
    throw new RangeError("retry: need 0 ≤ initialBackoffMs ≤ maxBackoffMs");
  }
  return policy;
}

/**
 * Milliseconds to wait before attempt `attempts + 1`, or null to give up and throw `error`.
 * Retried: no answer at all (`network_error`), `unavailable`, `deadline_exceeded`, the server's
 * "same key still running" (`aborted` / `idempotency_in_progress`), and `resource_exhausted` with a
 * `Retry-After` within `maxRetryAfterSeconds`. Everything else is an answer, not a hiccup.
 */
export function retryDelayMs(error: VerifyClientError, attempts: number, policy: RetryPolicy): number | null {
  if (attempts >= policy.maxAttempts) return null;
  const after = error.retryAfterSeconds;
  const backoff = () => Math.floor(policy.random() * Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** (attempts - 1)));
  switch (error.code) {
    case "resource_exhausted":
      return after !== undefined && after <= policy.maxRetryAfterSeconds ? after * 1000 : null;
    case "unavailable":
    case "deadline_exceeded":
      if (after === undefined) return backoff();
      return after <= policy.maxRetryAfterSeconds ? after * 1000 : null;
    case "aborted":
      return error.reason === "idempotency_in_progress" ? backoff() : null;
    default:
      return null;
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener("abort", abort);
      resolve();
    }
    function abort() {
      clearTimeout(timer);
      reject(signal!.reason);
    }
    signal?.addEventListener("abort", abort, { once: true });
  });
}
