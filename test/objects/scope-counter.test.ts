// ScopeCounter: exact counts per window, release, and the move of the SQL release's buckets into KV.
import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ScopeCounter, TakeInput } from "../../src/objects/scope-counter.ts";

const namespace = env.SCOPE_COUNTER as unknown as DurableObjectNamespace<ScopeCounter>;
const HOUR_MS = 3_600_000;
const hourly = (limit: number): TakeInput => ({ limit, windowMs: HOUR_MS, kind: "sliding", enforce: true });

describe("ScopeCounter", () => {
  it("counts exactly to the limit, gives a released unit back, and keeps counting after a restart", async () => {
    const stub = namespace.get(namespace.idFromName(`test:${crypto.randomUUID()}`));
    const first = await stub.take(hourly(2));
    expect(first).toMatchObject({ allowed: true, overLimit: false });
    expect(await stub.take(hourly(2))).toMatchObject({ allowed: true });
    expect(await stub.take(hourly(2))).toMatchObject({ allowed: false, overLimit: true, bucket: -1 });
    await stub.release(first.bucket);
    await evictDurableObject(stub);
    expect(await stub.take(hourly(2))).toMatchObject({ allowed: true });
    expect(await stub.take(hourly(2))).toMatchObject({ allowed: false });
    // No table: the buckets are KV keys; the alarm frees the object.
    expect(await runInDurableObject(stub, (_i, state) => state.storage.sql.exec("SELECT name FROM sqlite_master WHERE name = 'buckets'").toArray())).toEqual([]);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await runInDurableObject(stub, (_i, state) => [...state.storage.kv.list()])).toEqual([]);
  });

  it("an object written with the buckets table keeps its counts: they move into KV on wake", async () => {
    const stub = namespace.get(namespace.idFromName(`test:${crypto.randomUUID()}`));
    const width = HOUR_MS / 60;
    const bucket = Math.floor(Date.now() / width) * width;
    await runInDurableObject(stub, (_i, state) => {
      state.storage.sql.exec("CREATE TABLE buckets (start INTEGER PRIMARY KEY, count INTEGER NOT NULL)");
      state.storage.sql.exec("INSERT INTO buckets (start, count) VALUES (?, 3)", bucket);
    });
    await evictDurableObject(stub);
    expect(await stub.take(hourly(4))).toMatchObject({ allowed: true });
    expect(await stub.take(hourly(4))).toMatchObject({ allowed: false, overLimit: true });
    expect(await runInDurableObject(stub, (_i, state) => state.storage.sql.exec("SELECT name FROM sqlite_master WHERE name = 'buckets'").toArray())).toEqual([]);
  });
});
