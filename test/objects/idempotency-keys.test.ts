// The key registry: a key binds to its first request; the binding ends with its alarm.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { IDEMPOTENCY_TTL_MS } from "../../src/objects/idempotency-keys.ts";

const stubFor = (name: string) => env.IDEMPOTENCY_KEYS.get(env.IDEMPOTENCY_KEYS.idFromName(name));

describe("IdempotencyKeys", () => {
  it("claims a free key, answers same_request for its request and reused for any other", async () => {
    const stub = stubFor(crypto.randomUUID());
    const now = Date.now();
    expect(await stub.claim({ requestHash: "a", now })).toBe("claimed");
    expect(await stub.claim({ requestHash: "a", now: now + 1 })).toBe("same_request");
    expect(await stub.claim({ requestHash: "b", now: now + 2 })).toBe("reused");
    // The binding is not moved by a reuse.
    expect(await stub.claim({ requestHash: "a", now: now + 3 })).toBe("same_request");
  });

  it("a binding past its lifetime is free again", async () => {
    const stub = stubFor(crypto.randomUUID());
    const now = Date.now();
    await stub.claim({ requestHash: "a", now });
    expect(await stub.claim({ requestHash: "b", now: now + IDEMPOTENCY_TTL_MS + 1 })).toBe("claimed");
  });

  it("its alarm leaves no storage once the binding is over, and keeps a live one", async () => {
    const live = stubFor(crypto.randomUUID());
    await live.claim({ requestHash: "a", now: Date.now() });
    expect(await runDurableObjectAlarm(live)).toBe(true);
    expect(await runInDurableObject(live, (_i, state) => [...state.storage.kv.list()].length)).toBe(1);

    const done = stubFor(crypto.randomUUID());
    await done.claim({ requestHash: "a", now: Date.now() - IDEMPOTENCY_TTL_MS - 1 });
    // Its alarm time is already past, so workerd may run it first; either way it has run after this.
    await runDurableObjectAlarm(done);
    expect(await runInDurableObject(done, (_i, state) => [...state.storage.kv.list()].length)).toBe(0);
  });
});
