// Idempotency keys in the number's object (idempotent()), on a real object's storage: the claim, the
// replay, a reused key, a duplicate that waits for its in-flight original, an abandoned original run
// again after the deadline or at once on the Worker's own repeat (resumeSince), refusals not stored.
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { DoResult } from "../../../src/core/errors.ts";
import { IDEMPOTENCY_TTL_MS, idempotent } from "../../../src/objects/phone-verification/idempotency.ts";
import { NumberStore } from "../../../src/objects/phone-verification/storage.ts";
import { storedEntries, uniqueNumber } from "../../helpers.ts";

const NOW = 1_800_000_000_000;
const SEND_DEADLINE_MS = 10_000;
/** ABANDONED_AFTER_MS in the module: past the send deadline by this much, an in-progress original is dead. */
const ABANDONED_AFTER_MS = 30_000;
const KEY = "key1:client-key";
const IDEM = { key: KEY, requestHash: "hash-a" };

type Result = DoResult<{ id: string }>;

/** Runs `fn` with a NumberStore over a fresh number's object storage and an empty in-flight map. */
function withStore<T>(fn: (store: NumberStore, inflight: Map<string, Promise<DoResult<unknown>>>, state: DurableObjectState) => Promise<T>): Promise<T> {
  const stub = env.PHONE_VERIFICATION.get(env.PHONE_VERIFICATION.idFromName(`idempotency-test:${uniqueNumber()}`));
  return runInDurableObject(stub, (_instance, state) => fn(new NumberStore(state.storage), new Map(), state));
}

