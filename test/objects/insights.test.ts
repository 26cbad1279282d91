// The Insights object's conversion-guard rows: listed while in force, gone once they end, and an
// object holding nothing else frees its storage.
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { dayOf, type GuardBlockEvent, type InsightEvent } from "../../src/core/insights.ts";

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

describe("Insights: a batch of events", () => {
  const snapshot = (id: string, status: string, updatedAt: number) => ({
    id,
    maskedTo: "+1415****671",
    country: "US",
    channel: "sms",
    status,
    provider: "twilio",
    delivery: "",
    sendAttempts: 1,
    checkAttempts: 0,
    createdAt: updatedAt - 1_000,
    updatedAt,
    test: false,
  });

  it("counts every event, and writes each counter row and each verification's recent row once per batch", async () => {
    const stub = env.INSIGHTS.get(env.INSIGHTS.idFromName(`batch-test:${crypto.randomUUID()}`));
    const now = Date.now();
    const events = Array.from({ length: 20 }, (_v, i) => [
      { kind: "started", at: now, verification: snapshot(`ve_${i}`, "pending", now), risks: [] },
      { kind: "sent", at: now, verification: snapshot(`ve_${i}`, "pending", now + 1), risks: [] },
      { kind: "approved", at: now + 2_000, verification: snapshot(`ve_${i}`, "approved", now + 2_000), risks: [] },
    ]).flat() as InsightEvent[];
    // The shard exists already (its tables are made on first use).
    await stub.record([{ kind: "lookup", at: now, source: "twilio", outcome: "cached" }]);
    // Rows written by the batch, as SQLite reports them (sql.exec cursors' rowsWritten).
    const written = await runInDurableObject(stub, async (instance, state) => {
      let rows = 0;
      const exec = state.storage.sql.exec.bind(state.storage.sql);
      (state.storage.sql as { exec: typeof exec }).exec = ((query: string, ...bindings: unknown[]) => {
        const cursor = exec(query, ...(bindings as never[]));
        const all = cursor.toArray();
        rows += cursor.rowsWritten;
        return { toArray: () => all, one: () => all[0], [Symbol.iterator]: () => all[Symbol.iterator]() } as never;
      }) as typeof exec;
      await (instance as unknown as { record(events: InsightEvent[]): Promise<void> }).record(events);
      return rows;
    });
    const aggregates = await stub.aggregates({ fromDay: "2000-01-01" });
    expect(aggregates.outcomes.filter((o) => o.outcome === "started" || o.outcome === "approved").map((o) => [o.outcome, o.count]).sort()).toEqual([
      ["approved", 20],
      ["started", 20],
    ]);
    expect((await stub.recent({ limit: 50 })).map((v) => v.status)).toEqual(Array(20).fill("approved"));
    // 20 recent rows, 2 outcome rows, 1 provider row, 1 approval-time row: not one per event (60).
    expect(written).toBeLessThanOrEqual(24);
  });

  it("an object of the previous release (rowid tables, an index on recent) keeps its rows in the new shape", async () => {
    const stub = env.INSIGHTS.get(env.INSIGHTS.idFromName(`index-test:${crypto.randomUUID()}`));
    const now = Date.now();
    await runInDurableObject(stub, (_i, state) => {
      const sql = state.storage.sql;
      // The previous release's schema, with one row in each of two tables.
      sql.exec("CREATE TABLE outcomes (day TEXT NOT NULL, country TEXT NOT NULL, outcome TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (day, country, outcome))");
      sql.exec("CREATE TABLE providers (day TEXT NOT NULL, provider TEXT NOT NULL, event TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (day, provider, event))");
      sql.exec("CREATE TABLE rules (day TEXT NOT NULL, rule TEXT NOT NULL, mode TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (day, rule, mode))");
      sql.exec("CREATE TABLE approval_seconds (day TEXT NOT NULL, seconds INTEGER NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (day, seconds))");
      sql.exec("CREATE TABLE recent (id TEXT PRIMARY KEY, updated_at INTEGER NOT NULL, data TEXT NOT NULL)");
      sql.exec("CREATE INDEX recent_by_time ON recent (updated_at)");
      sql.exec("INSERT INTO outcomes VALUES (?, 'US', 'started', 7)", dayOf(now));
      sql.exec("INSERT INTO recent VALUES ('ve_old', ?, ?)", now, JSON.stringify(snapshot("ve_old", "pending", now)));
    });
    await evictDurableObject(stub);
    await stub.record([{ kind: "started", at: now, verification: snapshot("ve_new", "pending", now), risks: [] } as InsightEvent]);
    const shape = await runInDurableObject(stub, (_i, state) => state.storage.sql.exec("SELECT name, sql FROM sqlite_master WHERE name NOT LIKE '\\_cf%' ESCAPE '\\'").toArray() as { name: string; sql: string }[]);
    expect(shape.map((row) => row.name).sort()).toEqual(["approval_seconds", "outcomes", "providers", "recent", "rules"]);
    expect(shape.every((row) => row.sql.includes("WITHOUT ROWID"))).toBe(true);
    expect((await stub.aggregates({ fromDay: "2000-01-01" })).outcomes).toEqual([{ day: dayOf(now), country: "US", outcome: "started", count: 8 }]);
    expect((await stub.recent({ limit: 10 })).map((v) => v.id).sort()).toEqual(["ve_new", "ve_old"]);
  });
});
