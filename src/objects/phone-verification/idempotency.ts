// Idempotency keys in the number's object: a request runs once per key; a duplicate replays the
// stored result, or waits for the original while it is still running in this object.
import type { DoResult, Refusal } from "../../core/errors.ts";
import { DAY_MS } from "../../core/policy.ts";
import type { NumberStore } from "./storage.ts";

export interface IdempotencyInput {
  /** Scoped by the caller: API key id + the client's key. */
  key: string;
  /** SHA-256 of the operation and its validated request. */
  requestHash: string;
}

export type { DoResult };

export const IDEMPOTENCY_TTL_MS = DAY_MS;
/** Margin past the send deadline after which an in-progress idempotent request counts as dead. */
const ABANDONED_AFTER_MS = 30_000;

function refused(reason: Refusal["reason"], message: string): { ok: false; refusal: Refusal } {
  return { ok: false, refusal: { reason, message, field: "Idempotency-Key" } };
}

/**
 * Runs `run` once per idempotency key. The claim is made synchronously on entry (no await before
 * it), so concurrent duplicates see it: they wait for the original's result and replay it.
 * Refusals are not stored: a retry after a rate limit is evaluated afresh.
 */
export async function idempotent<T>(
  store: NumberStore,
  inflight: Map<string, Promise<DoResult<unknown>>>,
  idem: IdempotencyInput | undefined,
  options: { now: number; sendDeadlineMs: number; resumeSince?: number },
  run: () => Promise<DoResult<T>>,
): Promise<DoResult<T>> {
  if (!idem) return run();
  const { now } = options;
  let existing = store.idempotency(idem.key);
  if (existing && existing.expiresAt <= now) existing = null;
  if (existing?.state === "in_progress" && !inflight.has(idem.key)) {
    // The original died with its object (restart mid-flow). Once it cannot still be sending,
    // run again: the per-number limits persisted before the send stop a double SMS.
    // Or at once when the Worker repeats its own call after that reset (`resumeSince`: when it
    // first tried): the repeat answers with what the first try made and sends nothing.
    const startedAt = existing.expiresAt - IDEMPOTENCY_TTL_MS;
    const resumed = options.resumeSince !== undefined && startedAt >= options.resumeSince;
    if (resumed || now - startedAt > options.sendDeadlineMs + ABANDONED_AFTER_MS) existing = null;
  }
  if (existing) {
    if (existing.requestHash !== idem.requestHash) return refused("idempotency_key_reused", "Idempotency-Key: already used with a different request");
    if (existing.state === "done") return { ...(JSON.parse(existing.response as string) as DoResult<T>), replayed: true } as DoResult<T>;
    const original = inflight.get(idem.key) as Promise<DoResult<T>> | undefined;
    if (original) {
      const result = await original;
      return result.ok ? { ...result, replayed: true } : result;
    }
    return refused("idempotency_in_progress", "Idempotency-Key: the original request is still in progress; retry shortly");
  }
  const claim = { requestHash: idem.requestHash, state: "in_progress" as const, response: null, expiresAt: now + IDEMPOTENCY_TTL_MS };
  store.saveIdempotency(idem.key, claim);
  const promise = run();
  inflight.set(idem.key, promise);
  try {
    const result = await promise;
    if (result.ok) store.saveIdempotency(idem.key, { ...claim, state: "done", response: JSON.stringify(result) });
    else store.deleteIdempotency(idem.key);
    return result;
  } catch (error) {
    store.deleteIdempotency(idem.key);
    throw error;
  } finally {
    inflight.delete(idem.key);
  }
}