/** A run that counts its calls and answers `result`. */
function counted(result: Result | (() => Promise<Result>)) {
  const run = async (): Promise<Result> => {
    run.calls++;
    return typeof result === "function" ? result() : result;
  };
  run.calls = 0;
  return run;
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const OK: Result = { ok: true, value: { id: "ve_1" } };
const LIMITED: Result = { ok: false, refusal: { reason: "limit_reached", message: "to: too many codes", field: "to", retryAfterSeconds: 60 } };
const at = (now: number, extra: { resumeSince?: number } = {}) => ({ now, sendDeadlineMs: SEND_DEADLINE_MS, ...extra });

describe("idempotent", () => {
  it("without a key just runs, and stores nothing", async () => {
    await withStore(async (store, inflight, state) => {
      const run = counted(OK);
      expect(await idempotent(store, inflight, undefined, at(NOW), run)).toEqual(OK);
      expect(await idempotent(store, inflight, undefined, at(NOW), run)).toEqual(OK);
      expect(run.calls).toBe(2);
      expect(storedEntries(state)).toEqual([]);
    });
  });

  it("claims the key synchronously on entry, before the run has answered, then stores the result", async () => {
    await withStore(async (store, inflight) => {
      const gate = deferred<Result>();
      const pending = idempotent(store, inflight, IDEM, at(NOW), () => gate.promise);
      // No await yet: a concurrent duplicate arriving now must already see the claim.
      expect(store.idempotency(KEY)).toEqual({ requestHash: "hash-a", state: "in_progress", response: null, expiresAt: NOW + IDEMPOTENCY_TTL_MS });
      expect(inflight.has(KEY)).toBe(true);
      gate.resolve(OK);
      expect(await pending).toEqual(OK);
      expect(store.idempotency(KEY)).toEqual({ requestHash: "hash-a", state: "done", response: JSON.stringify(OK), expiresAt: NOW + IDEMPOTENCY_TTL_MS });
      expect(inflight.size).toBe(0);
    });
  });

  it("replays a stored result, marked replayed, without running again", async () => {
    await withStore(async (store, inflight) => {
      const run = counted(OK);
      await idempotent(store, inflight, IDEM, at(NOW), run);
      expect(await idempotent(store, inflight, IDEM, at(NOW + 60_000), run)).toEqual({ ...OK, replayed: true });
      expect(run.calls).toBe(1);
    });
  });

  it("refuses the key reused with another request, done or still running, and runs nothing", async () => {
    await withStore(async (store, inflight) => {
      const run = counted(OK);
      await idempotent(store, inflight, IDEM, at(NOW), run);
      const other = { key: KEY, requestHash: "hash-b" };
      expect(await idempotent(store, inflight, other, at(NOW + 1), run)).toEqual({
        ok: false,
        refusal: { reason: "idempotency_key_reused", message: "Idempotency-Key: already used with a different request", field: "Idempotency-Key" },
      });
      // While the original is in flight too.
      const gate = deferred<Result>();
      const second = { key: "key1:second", requestHash: "hash-a" };
      const original = idempotent(store, inflight, second, at(NOW), () => gate.promise);
      expect(await idempotent(store, inflight, { ...second, requestHash: "hash-b" }, at(NOW), run)).toMatchObject({ ok: false, refusal: { reason: "idempotency_key_reused" } });
      gate.resolve(OK);
      await original;
      expect(run.calls).toBe(1);
    });
  });

  it("a duplicate of a request still running in this object waits for it and replays its result", async () => {
    await withStore(async (store, inflight) => {
      const gate = deferred<Result>();
      const original = idempotent(store, inflight, IDEM, at(NOW), () => gate.promise);
      const run = counted(OK);
      let settled = false;
      const duplicate = idempotent(store, inflight, IDEM, at(NOW + 5), run).finally(() => (settled = true));
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect(settled).toBe(false);
      gate.resolve({ ok: true, value: { id: "ve_original" } });
      expect(await duplicate).toEqual({ ok: true, value: { id: "ve_original" }, replayed: true });
      expect(await original).toEqual({ ok: true, value: { id: "ve_original" } });
      expect(run.calls).toBe(0);
    });
  });

  it("a duplicate that waited on an original which was refused gets the refusal as it is", async () => {
    await withStore(async (store, inflight) => {
      const gate = deferred<Result>();
      const original = idempotent(store, inflight, IDEM, at(NOW), () => gate.promise);
      const duplicate = idempotent(store, inflight, IDEM, at(NOW), counted(OK));
      gate.resolve(LIMITED);
      expect(await duplicate).toEqual(LIMITED);
      expect(await original).toEqual(LIMITED);
    });
  });

  it("refusals are not stored: the claim goes, and a retry is evaluated afresh", async () => {
    await withStore(async (store, inflight, state) => {
      const refused = counted(LIMITED);
      expect(await idempotent(store, inflight, IDEM, at(NOW), refused)).toEqual(LIMITED);
      expect(storedEntries(state)).toEqual([]);
      const run = counted(OK);
      expect(await idempotent(store, inflight, IDEM, at(NOW + 1), run)).toEqual(OK);
      expect(run.calls).toBe(1);
    });
  });

  it("a run that throws leaves no claim and no in-flight entry behind", async () => {
    await withStore(async (store, inflight, state) => {
      const boom = counted(async () => {
        throw new Error("storage failed");
      });
      await expect(idempotent(store, inflight, IDEM, at(NOW), boom)).rejects.toThrow("storage failed");
      expect(storedEntries(state)).toEqual([]);
      expect(inflight.size).toBe(0);
      expect(await idempotent(store, inflight, IDEM, at(NOW), counted(OK))).toEqual(OK);
    });
  });

  describe("an in-progress claim whose original died with its object (no in-flight entry)", () => {
    const claimed = (store: NumberStore, startedAt: number) =>
      store.saveIdempotency(KEY, { requestHash: "hash-a", state: "in_progress", response: null, expiresAt: startedAt + IDEMPOTENCY_TTL_MS });
    const deadline = SEND_DEADLINE_MS + ABANDONED_AFTER_MS;

    it("is refused as in progress while the original could still be sending", async () => {
      await withStore(async (store, inflight) => {
        claimed(store, NOW);
        const run = counted(OK);
        expect(await idempotent(store, inflight, IDEM, at(NOW + deadline), run)).toEqual({
          ok: false,
          refusal: { reason: "idempotency_in_progress", message: "Idempotency-Key: the original request is still in progress; retry shortly", field: "Idempotency-Key" },
        });
        expect(run.calls).toBe(0);
        // Still claimed, by the original.
        expect(store.idempotency(KEY)).toMatchObject({ state: "in_progress", expiresAt: NOW + IDEMPOTENCY_TTL_MS });
      });
    });

    it("runs again once past the send deadline and its margin, claiming the key anew", async () => {
      await withStore(async (store, inflight) => {
        claimed(store, NOW);
        const run = counted(OK);
        const later = NOW + deadline + 1;
        expect(await idempotent(store, inflight, IDEM, at(later), run)).toEqual(OK);
        expect(run.calls).toBe(1);
        expect(store.idempotency(KEY)).toMatchObject({ state: "done", expiresAt: later + IDEMPOTENCY_TTL_MS });
      });
    });

    it("a key reused with another request after the original died is run as new (the claim is dead)", async () => {
      await withStore(async (store, inflight) => {
        claimed(store, NOW);
        const run = counted(OK);
        expect(await idempotent(store, inflight, { key: KEY, requestHash: "hash-b" }, at(NOW + deadline + 1), run)).toEqual(OK);
        expect(store.idempotency(KEY)).toMatchObject({ requestHash: "hash-b", state: "done" });
      });
    });

    it("runs again at once when the Worker repeats its own call (resumeSince at or before the claim)", async () => {
      await withStore(async (store, inflight) => {
        claimed(store, NOW);
        const run = counted(OK);
        expect(await idempotent(store, inflight, IDEM, at(NOW + 50, { resumeSince: NOW }), run)).toEqual(OK);
        expect(run.calls).toBe(1);
      });
    });

    it("a claim older than the Worker's first try is someone else's: still in progress", async () => {
      await withStore(async (store, inflight) => {
        claimed(store, NOW);
        const run = counted(OK);
        expect(await idempotent(store, inflight, IDEM, at(NOW + 50, { resumeSince: NOW + 1 }), run)).toMatchObject({ ok: false, refusal: { reason: "idempotency_in_progress" } });
        expect(run.calls).toBe(0);
      });
    });
  });

  it("a record past its lifetime is forgotten: the key is free for any request", async () => {
    await withStore(async (store, inflight) => {
      await idempotent(store, inflight, IDEM, at(NOW), counted(OK));
      const run = counted({ ok: true, value: { id: "ve_2" } });
      expect(await idempotent(store, inflight, { key: KEY, requestHash: "hash-b" }, at(NOW + IDEMPOTENCY_TTL_MS), run)).toEqual({ ok: true, value: { id: "ve_2" } });
      expect(run.calls).toBe(1);
    });
  });
});
