// A Durable Object reset under a call (a deploy, an eviction, abortAllDurableObjects): the calls
// that are safe to repeat are repeated once, on a fresh stub; a second reset is a retryable 503.
import { VerifyError } from "../core/errors.ts";

/**
 * Runs a call to a Durable Object, once more on a fresh stub if the object was reset under it
 * (a deploy, an eviction, a restart: workerd marks those errors retryable). `call` must make its
 * stub itself. Safe for the number's object because it persists its reservation, counters and
 * idempotency record before any provider call: a repeated start is told when the first try began
 * and answers with the verification that try made (no second send); a repeated check counts at
 * most one more attempt and never approves twice. Safe for the key's claim (a repeat of the same
 * request answers same_request) and the Twilio sid index (a read, an idempotent put). A second
 * reset answers 503 with Retry-After. Safe for the service registry too (a key lookup, an
 * idempotent ensure of the built-in service).
 */
export async function afterReset<T>(call: () => PromiseLike<unknown>): Promise<T> {
  try {
    return (await call()) as T;
  } catch (error) {
    if (!isObjectReset(error)) throw error;
    try {
      return (await call()) as T;
    } catch (again) {
      if (!isObjectReset(again)) throw again;
      throw new VerifyError("unavailable", "the number's storage is restarting; retry shortly", { retryAfterSeconds: 1 });
    }
  }
}

/**
 * Runs a call that is not safe to repeat (it creates, rotates or revokes something, and may have
 * run before the reset cut it): a reset under it answers a retryable 503, never a 500; the caller
 * decides whether to try again.
 */
export async function unavailableOnReset<T>(call: () => PromiseLike<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (!isObjectReset(error)) throw error;
    throw new VerifyError("unavailable", "the service registry is restarting; retry shortly", { retryAfterSeconds: 1 });
  }
}

function isObjectReset(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const flags = error as Error & { retryable?: boolean; durableObjectReset?: boolean };
  return flags.retryable === true || flags.durableObjectReset === true || /abortAllDurableObjects|Durable Object reset/i.test(error.message);
}

